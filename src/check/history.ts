import { InvalidArgumentError, LimitExceededError } from '../core/errors.js';
import { Limits } from '../core/limits.js';
import { type CasPair, isScalar, type Operation, type OpF, type Scalar } from './types.js';

/** How an invoked operation ended, in Jepsen's words. */
export type CompletionType = 'ok' | 'fail' | 'info';

/** A complete operation given directly (no invoke/complete events), e.g. by the simulator. */
export interface OperationInput {
  readonly process: number | string;
  readonly f: OpF;
  readonly key: string;
  /** write: the value; cas: `[expected, new]`; read: ignored. */
  readonly value?: Scalar | CasPair;
  /** read: the value returned (`null` when absent). */
  readonly output?: Scalar;
  readonly type: CompletionType;
  readonly callMs: number;
  /** Ignored (treated as +∞) for `info`. */
  readonly returnMs: number;
}

/** Counts of what a history held. */
export interface HistoryStats {
  invokes: number;
  ok: number;
  /** Dropped: they did not take effect. */
  fail: number;
  /** Indeterminate: explicitly `info`, or never completed. */
  info: number;
  /** `info` reads: they constrain nothing and are dropped. */
  droppedInfoReads: number;
  /** Invocations by a process whose previous op was indeterminate (a new logical process). */
  reusedAfterInfo: number;
}

interface Pending {
  readonly f: OpF;
  readonly key: string;
  readonly input: Scalar | CasPair;
  readonly callMs: number;
  readonly line: number | undefined;
  readonly logicalProcess: number;
}

interface ProcessState {
  logical: number;
  pending: Pending | null;
  lastWasInfo: boolean;
}

/**
 * Builds an `Operation` list from Jepsen-style events (`invoke`, then `ok` / `fail` / `info`
 * per process) or from whole operations, validating as it goes. Methods throw
 * `InvalidArgumentError` on an event that cannot be part of a well-formed history; the builder
 * is unchanged by a rejected event. Operations still in flight at `build()` are indeterminate.
 */
export class HistoryBuilder {
  readonly #ops: Operation[] = [];
  readonly #processes = new Map<number | string, ProcessState>();
  #nextLogical = 0;
  readonly stats: HistoryStats = { invokes: 0, ok: 0, fail: 0, info: 0, droppedInfoReads: 0, reusedAfterInfo: 0 };

  /** Start an operation on `process`, which must have none in flight. */
  invoke(process: number | string, f: OpF, key: string, value: unknown, timeMs: number, line?: number): void {
    checkProcess(process);
    checkTime(timeMs);
    const input = checkInput(f, value);
    const state = this.#processes.get(process);
    if (state?.pending) {
      const where = state.pending.line === undefined ? '' : ` (invoked on line ${state.pending.line})`;
      throw new InvalidArgumentError(
        `process ${JSON.stringify(process)} invokes ${f} while its ${state.pending.f}${where} is still in flight`,
      );
    }
    if (this.stats.invokes >= Limits.historyOpsMax) {
      throw new LimitExceededError('historyOpsMax', this.stats.invokes + 1, Limits.historyOpsMax);
    }
    let logical: number;
    if (state === undefined || state.lastWasInfo) {
      if (state?.lastWasInfo) this.stats.reusedAfterInfo++;
      logical = this.#nextLogical++;
    } else {
      logical = state.logical;
    }
    this.#processes.set(process, {
      logical,
      lastWasInfo: false,
      pending: { f, key, input, callMs: timeMs, line, logicalProcess: logical },
    });
    this.stats.invokes++;
  }

  /**
   * Complete `process`'s in-flight operation. `value` is the read's result (`null` or
   * `undefined` when absent); `f` and `key`, when given, must match the invocation.
   */
  complete(
    process: number | string,
    type: CompletionType,
    timeMs: number,
    value?: unknown,
    check?: { f?: unknown; key?: unknown },
  ): void {
    checkProcess(process);
    checkTime(timeMs);
    const state = this.#processes.get(process);
    const pending = state?.pending;
    if (state === undefined || !pending) {
      throw new InvalidArgumentError(`${type} completion for process ${JSON.stringify(process)} without an invoke`);
    }
    if (check?.f !== undefined && check.f !== pending.f) {
      throw new InvalidArgumentError(
        `completion f ${JSON.stringify(check.f)} does not match the invoked ${pending.f} of process ${JSON.stringify(process)}`,
      );
    }
    if (check?.key !== undefined && check.key !== pending.key) {
      throw new InvalidArgumentError(
        `completion key ${JSON.stringify(check.key)} does not match the invoked key ${JSON.stringify(pending.key)}`,
      );
    }
    if (timeMs < pending.callMs) {
      throw new InvalidArgumentError(`completion time ${timeMs} is before its invoke time ${pending.callMs}`);
    }
    let output: Scalar = null;
    if (type === 'ok' && pending.f === 'read') {
      const v = value === undefined ? null : value;
      if (!isScalar(v)) throw new InvalidArgumentError(`read result must be a JSON scalar or null, got ${JSON.stringify(v)}`);
      output = v;
    }
    state.pending = null;
    state.lastWasInfo = type === 'info';
    this.#record(process, pending, type, timeMs, output);
  }

  ok(process: number | string, timeMs: number, value?: unknown): void {
    this.complete(process, 'ok', timeMs, value);
  }

  fail(process: number | string, timeMs: number): void {
    this.complete(process, 'fail', timeMs);
  }

  info(process: number | string, timeMs: number): void {
    this.complete(process, 'info', timeMs);
  }

  /** Add a whole operation (invoke and completion at once). */
  add(op: OperationInput): void {
    this.invoke(op.process, op.f, op.key, op.value ?? null, op.callMs);
    this.complete(op.process, op.type, op.type === 'info' ? op.callMs : op.returnMs, op.output ?? null);
  }

  /** The operations so far; operations still in flight are indeterminate. Sorted by id. */
  build(): Operation[] {
    const ops = [...this.#ops];
    const extra: Operation[] = [];
    for (const [process, state] of this.#processes) {
      if (state.pending) {
        const op = makeOperation(this.#ops.length + extra.length, process, state.pending, 'info', 0, null);
        if (op) extra.push(op);
      }
    }
    return ops.concat(extra);
  }

  #record(process: number | string, pending: Pending, type: CompletionType, timeMs: number, output: Scalar): void {
    if (type === 'ok') this.stats.ok++;
    else if (type === 'fail') this.stats.fail++;
    else this.stats.info++;
    const op = makeOperation(this.#ops.length, process, pending, type, timeMs, output);
    if (op) this.#ops.push(op);
    else if (type === 'info') this.stats.droppedInfoReads++;
  }
}

function makeOperation(
  id: number,
  process: number | string,
  p: Pending,
  type: CompletionType,
  timeMs: number,
  output: Scalar,
): Operation | null {
  if (type === 'fail') return null;
  if (type === 'info' && p.f === 'read') return null;
  const returnMs = type === 'info' ? Number.POSITIVE_INFINITY : timeMs;
  const base = {
    id,
    process,
    logicalProcess: p.logicalProcess,
    key: p.key,
    callMs: p.callMs,
    returnMs,
    ...(p.line === undefined ? {} : { line: p.line }),
  };
  switch (p.f) {
    case 'read':
      return { ...base, f: 'read', input: null, output };
    case 'write':
      return { ...base, f: 'write', input: p.input as Scalar, output: null };
    case 'cas':
      return { ...base, f: 'cas', input: p.input as CasPair, output: null };
  }
}

function checkProcess(process: unknown): void {
  if (!(typeof process === 'string' || (typeof process === 'number' && Number.isSafeInteger(process)))) {
    throw new InvalidArgumentError(`process must be an integer or a string, got ${JSON.stringify(process)}`);
  }
}

function checkTime(timeMs: number): void {
  if (!Number.isFinite(timeMs)) throw new InvalidArgumentError(`time must be a finite number, got ${timeMs}`);
}

function checkInput(f: OpF, value: unknown): Scalar | CasPair {
  switch (f) {
    case 'read':
      return null;
    case 'write':
      if (!isScalar(value)) throw new InvalidArgumentError(`write value must be a JSON scalar, got ${JSON.stringify(value)}`);
      return value;
    case 'cas':
      if (!Array.isArray(value) || value.length !== 2 || !isScalar(value[0]) || !isScalar(value[1])) {
        throw new InvalidArgumentError(`cas value must be [expected, new] of JSON scalars, got ${JSON.stringify(value)}`);
      }
      return [value[0], value[1]] as const;
    default:
      throw new InvalidArgumentError(`unknown f ${JSON.stringify(f)}: expected read, write or cas`);
  }
}
