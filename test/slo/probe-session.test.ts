import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkProbeId, failoverOrder, failsOver, ProbeSession } from '../../src/slo/probe-session.js';

describe('ProbeSession', () => {
  it('writes sequence numbers to its slot keys in turn', () => {
    const s = new ProbeSession('p1', 4);
    const writes = Array.from({ length: 6 }, () => s.nextWrite());
    expect(writes.map((w) => w.key)).toEqual([
      'nines-probe/p1/1',
      'nines-probe/p1/2',
      'nines-probe/p1/3',
      'nines-probe/p1/0',
      'nines-probe/p1/1',
      'nines-probe/p1/2',
    ]);
    expect(writes.map((w) => w.value)).toEqual(['1', '2', '3', '4', '5', '6']);
  });

  it('reads nothing before a write is acknowledged, then the newest acknowledged key', () => {
    const s = new ProbeSession('p1', 4);
    const w1 = s.nextWrite();
    s.writeDone(w1, false);
    expect(s.nextRead()).toBeUndefined();
    const w2 = s.nextWrite();
    s.writeDone(w2, true);
    const w3 = s.nextWrite();
    s.writeDone(w3, false);
    expect(s.nextRead()).toEqual({ kind: 'read', key: 'nines-probe/p1/2', minSeq: 2 });
  });

  it('accepts the acknowledged value or a later write of the same key, and nothing else', () => {
    const s = new ProbeSession('p1', 4);
    for (let i = 0; i < 2; i++) s.writeDone(s.nextWrite(), true); // acked #2 (slot 2)
    for (let i = 0; i < 5; i++) s.writeDone(s.nextWrite(), false); // #3..#7 unknown; #6 is slot 2
    const r = s.nextRead()!;
    expect(r.minSeq).toBe(2);
    expect(s.checkRead(r, '2').ok).toBe(true);
    expect(s.checkRead(r, '6').ok).toBe(true); // a later write (outcome unknown) to the same key
    expect(s.checkRead(r, '3').ok).toBe(false); // another slot's value
    expect(s.checkRead(r, '10').ok).toBe(false); // never written
    expect(s.checkRead(r, undefined)).toMatchObject({ ok: false, error: 'STALE_READ' });
    expect(s.checkRead(r, 'x')).toMatchObject({ ok: false, error: 'STALE_READ' });
  });

  it('property: a value older than the acknowledged one is always stale', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 50 }), fc.integer({ min: 1, max: 8 }), (n, slots) => {
        const s = new ProbeSession('p', slots);
        for (let i = 0; i < n; i++) s.writeDone(s.nextWrite(), true);
        const r = s.nextRead()!;
        expect(r.minSeq).toBe(n);
        expect(s.checkRead(r, String(n)).ok).toBe(true);
        for (let old = Math.max(1, n - 3 * slots); old < n; old++) expect(s.checkRead(r, String(old)).ok).toBe(false);
      }),
    );
  });

  it('rejects bad ids naming the flag', () => {
    expect(() => checkProbeId('a/b')).toThrow(/--id "a\/b"/);
    expect(() => checkProbeId('')).toThrow(/--id/);
    expect(checkProbeId('probe-1.a_b')).toBe('probe-1.a_b');
  });
});

describe('failover', () => {
  it('tries every endpoint once, starting with the preferred one', () => {
    expect(failoverOrder(0, 3)).toEqual([0, 1, 2]);
    expect(failoverOrder(2, 3)).toEqual([2, 0, 1]);
    expect(failoverOrder(0, 1)).toEqual([0]);
  });

  it('fails over on no answer, 429 and 5xx, not on client errors', () => {
    expect([0, 429, 500, 503, 504].map(failsOver)).toEqual([true, true, true, true, true]);
    expect([200, 400, 404, 409, 413].map(failsOver)).toEqual([false, false, false, false, false]);
  });
});
