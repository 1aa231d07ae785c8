import { describe, expect, it } from 'vitest';
import { ErrorCodes, InvalidArgumentError, LimitExceededError } from '../../src/core/errors.js';
import { type LogIndex, NO_NODE, nodeId, type Term } from '../../src/core/ids.js';
import { NotLeaderError, ProposalDroppedError } from '../../src/raft/errors.js';
import type { Message } from '../../src/raft/messages.js';
import { RawNode } from '../../src/raft/rawnode.js';
import { applyAndAdvance, persistReady, processReady, TestNet } from './harness.js';

const enc = (s: string) => new TextEncoder().encode(s);

describe('RawNode', () => {
  it('a single voter elects itself and commits after persisting', () => {
    const net = new TestNet([1]);
    const n = net.node(1);
    n.rn.campaign();
    net.stabilize();
    expect(n.rn.status().role).toBe('leader');
    n.rn.propose(enc('a'));
    const rd = processReady(n);
    // The leader's own entry counts only once persisted (advance): no commit in this Ready.
    expect(rd?.entries.map((e) => e.index)).toEqual([2]);
    expect(rd?.committedEntries).toEqual([]);
    net.stabilize();
    expect(n.rn.status().commit).toBe(2);
    expect(n.applied.get(2)).toBe('1/a');
  });

  it('propose without a leader throws NotLeaderError; with one, a follower forwards', () => {
    const net = new TestNet([1, 2, 3]);
    expect(() => net.node(2).rn.propose(enc('x'))).toThrow(NotLeaderError);
    net.node(1).rn.campaign();
    net.stabilize();
    net.node(2).rn.propose(enc('x'));
    net.stabilize();
    for (const id of [1, 2, 3]) expect(net.node(id).applied.get(2)).toBe('1/x');
  });

  it('NotLeaderError carries a leader hint for reads when the leader is known but unusable', () => {
    const err = new NotLeaderError('no', nodeId(3));
    expect(err.code).toBe(ErrorCodes.NOT_LEADER);
    expect(err.leaderHint).toBe(3);
    expect(err.message).toContain('leader is 3');
  });

  it('rejects malformed messages at step', () => {
    const net = new TestNet([1, 2, 3]);
    const rn = net.node(1).rn;
    const bogus = { type: 'hup', from: nodeId(2), to: nodeId(1), term: 1 } as unknown as Message;
    expect(() => rn.step(bogus)).toThrow(InvalidArgumentError);
    const wrongTo: Message = { type: 'timeoutNow', from: nodeId(2), to: nodeId(3), term: 1 as Term };
    expect(() => rn.step(wrongTo)).toThrow(/given to node 1/);
    const noTerm: Message = { type: 'timeoutNow', from: nodeId(2), to: nodeId(1), term: 0 as Term };
    expect(() => rn.step(noTerm)).toThrow(/needs a term/);
  });

  it('enforces the uncommitted-bytes limit with LIMIT_EXCEEDED', () => {
    const net = new TestNet([1, 2, 3], { maxUncommittedEntriesBytes: 10 });
    net.node(1).rn.campaign();
    net.stabilize();
    net.isolate(1);
    const rn = net.node(1).rn;
    rn.propose(enc('12345678'));
    let caught: unknown;
    try {
      rn.propose(enc('12345'));
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(LimitExceededError);
    expect((caught as LimitExceededError).code).toBe(ErrorCodes.LIMIT_EXCEEDED);
    net.heal();
    net.stabilize();
    net.tick(1, 100);
    net.stabilize();
    // Once committed and applied, room is freed.
    rn.propose(enc('12345'));
  });

  it('refuses proposals during a leadership transfer', () => {
    const net = new TestNet([1, 2, 3]);
    net.node(1).rn.campaign();
    net.stabilize();
    net.isolate(3);
    net.node(1).rn.propose(enc('lag'));
    net.stabilize();
    net.node(1).rn.transferLeadership(nodeId(3));
    expect(() => net.node(1).rn.propose(enc('x'))).toThrow(ProposalDroppedError);
  });

  it('batches by maxSizePerMsgBytes and pipelines up to maxInflightMsgs', () => {
    const net = new TestNet([1, 2], { maxSizePerMsgBytes: 4, maxInflightMsgs: 2 });
    net.node(1).rn.campaign();
    net.stabilize();
    const rn = net.node(1).rn;
    for (let i = 0; i < 6; i++) rn.propose(enc('ab'));
    const sizes = (msgs: readonly Message[]) => msgs.flatMap((m) => (m.type === 'app' ? [m.entries.length] : []));
    const rd = processReady(net.node(1))!;
    // Eager sends: one entry per proposal until the window (2 messages) is full.
    expect(sizes(rd.messages)).toEqual([1, 1]);
    expect(rn.status().progress?.[2]?.inflight).toBe(2);
    for (const m of rd.messages) net.node(2).rn.step(m);
    const rd2 = processReady(net.node(2))!;
    for (const m of rd2.messages) net.node(1).rn.step(m);
    // Acks open the window; the backlog goes out batched, 2 entries (4 bytes) per message.
    const rd3 = processReady(net.node(1))!;
    expect(sizes(rd3.messages)).toEqual([2, 2]);
    net.queue.push(...rd3.messages);
    net.stabilize();
    expect(net.node(2).rn.status().commit).toBe(7);
  });

  it('restarts from storage with term, vote, commit and log intact', () => {
    const net = new TestNet([1, 2, 3]);
    net.node(1).rn.campaign();
    net.stabilize();
    net.node(1).rn.propose(enc('keep'));
    net.stabilize();
    const before = net.node(2).rn.status();
    const rn2 = new RawNode({
      id: nodeId(2),
      voters: [1, 2, 3].map(nodeId),
      storage: net.node(2).storage,
      random: { float: () => 0.5, int: (a: number) => a, fork: () => null as never },
      applied: before.applied,
    });
    const after = rn2.status();
    expect(after.term).toBe(before.term);
    expect(after.vote).toBe(before.vote);
    expect(after.commit).toBe(before.commit);
    expect(after.lastIndex).toBe(before.lastIndex);
    expect(after.lead).toBe(NO_NODE);
    expect(after.confState.voters).toEqual([1, 2, 3]);
  });

  it('reports leader suspicion on followers', () => {
    const net = new TestNet([1, 2, 3]);
    net.node(1).rn.campaign();
    net.stabilize();
    expect(net.node(2).rn.status().leaderSuspicion).toBe(0);
    net.tick(2, 500);
    const s = net.node(2).rn.status().leaderSuspicion!;
    expect(s).toBeGreaterThan(0.25);
    expect(s).toBeLessThanOrEqual(0.5);
    expect(net.node(1).rn.status().leaderSuspicion).toBeUndefined();
  });

  it('time must not go backwards', () => {
    const net = new TestNet([1]);
    net.tick(1, 10);
    expect(() => net.node(1).rn.tick(5)).toThrow(InvalidArgumentError);
  });

  it('reportUnreachable moves a replicating follower to probe', () => {
    const net = new TestNet([1, 2, 3]);
    net.node(1).rn.campaign();
    net.stabilize();
    expect(net.node(1).rn.status().progress?.[2]?.state).toBe('replicate');
    net.node(1).rn.reportUnreachable(nodeId(2));
    expect(net.node(1).rn.status().progress?.[2]?.state).toBe('probe');
  });

  it('an appResp from a non-member is dropped', () => {
    const net = new TestNet([1, 2, 3]);
    net.node(1).rn.campaign();
    net.stabilize();
    const before = net.node(1).rn.status();
    net.node(1).rn.step({
      type: 'appResp',
      from: nodeId(9),
      to: nodeId(1),
      term: before.term,
      index: 99 as LogIndex,
      reject: false,
      rejectHint: 0 as LogIndex,
      logTerm: 0 as Term,
    });
    expect(net.node(1).rn.status()).toEqual(before);
  });

  it('mustSync is false when only the commit index changed', () => {
    const net = new TestNet([1, 2, 3]);
    net.node(1).rn.campaign();
    net.stabilize();
    const f = net.node(2);
    f.rn.step({
      type: 'heartbeat',
      from: nodeId(1),
      to: nodeId(2),
      term: f.rn.status().term,
      commit: 1 as LogIndex,
      context: new Uint8Array(),
      sentMs: 0,
    });
    const rd = f.rn.ready();
    expect(rd.mustSync).toBe(false);
    f.rn.advance(rd);
    net.node(1).rn.propose(enc('x'));
    const lrd = processReady(net.node(1))!;
    expect(lrd.mustSync).toBe(true);
  });

  it('reportSnapshot moves a follower out of snapshot state', () => {
    const net = new TestNet([1, 2, 3]);
    net.node(1).rn.campaign();
    net.stabilize();
    net.isolate(3);
    for (const v of ['a', 'b', 'c']) net.node(1).rn.propose(enc(v));
    net.stabilize();
    const leader = net.node(1);
    leader.storage.compact(leader.appliedIndex as LogIndex, enc('snap'), leader.confState);
    net.heal();
    net.tick(1, 100);
    net.stabilize();
    // 3 got the snapshot and caught up through the normal path.
    expect(net.node(3).rn.status().commit).toBe(leader.rn.status().commit);
    net.isolate(3);
    net.node(1).rn.propose(enc('d'));
    net.stabilize();
    leader.storage.compact(leader.appliedIndex as LogIndex, enc('snap2'), leader.confState);
    net.heal();
    net.tick(1, 100);
    // Deliver everything except the snapshot itself.
    net.dropTypes.add('snap');
    net.stabilize();
    expect(leader.rn.status().progress?.[3]?.state).toBe('snapshot');
    leader.rn.reportSnapshot(nodeId(3), false);
    expect(leader.rn.status().progress?.[3]?.state).toBe('probe');
    // The next heartbeat round resends it; this time it arrives.
    net.dropTypes.clear();
    net.tick(1, 100);
    net.stabilize();
    expect(net.node(3).rn.status().commit).toBe(leader.rn.status().commit);
    expect(net.node(3).storage.snapshot().data).toEqual(enc('snap2'));
  });
});

describe('RawNode.takeMessages (heartbeats while a Ready is still being persisted)', () => {
  it('hands over only the picked messages, once; the rest stay for the next Ready', () => {
    const net = new TestNet([1, 2, 3]);
    net.node(1).rn.campaign();
    net.stabilize();
    const leader = net.node(1);
    expect(leader.rn.term).toBe(leader.rn.status().term);
    expect(leader.rn.vote).toBe(1);
    expect(leader.rn.takeMessages(() => true)).toEqual([]);
    // A proposal's Ready is taken but not yet advanced (its fsync is in flight) ...
    leader.rn.propose(enc('slow'));
    const inFlight = persistReady(leader)!;
    expect(inFlight.entries).toHaveLength(1);
    // ... while a heartbeat interval passes and another proposal comes.
    net.tick(1, 100);
    leader.rn.propose(enc('later'));
    const heartbeats = leader.rn.takeMessages((m) => m.type === 'heartbeat');
    expect(heartbeats.map((m) => `${m.type}->${m.to}`).sort()).toEqual(['heartbeat->2', 'heartbeat->3']);
    expect(leader.rn.takeMessages((m) => m.type === 'heartbeat')).toEqual([]);
    // A follower answers a heartbeat; its answer can be taken the same way.
    const f = net.node(2);
    f.rn.step(heartbeats.find((m) => m.to === 2)!);
    const answers = f.rn.takeMessages((m) => m.type === 'heartbeatResp');
    expect(answers.map((m) => `${m.type}->${m.to}`)).toEqual(['heartbeatResp->1']);
    leader.rn.step(answers[0]!);
    // The leader's next Ready holds what was not taken (the appends), and no heartbeat.
    applyAndAdvance(leader, inFlight);
    const next = persistReady(leader)!;
    expect(next.messages.some((m) => m.type === 'heartbeat')).toBe(false);
    expect(next.messages.some((m) => m.type === 'app')).toBe(true);
    applyAndAdvance(leader, next);
    net.queue.push(...inFlight.messages, ...next.messages);
    net.stabilize();
    for (const id of [1, 2, 3]) expect([...net.node(id).applied.values()].slice(-2)).toEqual(['1/slow', '1/later']);
  });
});
