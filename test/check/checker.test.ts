import { describe, expect, it } from 'vitest';
import { checkHistory, checkWhole } from '../../src/check/checker.js';
import { kvModel } from '../../src/check/models.js';
import { history } from './helpers.js';

describe('checkHistory: classic register histories', () => {
  it('a sequential write then read of the value is linearizable', () => {
    const r = checkHistory(history([
      { p: 0, f: 'write', v: 1, call: 0, ret: 10 },
      { p: 1, f: 'read', out: 1, call: 20, ret: 30 },
    ]), { model: 'register' });
    expect(r.valid).toBe(true);
    expect(r.opsChecked).toBe(2);
    expect(r.keysChecked).toBe(1);
  });

  it('a stale read after a completed write is not linearizable', () => {
    const r = checkHistory(history([
      { p: 0, f: 'write', v: 1, call: 0, ret: 10 },
      { p: 0, f: 'write', v: 2, call: 20, ret: 30 },
      { p: 1, f: 'read', out: 1, call: 40, ret: 50 },
    ]), { model: 'register' });
    expect(r.valid).toBe(false);
    expect(r.failure?.key).toBe('x');
    expect(r.failure?.prefixLength).toBe(2);
    expect(r.failure?.stateAfterPrefix).toBe(2);
    expect(r.failure?.blockedBy).toMatchObject({ process: 1, f: 'read', output: 1, invokeMs: 40, completeMs: 50 });
    expect(r.failure?.cannotOrder.map((o) => o.allowedNext)).toEqual([false]);
  });

  it('a read of the initial state after a completed write is not linearizable', () => {
    const r = checkHistory(history([
      { p: 0, f: 'write', v: 1, call: 0, ret: 10 },
      { p: 1, f: 'read', out: null, call: 11, ret: 12 },
    ]));
    expect(r.valid).toBe(false);
  });

  it('concurrent writes may be seen in either order by concurrent reads', () => {
    for (const [a, b] of [[1, 2], [2, 1]] as const) {
      const r = checkHistory(history([
        { p: 0, f: 'write', v: 1, call: 0, ret: 100 },
        { p: 1, f: 'write', v: 2, call: 0, ret: 100 },
        { p: 2, f: 'read', out: a, call: 10, ret: 20 },
        { p: 2, f: 'read', out: b, call: 30, ret: 40 },
      ]), { model: 'register' });
      expect(r.valid).toBe(true);
    }
  });

  it('two readers may not see concurrent writes in opposite orders once both reads are sequential', () => {
    const r = checkHistory(history([
      { p: 0, f: 'write', v: 1, call: 0, ret: 100 },
      { p: 1, f: 'write', v: 2, call: 0, ret: 100 },
      { p: 2, f: 'read', out: 1, call: 10, ret: 20 },
      { p: 2, f: 'read', out: 2, call: 30, ret: 40 },
      { p: 3, f: 'read', out: 1, call: 50, ret: 60 },
    ]), { model: 'register' });
    expect(r.valid).toBe(false);
  });

  it('a read of a value never written is not linearizable', () => {
    const r = checkHistory(history([
      { p: 0, f: 'write', v: 1, call: 0, ret: 10 },
      { p: 1, f: 'read', out: 7, call: 0, ret: 20 },
    ]));
    expect(r.valid).toBe(false);
    expect(r.failure?.cannotOrder.some((o) => o.f === 'read' && o.output === 7)).toBe(true);
  });

  it('a read overlapping a write may see the old or the new value', () => {
    for (const out of [null, 1]) {
      const r = checkHistory(history([
        { p: 0, f: 'write', v: 1, call: 0, ret: 100 },
        { p: 1, f: 'read', out, call: 10, ret: 20 },
      ]));
      expect(r.valid).toBe(true);
    }
  });

  it('intervals that touch (return time == call time) count as concurrent', () => {
    const r = checkHistory(history([
      { p: 0, f: 'write', v: 1, call: 0, ret: 10 },
      { p: 1, f: 'read', out: null, call: 10, ret: 20 },
    ]));
    expect(r.valid).toBe(true);
  });
});

describe('cas-register', () => {
  it('a successful cas chain is linearizable', () => {
    const r = checkHistory(history([
      { p: 0, f: 'write', v: 1, call: 0, ret: 10 },
      { p: 1, f: 'cas', v: [1, 2], call: 20, ret: 30 },
      { p: 2, f: 'cas', v: [2, 3], call: 40, ret: 50 },
      { p: 0, f: 'read', out: 3, call: 60, ret: 70 },
    ]), { model: 'cas-register' });
    expect(r.valid).toBe(true);
  });

  it('a successful cas whose expected value is not current is not linearizable', () => {
    const r = checkHistory(history([
      { p: 0, f: 'write', v: 1, call: 0, ret: 10 },
      { p: 1, f: 'cas', v: [5, 2], call: 20, ret: 30 },
    ]), { model: 'cas-register' });
    expect(r.valid).toBe(false);
  });

  it('two concurrent cas from the same value cannot both succeed', () => {
    const r = checkHistory(history([
      { p: 0, f: 'write', v: 0, call: 0, ret: 10 },
      { p: 1, f: 'cas', v: [0, 1], call: 20, ret: 40 },
      { p: 2, f: 'cas', v: [0, 2], call: 20, ret: 40 },
    ]));
    expect(r.valid).toBe(false);
  });

  it('a failed cas is ignored', () => {
    const r = checkHistory(history([
      { p: 0, f: 'write', v: 0, call: 0, ret: 10 },
      { p: 1, f: 'cas', v: [0, 1], call: 20, ret: 40 },
      { p: 2, f: 'cas', v: [0, 2], call: 20, ret: 'fail' },
      { p: 2, f: 'read', out: 1, call: 50, ret: 60 },
    ]));
    expect(r.valid).toBe(true);
    expect(r.opsTotal).toBe(3);
  });

  it('the register model rejects cas, naming the model to use', () => {
    const ops = history([{ p: 0, f: 'cas', v: [null, 1], call: 0, ret: 1 }]);
    expect(() => checkHistory(ops, { model: 'register' })).toThrow(/cas-register/);
  });
});

describe('fail and info operations', () => {
  it('a failed write did not take effect', () => {
    const ops = history([
      { p: 0, f: 'write', v: 1, call: 0, ret: 'fail' },
      { p: 1, f: 'read', out: 1, call: 20, ret: 30 },
    ]);
    expect(checkHistory(ops).valid).toBe(false);
  });

  it('an info write that must have taken effect to explain a later read is valid', () => {
    const r = checkHistory(history([
      { p: 0, f: 'write', v: 1, call: 0, ret: 'info' },
      { p: 1, f: 'read', out: null, call: 10, ret: 20 },
      { p: 1, f: 'read', out: 1, call: 1000, ret: 1010 },
      { p: 1, f: 'read', out: 1, call: 2000, ret: 2010 },
    ]));
    expect(r.valid).toBe(true);
  });

  it('an info write whose value is never read is valid', () => {
    const r = checkHistory(history([
      { p: 0, f: 'write', v: 1, call: 0, ret: 'info' },
      { p: 1, f: 'read', out: null, call: 10, ret: 20 },
      { p: 1, f: 'read', out: null, call: 1000, ret: 1010 },
    ]));
    expect(r.valid).toBe(true);
  });

  it('an info write cannot take effect before its invocation', () => {
    const r = checkHistory(history([
      { p: 1, f: 'read', out: 1, call: 0, ret: 10 },
      { p: 0, f: 'write', v: 1, call: 20, ret: 'info' },
    ]));
    expect(r.valid).toBe(false);
  });

  it('an info write takes effect at most once: a value cannot come back after being overwritten', () => {
    const r = checkHistory(history([
      { p: 0, f: 'write', v: 1, call: 0, ret: 'info' },
      { p: 1, f: 'read', out: 1, call: 10, ret: 20 },
      { p: 1, f: 'write', v: 2, call: 30, ret: 40 },
      { p: 1, f: 'read', out: 1, call: 50, ret: 60 },
    ]));
    expect(r.valid).toBe(false);
  });

  it('an info cas may have applied or not', () => {
    const base = [
      { p: 0, f: 'write', v: 1, call: 0, ret: 10 },
      { p: 0, f: 'cas', v: [1, 2], call: 20, ret: 'info' },
    ] as const;
    for (const out of [1, 2]) {
      expect(checkHistory(history([...base, { p: 1, f: 'read', out, call: 100, ret: 110 }])).valid).toBe(true);
    }
    expect(checkHistory(history([...base, { p: 1, f: 'read', out: 3, call: 100, ret: 110 }])).valid).toBe(false);
  });

  it('a process that invokes again after an info op becomes a new logical process, concurrent with it', () => {
    const ops = history([
      { p: 0, f: 'write', v: 1, call: 0, ret: 'info' },
      { p: 0, f: 'read', out: null, call: 10, ret: 20 },
      { p: 0, f: 'read', out: 1, call: 30, ret: 40 },
    ]);
    expect(ops[0]!.logicalProcess).not.toBe(ops[1]!.logicalProcess);
    expect(ops[1]!.logicalProcess).toBe(ops[2]!.logicalProcess);
    expect(checkHistory(ops).valid).toBe(true);
  });
});

describe('per-key decomposition', () => {
  it('checks keys independently and names the failing key', () => {
    const r = checkHistory(history([
      { p: 0, f: 'write', v: 1, call: 0, ret: 10, key: 'a' },
      { p: 1, f: 'write', v: 1, call: 0, ret: 10, key: 'b' },
      { p: 0, f: 'read', out: 1, call: 20, ret: 30, key: 'a' },
      { p: 1, f: 'read', out: null, call: 20, ret: 30, key: 'b' },
    ]));
    expect(r.valid).toBe(false);
    expect(r.failure?.key).toBe('b');
    expect(r.keysTotal).toBe(2);
  });

  it('a read of one key is not explained by a write to another', () => {
    const ops = history([
      { p: 0, f: 'write', v: 1, call: 0, ret: 10, key: 'a' },
      { p: 1, f: 'read', out: 1, call: 20, ret: 30, key: 'b' },
    ]);
    expect(checkHistory(ops).valid).toBe(false);
    expect(checkWhole(ops, kvModel)).toBe('illegal');
  });

  it('agrees with the whole-map kv model on a multi-key history', () => {
    const ops = history([
      { p: 0, f: 'write', v: 1, call: 0, ret: 50, key: 'a' },
      { p: 1, f: 'write', v: 2, call: 0, ret: 50, key: 'b' },
      { p: 2, f: 'read', out: 1, call: 10, ret: 20, key: 'a' },
      { p: 2, f: 'read', out: null, call: 25, ret: 30, key: 'b' },
      { p: 3, f: 'cas', v: [2, 3], call: 60, ret: 70, key: 'b' },
    ]);
    expect(checkHistory(ops, { model: 'kv' }).valid).toBe(true);
    expect(checkWhole(ops, kvModel)).toBe('linearizable');
  });
});

describe('time budget', () => {
  // Many concurrent writes of distinct values followed by a read of a value never written:
  // the search must try every interleaving before giving up.
  const hard = history([
    ...Array.from({ length: 14 }, (_, i) => ({ p: i, f: 'write' as const, v: i, call: 0, ret: 100 })),
    ...Array.from({ length: 14 }, (_, i) => ({ p: 20 + i, f: 'read' as const, out: i, call: 1, ret: 99 })),
    { p: 40, f: 'read', out: 99, call: 1, ret: 99 },
  ]);

  it('returns unknown when the step budget runs out', () => {
    const r = checkHistory(hard, { stepsMax: 1000 });
    expect(r.valid).toBe('unknown');
    expect(r.unknownKeys).toEqual(['x']);
    expect(r.steps).toBe(1000);
  });

  it('returns unknown when the injected clock passes the deadline', () => {
    let now = 0;
    const r = checkHistory(hard, { nowMs: () => (now += 1), timeoutMs: 50, stepsPerClockCheck: 10 });
    expect(r.valid).toBe('unknown');
    expect(r.steps).toBeLessThan(1000);
  });

  it('still finds an easy key invalid even if another key is undecided', () => {
    const easy = history([
      { p: 0, f: 'write', v: 1, call: 0, ret: 10, key: 'a' },
      { p: 1, f: 'read', out: 5, call: 20, ret: 30, key: 'a' },
    ]);
    expect(checkHistory([...easy, ...hard.map((o) => ({ ...o, id: o.id + 2 }))], { stepsMax: 2000 }).valid).toBe(false);
  });
});

describe('edges', () => {
  it('an empty history is linearizable', () => {
    expect(checkHistory([])).toMatchObject({ valid: true, keysTotal: 0, opsChecked: 0 });
  });

  it('a deadline needs an injected clock', () => {
    expect(() => checkHistory([], { timeoutMs: 10 })).toThrow(/nowMs/);
  });

  it('reports an indeterminate op with a null completion time', () => {
    const r = checkHistory(history([
      { p: 0, f: 'write', v: 1, call: 0, ret: 'info' },
      { p: 0, f: 'write', v: 2, call: 1, ret: 'info' },
      { p: 1, f: 'read', out: 1, call: 5, ret: 6 },
      { p: 1, f: 'read', out: 2, call: 7, ret: 8 },
      { p: 1, f: 'read', out: 1, call: 9, ret: 10 },
    ]));
    expect(r.valid).toBe(false);
    expect(r.failure?.prefixTail.some((o) => o.indeterminate && o.completeMs === null)).toBe(true);
  });
});
