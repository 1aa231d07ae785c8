import { describe, expect, it } from 'vitest';
import { checkHistory } from '../../src/check/checker.js';
import { SimHistory } from '../../src/sim/history.js';

describe('SimHistory', () => {
  it('drops indeterminate writes nobody observed, keeps observed ones', () => {
    const h = new SimHistory();
    h.invoke(0, 'write', 'x', 1, 0);
    h.complete(0, 'ok', 1);
    h.invoke(1, 'write', 'x', 2, 2);
    h.complete(1, 'info', 3); // never read: dropped
    h.invoke(2, 'write', 'x', 3, 4);
    h.complete(2, 'info', 5); // read below: kept
    h.invoke(0, 'read', 'x', null, 6);
    h.complete(0, 'ok', 7, 3);
    h.invoke(3, 'cas', 'x', [3, 4], 8); // pending at the end, 4 never seen: dropped
    const { ops, droppedUnobserved } = h.toOperations();
    expect(droppedUnobserved).toBe(2);
    expect(ops.map((o) => [o.f, o.input])).toEqual([
      ['write', 1],
      ['write', 3],
      ['read', null],
    ]);
    expect(checkHistory(ops).valid).toBe(true);
    expect(h.counts()).toEqual({ invoked: 5, ok: 2, fail: 0, info: 3 });
  });

  it('keeps a stale read visible to the checker', () => {
    const h = new SimHistory();
    h.invoke(0, 'write', 'x', 1, 0);
    h.complete(0, 'ok', 1);
    h.invoke(0, 'write', 'x', 2, 2);
    h.complete(0, 'ok', 3);
    h.invoke(1, 'read', 'x', null, 4);
    h.complete(1, 'ok', 5, 1);
    expect(checkHistory(h.toOperations().ops).valid).toBe(false);
  });

  it('drops failed operations (they did not take effect)', () => {
    const h = new SimHistory();
    h.invoke(0, 'cas', 'x', [5, 6], 0);
    h.complete(0, 'fail', 1);
    h.invoke(0, 'read', 'x', null, 2);
    h.complete(0, 'ok', 3, null);
    const { ops } = h.toOperations();
    expect(ops).toHaveLength(1);
    expect(checkHistory(ops).valid).toBe(true);
  });
});
