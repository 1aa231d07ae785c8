import { CheckLimits } from './limits.js';
import type { Model } from './models.js';
import { type Operation, type OperationView, viewOperation } from './types.js';

/** Why one key's sub-history is not linearizable. */
export interface Failure {
  readonly key: string;
  /** Operations in the longest linearisable prefix the search found. */
  readonly prefixLength: number;
  /** Its last operations, in linearisation order (at most `CheckLimits.explainPrefixOpsMax`). */
  readonly prefixTail: readonly OperationView[];
  /** The model state after that prefix. */
  readonly stateAfterPrefix: unknown;
  /**
   * The operation whose completion the search could not get past: it, or some operation
   * concurrent with it, had to be linearised next and none could be.
   */
  readonly blockedBy: OperationView | null;
  /**
   * Operations that could come next in real-time order after the prefix (their invocation is
   * no later than the blocking completion), each marked with whether the model even allows it
   * in that state. None of them extends the prefix to a full linearisation.
   */
  readonly cannotOrder: readonly (OperationView & { readonly allowedNext: boolean })[];
  /** True when `cannotOrder` was cut to `CheckLimits.explainStuckOpsMax` entries. */
  readonly cannotOrderTruncated: boolean;
}

/**
 * Build a failure report from the longest prefix the search found on `ops`. `original` maps a
 * searched op to the op as it appeared in the history (they differ after `pruneIndeterminate`).
 */
export function explainFailure<S>(
  key: string,
  ops: readonly Operation[],
  model: Model<S>,
  longestPrefix: readonly number[],
  original: (op: Operation) => Operation = (op) => op,
): Failure {
  const view = (op: Operation): OperationView => viewOperation(original(op));
  let state = model.init();
  const done = new Set<number>();
  for (const i of longestPrefix) {
    const r = model.step(state, ops[i]!);
    if (r.ok) state = r.next;
    done.add(i);
  }
  let blocking: Operation | null = null;
  for (let i = 0; i < ops.length; i++) {
    const op = ops[i]!;
    if (done.has(i) || !Number.isFinite(op.returnMs)) continue;
    if (blocking === null || op.returnMs < blocking.returnMs) blocking = op;
  }
  const horizon = blocking?.returnMs ?? Number.POSITIVE_INFINITY;
  const candidates: Operation[] = [];
  for (let i = 0; i < ops.length; i++) {
    const op = ops[i]!;
    if (!done.has(i) && op.callMs <= horizon) candidates.push(op);
  }
  candidates.sort((a, b) => a.callMs - b.callMs || a.id - b.id);
  const shown = candidates.slice(0, CheckLimits.explainStuckOpsMax);
  return {
    key,
    prefixLength: longestPrefix.length,
    prefixTail: longestPrefix.slice(-CheckLimits.explainPrefixOpsMax).map((i) => view(ops[i]!)),
    stateAfterPrefix: model.show(state),
    blockedBy: blocking === null ? null : view(blocking),
    cannotOrder: shown.map((op) => ({ ...view(op), allowedNext: model.step(state, op).ok })),
    cannotOrderTruncated: candidates.length > shown.length,
  };
}
