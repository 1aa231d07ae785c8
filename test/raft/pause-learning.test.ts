import { describe, expect, it } from 'vitest';
import type { Message } from '../../src/raft/messages.js';
import { createNode, processReady, type TestNode, timeoutDetector } from './harness.js';

const E = 1000;
const HALF_LIFE_MS = 20_000;
const STEP_MS = 10;
/** Messages held for one paused node (a stopped process's socket buffer). */
const HELD_MESSAGES_MAX = 10_000;

/**
 * Five adaptive nodes on an instant network where a node can be paused like a GC pause:
 * no ticks, its clock runs on, messages to it queue and are handled in order on resume.
 */
class PauseNet {
  readonly nodes = new Map<number, TestNode>();
  readonly #paused = new Set<number>();
  readonly #held = new Map<number, Message[]>();
  #queue: Message[] = [];
  nowMs = 0;

  constructor(seed: number) {
    const ids = [1, 2, 3, 4, 5];
    for (const id of ids) {
      const n = createNode(id, {
        voters: ids,
        detector: timeoutDetector(250),
        pausePenaltyHalfLifeMs: HALF_LIFE_MS,
        seed: seed * 10 + id,
      });
      n.rn.tick(0);
      this.nodes.set(id, n);
    }
  }

  node(id: number): TestNode {
    const n = this.nodes.get(id);
    if (n === undefined) throw new Error(`no node ${id}`);
    return n;
  }

  leaderId(): number | undefined {
    return [...this.nodes.values()].find((n) => !this.#paused.has(n.id) && n.rn.status().role === 'leader')?.id;
  }

  maxTerm(): number {
    return Math.max(...[...this.nodes.values()].map((n) => n.rn.status().term));
  }

  #deliver(m: Message): void {
    if (this.#paused.has(m.to)) {
      const held = this.#held.get(m.to) ?? [];
      if (held.length < HELD_MESSAGES_MAX) held.push(m);
      this.#held.set(m.to, held);
      return;
    }
    this.nodes.get(m.to)?.rn.step(m);
  }

  stabilize(): void {
    for (let round = 0; round < 1000; round++) {
      let moved = false;
      for (const n of this.nodes.values()) {
        if (this.#paused.has(n.id)) continue;
        const rd = processReady(n);
        if (rd !== undefined) {
          moved = true;
          this.#queue.push(...rd.messages);
        }
      }
      const msgs = this.#queue;
      this.#queue = [];
      for (const m of msgs) {
        moved = true;
        this.#deliver(m);
      }
      if (!moved) return;
    }
    throw new Error('network did not stabilize');
  }

  /** Run `ms` of virtual time; `until` stops early (checked every step). Returns the time run. */
  run(ms: number, until: () => boolean = () => false): number {
    for (let t = STEP_MS; t <= ms; t += STEP_MS) {
      this.nowMs += STEP_MS;
      for (const n of this.nodes.values()) {
        n.nowMs = this.nowMs;
        if (!this.#paused.has(n.id)) n.rn.tick(n.nowMs);
      }
      this.stabilize();
      if (until()) return t;
    }
    return ms;
  }

  pause(id: number): void {
    this.#paused.add(id);
  }

  resume(id: number): void {
    this.#paused.delete(id);
    const held = this.#held.get(id) ?? [];
    this.#held.delete(id);
    for (const m of held) this.node(id).rn.step(m);
    this.stabilize();
  }

  /** Pause the current leader for `ms`, resume it, let things settle; returns the elections seen. */
  pauseLeader(ms: number): number {
    const lead = this.leaderId();
    if (lead === undefined) throw new Error('no leader to pause');
    const before = this.maxTerm();
    this.pause(lead);
    this.run(ms);
    this.resume(lead);
    this.run(3000);
    return this.maxTerm() - before;
  }

  penalties(): number[] {
    return [...this.nodes.values()].map((n) => n.rn.status().leaderPenaltyMs);
  }
}

function steadyNet(seed: number): PauseNet {
  const net = new PauseNet(seed);
  net.run(5000, () => net.leaderId() !== undefined);
  net.run(3000);
  expect(net.leaderId()).toBeDefined();
  return net;
}

describe('adaptive detection learns from leader pauses', () => {
  it('a pause that caused a spurious election is not mistaken for a crash the second time', () => {
    for (let seed = 1; seed <= 5; seed++) {
      const net = steadyNet(seed);
      expect(net.penalties().every((p) => p === 0)).toBe(true);
      // 800 ms: beyond every floor draw ([300, 600)), below fixed's election timeout.
      expect(net.pauseLeader(800)).toBeGreaterThan(0);
      // Learnt (the paused node's own stall, or the false suspicion) and spread by gossip.
      for (const p of net.penalties()) expect(p).toBeGreaterThanOrEqual(800 * 1.25 * 0.5);
      expect(Math.max(...net.penalties())).toBeGreaterThanOrEqual(800);
      const lead = net.leaderId();
      expect(net.pauseLeader(800)).toBe(0);
      expect(net.leaderId()).toBe(lead);
    }
  });

  it('after the penalty decays, failover is fast again', () => {
    const net = steadyNet(2);
    expect(net.pauseLeader(800)).toBeGreaterThan(0);
    // Four half-lives: 1000 ms → 62.5 ms, far below the floor.
    net.run(4 * HALF_LIFE_MS);
    for (const p of net.penalties()) expect(p).toBeLessThan(300);
    const lead = net.leaderId();
    expect(lead).toBeDefined();
    net.pause(lead ?? 0);
    const waited = net.run(5000, () => net.leaderId() !== undefined);
    expect(waited).toBeLessThan(2 * 300 + 100); // floor draw [F, 2F) + detection slack
  });

  it('with a saturated penalty, a real crash is still detected within 2E', () => {
    for (let seed = 1; seed <= 5; seed++) {
      const net = steadyNet(seed);
      net.pauseLeader(2500); // longer than anything: penalty capped at 2E / 1.25 = 1600 ms
      for (const p of net.penalties()) expect(p).toBeGreaterThan(1000);
      const lead = net.leaderId();
      expect(lead).toBeDefined();
      net.pause(lead ?? 0); // never resumed: a crash
      const waited = net.run(10_000, () => net.leaderId() !== undefined);
      expect(waited).toBeGreaterThanOrEqual(1000); // the penalty holds campaigns back…
      expect(waited).toBeLessThanOrEqual(2 * E); // …but never past etcd's worst case
    }
  });
});
