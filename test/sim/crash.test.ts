import { describe, expect, it } from 'vitest';
import { drawParams, type SimParams } from '../../src/sim/params.js';
import { RandomWorkload, ValueCounter } from '../../src/sim/workload.js';
import { World } from '../../src/sim/world.js';

/** A quiet 3-node cluster with a slow disk (a wide window between write and fsync). */
function quiet(seed: number): SimParams {
  const p = drawParams({ seed, nodes: 3, detector: 'fixed' });
  return {
    ...p,
    lossRate: 0,
    duplicateRate: 0,
    reorderRate: 0,
    latencyMeanMs: 1,
    fsyncMsMin: 40,
    fsyncMsMax: 40,
    faults: { ...p.faults, crashWeight: 0, pauseWeight: 0, partitionWeight: 0, newLeaderIsolateRate: 0 },
  };
}

describe('crash and restart', () => {
  it('a crash loses the writes not yet fsynced; restart rebuilds from what was durable', () => {
    const params = quiet(3);
    const w = new World(params);
    let writing = true;
    const values = new ValueCounter();
    w.addClient(new RandomWorkload({ keys: 1, readRatio: 0, casRatio: 0 }, w.random.fork(), values, () => writing), 5000, () => 1);
    w.startAll();
    expect(w.runUntil(() => w.leader() !== undefined, 10_000)).toBe(true);
    const leader = w.leader()!;
    w.runUntilTime(w.nowMs + 500);
    w.startClient(0);
    // Wait until the leader has written an entry it has not fsynced yet.
    expect(w.runUntil(() => leader.disk.unsyncedWrites > 0 && leader.disk.lastIndex() > 1, w.nowMs + 10_000)).toBe(true);
    writing = false;
    const durableLast = leader.disk.lastIndex();
    const durableTerm = leader.disk.termOrUndefined(durableLast);
    w.crash(leader.id);
    expect(leader.up).toBe(false);
    expect(leader.lostWrites).toBeGreaterThan(0);
    expect(leader.disk.unsyncedWrites).toBe(0);
    expect(leader.disk.lastIndex()).toBe(durableLast);
    expect(leader.disk.termOrUndefined(durableLast)).toBe(durableTerm);
    // Restarted, it catches up and the cluster stays safe.
    w.restart(leader.id);
    w.runUntilTime(w.nowMs + 5000);
    expect(w.checker.violations).toEqual([]);
    const applied = w.nodes.map((n) => n.kv.appliedIndex);
    expect(Math.min(...applied)).toBe(Math.max(...applied));
    expect(new Set(w.nodes.map((n) => n.kv.digest())).size).toBe(1);
  });

  it('a paused node queues its messages and catches up when resumed', () => {
    const w = new World(quiet(5));
    w.startAll();
    expect(w.runUntil(() => w.leader() !== undefined, 10_000)).toBe(true);
    const follower = w.nodes.find((n) => n.role !== 'leader')!;
    w.pause(follower.id);
    const term = follower.term;
    w.runUntilTime(w.nowMs + 3000);
    expect(follower.term).toBe(term);
    w.resume(follower.id);
    w.runUntilTime(w.nowMs + 1000);
    expect(follower.paused).toBe(false);
    expect(w.checker.violations).toEqual([]);
  });
});
