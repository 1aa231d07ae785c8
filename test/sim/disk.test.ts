import { describe, expect, it } from 'vitest';
import { type LogIndex, type NodeId, type Term, logIndex, term } from '../../src/core/ids.js';
import type { Entry } from '../../src/raft/types.js';
import { SimDisk } from '../../src/sim/disk.js';

const enc = new TextEncoder();
function entry(index: number, t: number, text = `e${index}`): Entry {
  return { index: logIndex(index), term: term(t), type: 'normal', data: enc.encode(text) };
}
const conf = { voters: [1 as NodeId], learners: [], votersOutgoing: [] };
const hs = (t: number, commit: number) => ({ term: t as Term, vote: 1 as NodeId, commit: commit as LogIndex });

describe('SimDisk', () => {
  it('a crash loses every write not yet fsynced, and only those', () => {
    const d = new SimDisk();
    d.write({ hardState: hs(1, 0), entries: [entry(1, 1), entry(2, 1)] });
    d.sync();
    d.write({ hardState: hs(2, 2), entries: [entry(3, 2)] });
    d.write({ entries: [entry(4, 2)] });
    expect(d.unsyncedWrites).toBe(2);
    expect(d.crash()).toBe(2);
    expect(d.lastIndex()).toBe(2);
    expect(d.initialState().hardState).toEqual(hs(1, 0));
    expect(d.entries(logIndex(1), logIndex(3), Number.POSITIVE_INFINITY).map((e) => e.index)).toEqual([1, 2]);
  });

  it('syncs writes in order, truncating a conflicting suffix', () => {
    const d = new SimDisk();
    d.write({ entries: [entry(1, 1), entry(2, 1), entry(3, 1)] });
    d.write({ entries: [entry(2, 2, 'new')] });
    expect(d.lastIndex()).toBe(0);
    d.sync();
    expect(d.lastIndex()).toBe(2);
    expect(d.term(logIndex(2))).toBe(2);
    expect(() => d.term(logIndex(3))).toThrow(/log ends/);
  });

  it('compacts into a snapshot and answers the RaftStorage contract', () => {
    const d = new SimDisk();
    d.write({ entries: [1, 2, 3, 4, 5].map((i) => entry(i, 1)) });
    d.sync();
    d.compact(logIndex(3), term(1), conf, enc.encode('state'));
    expect(d.firstIndex()).toBe(4);
    expect(d.lastIndex()).toBe(5);
    expect(d.term(logIndex(3))).toBe(1);
    expect(() => d.term(logIndex(2))).toThrow(/compacted/);
    expect(() => d.entries(logIndex(3), logIndex(5), 100)).toThrow(/compacted/);
    expect(d.snapshot().metadata.index).toBe(3);
    expect(d.initialState().confState).toEqual(conf);
    // maxBytes: at least one entry, then stop before exceeding.
    expect(d.entries(logIndex(4), logIndex(6), 1)).toHaveLength(1);
    expect(d.entries(logIndex(4), logIndex(6), 100)).toHaveLength(2);
  });

  it('installing a snapshot from the leader replaces the log', () => {
    const d = new SimDisk();
    d.write({ entries: [entry(1, 1), entry(2, 1)] });
    d.sync();
    d.write({
      snapshot: { metadata: { index: logIndex(10), term: term(3), confState: conf }, data: enc.encode('x') },
      entries: [],
    });
    d.sync();
    expect(d.firstIndex()).toBe(11);
    expect(d.lastIndex()).toBe(10);
    expect(d.term(logIndex(10))).toBe(3);
    d.write({ entries: [entry(11, 3)] });
    d.sync();
    expect(d.lastIndex()).toBe(11);
  });

  it('refuses a gap in the log', () => {
    const d = new SimDisk();
    d.write({ entries: [entry(3, 1)] });
    expect(() => d.sync()).toThrow(/gap/);
  });
});
