import { describe, expect, it } from 'vitest';
import { type LogIndex, type NodeId, nodeId } from '../../src/core/ids.js';
import { committedIndex, quorumSize, quorumTime, voteResult } from '../../src/raft/quorum.js';
import { Inflights } from '../../src/raft/inflights.js';
import { Progress } from '../../src/raft/progress.js';

const ids = (...xs: number[]): NodeId[] => xs.map(nodeId);

describe('quorum maths', () => {
  it('majority sizes', () => {
    expect([1, 2, 3, 4, 5, 6, 7].map(quorumSize)).toEqual([1, 2, 2, 3, 3, 4, 4]);
  });

  const table: [number[], number][] = [
    [[5], 5],
    [[5, 3], 3],
    [[5, 3, 1], 3],
    [[1, 5, 3, 4], 3],
    [[9, 9, 2, 2, 2], 2],
    [[9, 9, 9, 2, 2], 9],
  ];
  for (const [matches, want] of table) {
    it(`committedIndex(${matches.join(',')}) = ${want}`, () => {
      const voters = matches.map((_, i) => nodeId(i + 1));
      expect(committedIndex(voters, (id) => matches[id - 1] as LogIndex)).toBe(want);
    });
  }

  it('vote results', () => {
    const v = ids(1, 2, 3);
    expect(voteResult(v, new Map([[nodeId(1), true]]))).toBe('pending');
    expect(voteResult(v, new Map([[nodeId(1), true], [nodeId(2), true]]))).toBe('won');
    expect(voteResult(v, new Map([[nodeId(2), false], [nodeId(3), false]]))).toBe('lost');
    expect(voteResult(v, new Map([[nodeId(9), true], [nodeId(1), true]]))).toBe('pending');
  });

  it('quorumTime is the time a majority has reached', () => {
    const t = [100, 50, 75];
    expect(quorumTime(ids(1, 2, 3), (id) => t[id - 1]!)).toBe(75);
  });
});

describe('inflight window and progress', () => {
  it('is full by count or by bytes', () => {
    const f = new Inflights(3, 100);
    f.add(1 as LogIndex, 10);
    f.add(2 as LogIndex, 10);
    expect(f.full()).toBe(false);
    f.add(3 as LogIndex, 10);
    expect(f.full()).toBe(true);
    f.freeLE(2 as LogIndex);
    expect(f.count).toBe(1);
    f.add(4 as LogIndex, 95);
    expect(f.full()).toBe(true);
    f.freeFirstOne();
    expect(f.bytes).toBe(95);
  });

  it('replicate pipelines until the window is full, probe sends one at a time', () => {
    const p = new Progress(5 as LogIndex, false, 2, 0);
    expect(p.isPaused()).toBe(false);
    p.sentEntries(1, 10);
    expect(p.isPaused()).toBe(true);
    p.maybeUpdate(4 as LogIndex);
    p.becomeReplicate();
    expect(p.next).toBe(5);
    p.sentEntries(3, 30);
    expect(p.next).toBe(8);
    p.sentEntries(1, 10);
    expect(p.isPaused()).toBe(true);
    p.maybeUpdate(7 as LogIndex);
    p.inflights.freeLE(7 as LogIndex);
    expect(p.isPaused()).toBe(false);
  });

  it('maybeDecrTo ignores stale rejections and uses the hint in probe', () => {
    const p = new Progress(10 as LogIndex, false, 4, 0);
    expect(p.maybeDecrTo(5 as LogIndex, 3 as LogIndex)).toBe(false);
    expect(p.maybeDecrTo(9 as LogIndex, 3 as LogIndex)).toBe(true);
    expect(p.next).toBe(4);
    p.maybeUpdate(3 as LogIndex);
    p.becomeReplicate();
    p.sentEntries(2, 0);
    expect(p.maybeDecrTo(2 as LogIndex, 0 as LogIndex)).toBe(false);
    expect(p.maybeDecrTo(5 as LogIndex, 0 as LogIndex)).toBe(true);
    expect(p.next).toBe(4);
  });
});
