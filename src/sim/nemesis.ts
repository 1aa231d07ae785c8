import type { NodeId } from '../core/ids.js';
import { exponential, type Random } from '../core/random.js';
import { drawPartition } from './partitions.js';
import type { FaultParams } from './params.js';
import type { World } from './world.js';

/** Fault counts of a run. */
export interface NemesisStats {
  crashes: number;
  pauses: number;
  partitions: number;
  transfers: number;
}

/** A fault lasts at most this long before it is reverted (ms, virtual). */
const FAULT_DURATION_MS_MAX = 20_000;

/**
 * The safety phase's fault injector: every ~`intervalMeanMs` (exponential) it picks a fault
 * kind by weight — crash a node, pause a node, partition the network in one of the allowed
 * shapes, or ask the leader to transfer leadership — and schedules its repair
 * ~`durationMeanMs` later. At most
 * `downNodesMax` nodes are down or paused at once. It stops injecting at `untilMs`; the
 * liveness phase then repairs whatever is left.
 */
export class Nemesis {
  readonly #world: World;
  readonly #faults: FaultParams;
  readonly #random: Random;
  readonly #untilMs: number;
  readonly stats: NemesisStats = { crashes: 0, pauses: 0, partitions: 0, transfers: 0 };

  constructor(world: World, faults: FaultParams, random: Random, untilMs: number) {
    this.#world = world;
    this.#faults = faults;
    this.#random = random;
    this.#untilMs = untilMs;
  }

  /** Schedule the first fault. */
  begin(): void {
    const f = this.#faults;
    if (f.newLeaderIsolateRate > 0) this.#world.onLeaderEvent((event, node) => this.#churn(event, node));
    if (f.crashWeight + f.pauseWeight + f.partitionWeight + f.transferWeight <= 0) return;
    this.#scheduleNext();
  }

  #scheduleNext(): void {
    const at = this.#world.nowMs + exponential(this.#random, this.#faults.intervalMeanMs);
    if (at >= this.#untilMs) return;
    this.#world.at(at, 'nemesis', () => {
      this.#inject();
      this.#scheduleNext();
    });
  }

  /**
   * Leader churn: maybe isolate a new leader, either a little after its election (log-uniform
   * delay in [0.1 ms, max]: before its first append lands, or mid-catch-up), or right when it
   * first commits (its followers may not know yet what it just committed).
   */
  #churn(event: 'elected' | 'firstCommit', leader: NodeId): void {
    const w = this.#world;
    const f = this.#faults;
    if (w.nowMs >= this.#untilMs || this.#random.float() >= f.newLeaderIsolateRate) return;
    const max = Math.max(0.1, f.newLeaderIsolateDelayMsMax);
    const at = event === 'firstCommit' ? w.nowMs : w.nowMs + 0.1 * (max / 0.1) ** this.#random.float();
    if (at >= this.#untilMs) return;
    w.at(at, `isolate new leader ${leader}`, () => {
      if (w.nowMs >= this.#untilMs) return;
      const p = drawPartition('isolate-leader', w.nodeIds, leader, this.#random);
      w.partition(p.grudge, `isolate-new-leader ${p.description}`);
      this.stats.partitions++;
      const count = w.stats.partitions;
      const until = Math.min(w.nowMs + this.#durationMs(), this.#untilMs);
      w.at(until, 'heal', () => {
        if (w.stats.partitions === count) w.heal();
      });
    });
  }

  #durationMs(): number {
    return Math.min(exponential(this.#random, this.#faults.durationMeanMs), FAULT_DURATION_MS_MAX);
  }

  #inject(): void {
    const f = this.#faults;
    const w = this.#world;
    const r = this.#random.float() * (f.crashWeight + f.pauseWeight + f.partitionWeight + f.transferWeight);
    const down = w.nodes.filter((n) => !n.up || n.paused).length;
    const candidates = w.nodes.filter((n) => n.up && !n.paused);
    if (r < f.crashWeight + f.pauseWeight) {
      if (down >= f.downNodesMax || candidates.length === 0) return;
      const leader = w.leader();
      const target =
        leader !== undefined && this.#random.float() < f.targetLeaderRate
          ? leader
          : candidates[this.#random.int(0, candidates.length - 1)]!;
      const until = Math.min(w.nowMs + this.#durationMs(), this.#untilMs);
      if (r < f.crashWeight) {
        w.crash(target.id);
        this.stats.crashes++;
        w.at(until, `restart ${target.id}`, () => w.restart(target.id));
      } else {
        w.pause(target.id);
        this.stats.pauses++;
        const inc = target.incarnation;
        w.at(until, `resume ${target.id}`, () => {
          if (target.incarnation === inc) w.resume(target.id);
        });
      }
      return;
    }
    if (r >= f.crashWeight + f.pauseWeight + f.partitionWeight) {
      const leader = w.leader();
      if (leader === undefined) return;
      const others = w.nodeIds.filter((id) => id !== leader.id);
      w.transferLeadership(others[this.#random.int(0, others.length - 1)]!);
      this.stats.transfers++;
      return;
    }
    if (w.network.partitioned) {
      w.heal();
      return;
    }
    const shape = f.shapes[this.#random.int(0, f.shapes.length - 1)]!;
    const p = drawPartition(shape, w.nodeIds, w.leader()?.id, this.#random);
    w.partition(p.grudge, `${p.shape} ${p.description}`);
    this.stats.partitions++;
    const until = Math.min(w.nowMs + this.#durationMs(), this.#untilMs);
    const count = w.stats.partitions;
    w.at(until, 'heal', () => {
      if (w.stats.partitions === count) w.heal();
    });
  }
}
