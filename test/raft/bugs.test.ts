import { describe, expect, it } from 'vitest';
import { type LogIndex, nodeId, type Term } from '../../src/core/ids.js';
import type { RaftTestBugs } from '../../src/raft/config.js';
import type { Entry } from '../../src/raft/types.js';
import { createNode, processReady } from './harness.js';

/** Each planted bug misbehaves in exactly its way; with the flag off, the same input is handled correctly. */

const e = (index: number, term: number, data = ''): Entry => ({
  index: index as LogIndex,
  term: term as Term,
  type: 'normal',
  data: new TextEncoder().encode(data),
});

function follower(bugs: RaftTestBugs) {
  const n = createNode(1, { voters: [1, 2, 3], checkQuorum: false, preVote: false, testBugs: bugs });
  n.rn.tick(0);
  return n;
}

describe('planted bugs (testBugs)', () => {
  for (const on of [false, true]) {
    it(`doubleVote=${on}: a second candidate in the same term ${on ? 'also gets' : 'does not get'} the vote`, () => {
      const n = follower({ doubleVote: on });
      const vote = (from: number) =>
        n.rn.step({ type: 'vote', from: nodeId(from), to: nodeId(1), term: 5 as Term, index: 0 as LogIndex, logTerm: 0 as Term, transfer: false });
      vote(2);
      vote(3);
      const rd = processReady(n)!;
      const granted = rd.messages.filter((m) => m.type === 'voteResp' && !m.reject).map((m) => m.to);
      expect(granted).toEqual(on ? [2, 3] : [2]);
    });

    it(`noConflictTruncation=${on}: a conflicting suffix is ${on ? 'kept' : 'replaced'}`, () => {
      const n = follower({ noConflictTruncation: on });
      const app = (term: number, index: number, logTerm: number, entries: Entry[]) =>
        n.rn.step({ type: 'app', from: nodeId(2), to: nodeId(1), term: term as Term, index: index as LogIndex, logTerm: logTerm as Term, entries, commit: 0 as LogIndex });
      app(1, 0, 0, [e(1, 1, 'a'), e(2, 1, 'old')]);
      processReady(n);
      app(2, 1, 1, [e(2, 2, 'new'), e(3, 2, 'next')]);
      processReady(n);
      expect(n.storage.term(2 as LogIndex)).toBe(on ? 1 : 2);
      expect(n.storage.lastIndex()).toBe(3);
    });

    it(`commitPreviousTermByCount=${on}: an old-term entry on a majority is ${on ? '' : 'not '}committed by counting`, () => {
      // Node 1 has an entry of term 1 at index 1, becomes leader of term 3; node 2 acks index 1
      // before the no-op of term 3 is replicated.
      const n = createNode(1, { voters: [1, 2, 3], preVote: false, testBugs: { commitPreviousTermByCount: on } });
      n.rn.tick(0);
      n.rn.step({ type: 'app', from: nodeId(2), to: nodeId(1), term: 1 as Term, index: 0 as LogIndex, logTerm: 0 as Term, entries: [e(1, 1, 'x')], commit: 0 as LogIndex });
      processReady(n);
      n.rn.step({ type: 'heartbeat', from: nodeId(3), to: nodeId(1), term: 2 as Term, commit: 0 as LogIndex, context: new Uint8Array(), sentMs: 0 });
      processReady(n);
      n.rn.campaign();
      processReady(n);
      n.rn.step({ type: 'voteResp', from: nodeId(2), to: nodeId(1), term: 3 as Term, reject: false });
      expect(n.rn.status().role).toBe('leader');
      processReady(n); // persists the no-op at index 2
      n.rn.step({ type: 'appResp', from: nodeId(2), to: nodeId(1), term: 3 as Term, index: 1 as LogIndex, reject: false, rejectHint: 0 as LogIndex, logTerm: 0 as Term });
      expect(n.rn.status().commit).toBe(on ? 1 : 0);
    });
  }
});
