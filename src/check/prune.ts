import { CheckLimits } from './limits.js';
import { isIndeterminate, type Operation, type Scalar } from './types.js';

/**
 * Simplify one key's sub-history for a register model (state = the value) without changing
 * its verdict, by reasoning about indeterminate writes and cas (`returnMs === Infinity`),
 * which otherwise make the search branch at every later point:
 *
 * 1. Unobserved: if no read returns value v and no cas expects v, an indeterminate op that
 *    would set v is dropped. In any linearization using it, the stretch where the register
 *    holds v contains no op that depends on v, so removing it (and leaving out any
 *    indeterminate cas that was a no-op there) is still a linearization; and "never took
 *    effect" is always allowed.
 * 2. Uniquely sourced and observed: if the op is the only one that sets v (v not null, the
 *    initial state) and some determinate op observes v (a read returning v or a successful
 *    cas expecting v), then every linearization applies the op before that observer, so the
 *    op must have taken effect no later than the earliest such observer's return. It becomes
 *    determinate with that return time.
 *
 * Repeats until nothing changes (at most `CheckLimits.pruneRoundsMax` rounds). Returns new
 * operation objects for the changed ops (same `id`); others are passed through.
 */
export function pruneIndeterminate(ops: readonly Operation[]): Operation[] {
  let current = [...ops];
  for (let round = 0; round < CheckLimits.pruneRoundsMax; round++) {
    const next = pruneOnce(current);
    if (next === null) break;
    current = next;
  }
  return current;
}

function pruneOnce(ops: readonly Operation[]): Operation[] | null {
  if (!ops.some(isIndeterminate)) return null;
  const sources = new Map<Scalar, number>();
  const observedBy = new Map<Scalar, number>();
  const determinateObserverReturnMs = new Map<Scalar, number>();
  const observe = (v: Scalar, returnMs: number): void => {
    observedBy.set(v, (observedBy.get(v) ?? 0) + 1);
    if (Number.isFinite(returnMs)) {
      determinateObserverReturnMs.set(v, Math.min(determinateObserverReturnMs.get(v) ?? returnMs, returnMs));
    }
  };
  for (const op of ops) {
    if (op.f === 'read') observe(op.output, op.returnMs);
    else if (op.f === 'write') sources.set(op.input, (sources.get(op.input) ?? 0) + 1);
    else {
      observe(op.input[0], op.returnMs);
      sources.set(op.input[1], (sources.get(op.input[1]) ?? 0) + 1);
    }
  }
  let changed = false;
  const out: Operation[] = [];
  for (const op of ops) {
    if (op.f === 'read' || !isIndeterminate(op)) {
      out.push(op);
      continue;
    }
    const v = op.f === 'write' ? op.input : op.input[1];
    if (!observedBy.has(v)) {
      changed = true;
      continue;
    }
    const observerReturnMs = determinateObserverReturnMs.get(v);
    if (v !== null && sources.get(v) === 1 && observerReturnMs !== undefined) {
      changed = true;
      out.push({ ...op, returnMs: Math.max(op.callMs, observerReturnMs) });
      continue;
    }
    out.push(op);
  }
  return changed ? out : null;
}
