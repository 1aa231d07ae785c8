import { describe, expect, it } from 'vitest';
import { type NodeId, logIndex, nodeId, term } from '../../src/core/ids.js';
import type { Entry } from '../../src/raft/types.js';
import { entryDigest, SafetyChecker } from '../../src/sim/safety.js';

const enc = new TextEncoder();
const e = (index: number, t: number, text = `${index}`): Entry => ({
  index: logIndex(index),
  term: term(t),
  type: 'normal',
  data: enc.encode(text),
});
const n = (id: number): NodeId => nodeId(id);

describe('SafetyChecker', () => {
  it('flags two leaders in one term, not one leader seen twice', () => {
    const c = new SafetyChecker();
    c.onLeader(1, n(1), 3);
    c.onLeader(2, n(1), 3);
    c.onLeader(3, n(2), 4);
    expect(c.ok).toBe(true);
    c.onLeader(4, n(3), 4);
    expect(c.violations.map((v) => v.kind)).toEqual(['election-safety']);
  });

  it('flags log-matching: same index and term, different command or predecessor', () => {
    const c = new SafetyChecker();
    c.onEntries(0, n(1), [e(1, 1), e(2, 1)], 0);
    c.onEntries(0, n(2), [e(1, 1), e(2, 1)], 0);
    expect(c.ok).toBe(true);
    c.onEntries(0, n(3), [e(2, 1, 'other')], 1);
    expect(c.violations[0]?.kind).toBe('log-matching');
    const d = new SafetyChecker();
    d.onEntries(0, n(1), [e(3, 2)], 1);
    d.onEntries(0, n(2), [e(3, 2)], 2);
    expect(d.violations[0]?.message).toMatch(/follows term 2, elsewhere term 1/);
  });

  it('flags different entries applied at one index', () => {
    const c = new SafetyChecker();
    c.onApplied(0, n(1), 1, e(1, 1));
    c.onApplied(0, n(2), 1, e(1, 1));
    expect(c.ok).toBe(true);
    c.onApplied(5, n(3), 2, e(1, 2));
    expect(c.violations[0]).toMatchObject({ kind: 'state-machine-safety', atMs: 5 });
  });

  it('flags a leader of a later term that lacks a committed entry, but not of an earlier term', () => {
    const c = new SafetyChecker();
    c.onApplied(0, n(1), 4, e(1, 4));
    // A leader of term 3 (elected before the commit in term 4) need not hold it.
    c.checkLeaderCompleteness(1, n(2), 3, 1, () => 3);
    expect(c.ok).toBe(true);
    c.checkLeaderCompleteness(2, n(2), 5, 1, () => 4);
    expect(c.ok).toBe(true);
    c.checkLeaderCompleteness(3, n(3), 5, 1, () => 3);
    expect(c.violations[0]?.kind).toBe('leader-completeness');
    const d = new SafetyChecker();
    d.onApplied(0, n(1), 4, e(2, 4));
    d.checkLeaderCompleteness(1, n(2), 6, 1, () => undefined);
    expect(d.violations[0]?.message).toMatch(/lacks committed entry 2@t4/);
  });

  it('keeps only the first violations', () => {
    const c = new SafetyChecker();
    for (let i = 0; i < 100; i++) c.report('invariant', i, 'x');
    expect(c.violations.length).toBeLessThan(100);
  });

  it('digests entries by type and data', () => {
    expect(entryDigest(e(1, 1, 'a'))).toBe(entryDigest(e(9, 9, 'a')));
    expect(entryDigest(e(1, 1, 'a'))).not.toBe(entryDigest(e(1, 1, 'b')));
    expect(entryDigest({ ...e(1, 1, 'a'), type: 'confChange' })).not.toBe(entryDigest(e(1, 1, 'a')));
  });
});
