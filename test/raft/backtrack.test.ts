import { describe, expect, it } from 'vitest';
import { type LogIndex, NO_NODE, type Term } from '../../src/core/ids.js';
import { MemoryStorage } from '../../src/raft/memory-storage.js';
import type { Message } from '../../src/raft/messages.js';
import type { Entry } from '../../src/raft/types.js';
import { createNode, processReady, type TestNode } from './harness.js';

const ent = (index: number, term: number, tag: string): Entry => ({
  index: index as LogIndex,
  term: term as Term,
  type: 'normal',
  data: new TextEncoder().encode(`${tag}${index}`),
});

function storageWith(entries: Entry[], term: number): MemoryStorage {
  const s = new MemoryStorage();
  s.append(entries);
  s.setHardState({ term: term as Term, vote: NO_NODE, commit: 5 as LogIndex });
  return s;
}

describe('fast log backtracking', () => {
  it('skips a whole divergent term in one rejection, then overwrites it', () => {
    const common = Array.from({ length: 5 }, (_, i) => ent(i + 1, 1, 'c'));
    const leaderTail = Array.from({ length: 50 }, (_, i) => ent(i + 6, 3, 'l'));
    const staleTail = Array.from({ length: 50 }, (_, i) => ent(i + 6, 2, 's'));
    const opts = { voters: [1, 2, 3], preVote: false, checkQuorum: false };
    const nodes = new Map<number, TestNode>([
      [1, createNode(1, opts, storageWith([...common, ...leaderTail], 3))],
      [2, createNode(2, opts, storageWith([...common, ...staleTail], 3))],
      [3, createNode(3, opts, storageWith([...common, ...leaderTail], 3))],
    ]);
    for (const n of nodes.values()) n.rn.tick(0);
    nodes.get(1)!.rn.campaign();
    const rejections: Message[] = [];
    let queue: Message[] = [];
    for (let round = 0; round < 50; round++) {
      for (const n of nodes.values()) {
        const rd = processReady(n);
        if (rd !== undefined) queue.push(...rd.messages);
      }
      if (queue.length === 0) break;
      const msgs = queue;
      queue = [];
      for (const m of msgs) {
        if (m.type === 'appResp' && m.reject) rejections.push(m);
        nodes.get(m.to)!.rn.step(m);
      }
    }
    // One rejection from node 2: its hint (index 55, term 2) lets the leader jump straight
    // to index 5, the last entry whose term (1) is <= 2.
    expect(rejections.filter((m) => m.from === 2)).toHaveLength(1);
    expect(rejections[0]).toMatchObject({ rejectHint: 55, logTerm: 2 });
    const follower = nodes.get(2)!;
    expect(follower.storage.term(30 as LogIndex)).toBe(3);
    expect(follower.rn.status().commit).toBe(56);
  });
});
