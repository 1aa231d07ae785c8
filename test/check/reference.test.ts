import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Budget } from '../../src/check/budget.js';
import { checkHistory } from '../../src/check/checker.js';
import { HistoryBuilder } from '../../src/check/history.js';
import { casRegisterModel } from '../../src/check/models.js';
import { pruneIndeterminate } from '../../src/check/prune.js';
import { searchLinearization } from '../../src/check/search.js';
import type { Operation, Scalar } from '../../src/check/types.js';

/**
 * The definition, by brute force: some order of the ops respects real time (an op can go next
 * only if it was invoked no later than every remaining determinate op returned) and the model;
 * indeterminate ops may be left out.
 */
function bruteForce(ops: readonly Operation[]): boolean {
  const go = (remaining: readonly Operation[], state: Scalar): boolean => {
    if (remaining.every((o) => !Number.isFinite(o.returnMs))) return true;
    const horizon = Math.min(...remaining.map((o) => o.returnMs));
    return remaining.some((op, i) => {
      if (op.callMs > horizon) return false;
      const r = casRegisterModel.step(state, op);
      return r.ok && go([...remaining.slice(0, i), ...remaining.slice(i + 1)], r.next);
    });
  };
  return go(ops, null);
}

const value = fc.constantFrom<Scalar>(null, 1, 2, 3);
const arbOp = fc.record({
  f: fc.constantFrom('read', 'write', 'cas', 'write', 'read'),
  v: value,
  v2: value,
  call: fc.integer({ min: 0, max: 20 }),
  dur: fc.integer({ min: 0, max: 10 }),
  type: fc.constantFrom('ok', 'ok', 'ok', 'info'),
});

interface Spec {
  readonly f: string;
  readonly v: Scalar;
  readonly v2: Scalar;
  readonly call: number;
  readonly dur: number;
  readonly type: string;
}

function build(specs: readonly Spec[]): Operation[] {
  const b = new HistoryBuilder();
  specs.forEach((s, i) => {
    const f = s.f as 'read' | 'write' | 'cas';
    b.add({
      process: i,
      f,
      key: 'x',
      value: f === 'cas' ? [s.v, s.v2] : s.v,
      output: s.v,
      type: f === 'read' ? 'ok' : (s.type as 'ok' | 'info'),
      callMs: s.call,
      returnMs: s.call + s.dur,
    });
  });
  return b.build();
}

describe('search against the definition', () => {
  it('agrees with brute force on small random cas-register histories (with info ops)', () => {
    let invalid = 0;
    fc.assert(
      fc.property(fc.array(arbOp, { minLength: 1, maxLength: 6 }), (specs) => {
        const ops = build(specs);
        const expected = bruteForce(ops);
        if (!expected) invalid++;
        expect(checkHistory(ops).valid).toBe(expected);
      }),
      { numRuns: 600 },
    );
    expect(invalid).toBeGreaterThan(50);
  });

  it('pruning indeterminate ops never changes the verdict', () => {
    fc.assert(
      fc.property(fc.array(arbOp, { minLength: 1, maxLength: 9 }), (specs) => {
        const ops = build(specs);
        const plain = searchLinearization(ops, casRegisterModel, new Budget()).kind;
        const pruned = searchLinearization(pruneIndeterminate(ops), casRegisterModel, new Budget()).kind;
        expect(pruned).toBe(plain);
      }),
      { numRuns: 600 },
    );
  });

  it('pruning drops an unobserved info write and makes an observed unique one determinate', () => {
    const ops = build([
      { f: 'write', v: 1, v2: null, call: 0, dur: 0, type: 'info' },
      { f: 'write', v: 2, v2: null, call: 0, dur: 0, type: 'info' },
      { f: 'read', v: 2, v2: null, call: 5, dur: 3, type: 'ok' },
    ]);
    const pruned = pruneIndeterminate(ops);
    expect(pruned.map((o) => [o.f, o.input, o.returnMs])).toEqual([
      ['write', 2, 8],
      ['read', null, 8],
    ]);
  });
});
