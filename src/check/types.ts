/**
 * The checker's data model: a history is a list of completed (or indeterminate) operations,
 * each an interval [callMs, returnMs] on one key.
 */

/** A register value: any JSON scalar. `null` means "absent" (the initial state). */
export type Scalar = string | number | boolean | null;

/** The operation kinds the checker knows. */
export type OpF = 'read' | 'write' | 'cas';

export const OP_FS: readonly OpF[] = ['read', 'write', 'cas'];

/** A compare-and-set argument: `[expected, new]`. */
export type CasPair = readonly [expected: Scalar, next: Scalar];

interface OperationBase {
  /** Index of this operation in its history (0-based, unique). */
  readonly id: number;
  /** The process as given by the history (a Jepsen process id). */
  readonly process: number | string;
  /**
   * A process whose op ended `info` and that invokes again becomes a new logical process:
   * its later operations may run concurrently with the indeterminate one.
   */
  readonly logicalProcess: number;
  /** The object the operation acts on; operations on different keys are independent. */
  readonly key: string;
  /** Invocation time. */
  readonly callMs: number;
  /**
   * Completion time; `Infinity` when the outcome is unknown (`info`, or never completed):
   * such an operation may take effect at any point after its call, or never.
   */
  readonly returnMs: number;
  /** Line of the invocation in the source file, when parsed from one (1-based). */
  readonly line?: number;
}

/** A read that completed `ok`, returning `output` (`null` when the key was absent). */
export interface ReadOperation extends OperationBase {
  readonly f: 'read';
  readonly input: null;
  readonly output: Scalar;
}

/** A write of `input`; `returnMs === Infinity` when indeterminate. */
export interface WriteOperation extends OperationBase {
  readonly f: 'write';
  readonly input: Scalar;
  readonly output: null;
}

/**
 * A compare-and-set that succeeded (`ok`), or whose outcome is unknown
 * (`returnMs === Infinity`). Failed cas operations did not take effect and are dropped.
 */
export interface CasOperation extends OperationBase {
  readonly f: 'cas';
  readonly input: CasPair;
  readonly output: null;
}

export type Operation = ReadOperation | WriteOperation | CasOperation;

/** True when the operation's outcome is unknown (it may or may not have taken effect). */
export function isIndeterminate(op: Operation): boolean {
  return op.returnMs === Number.POSITIVE_INFINITY;
}

export function isScalar(value: unknown): value is Scalar {
  return (
    value === null ||
    typeof value === 'string' ||
    typeof value === 'boolean' ||
    (typeof value === 'number' && Number.isFinite(value))
  );
}

/** A JSON-friendly view of an operation for reports. */
export interface OperationView {
  readonly process: number | string;
  readonly f: OpF;
  readonly key: string;
  /** The write's value or the cas's `[expected, new]`; absent for reads. */
  readonly value?: Scalar | CasPair;
  /** The read's result; absent for writes and cas. */
  readonly output?: Scalar;
  readonly invokeMs: number;
  /** `null` when indeterminate. */
  readonly completeMs: number | null;
  readonly indeterminate: boolean;
  readonly line?: number;
}

export function viewOperation(op: Operation): OperationView {
  const indeterminate = isIndeterminate(op);
  const base = {
    process: op.process,
    f: op.f,
    key: op.key,
    invokeMs: op.callMs,
    completeMs: indeterminate ? null : op.returnMs,
    indeterminate,
  };
  const withOutput = op.f === 'read' ? { ...base, output: op.output } : { ...base, value: op.input };
  return op.line === undefined ? withOutput : { ...withOutput, line: op.line };
}
