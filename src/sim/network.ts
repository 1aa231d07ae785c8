import { assert } from '../core/errors.js';
import type { NodeId } from '../core/ids.js';
import { normal, type Random } from '../core/random.js';
import { type Grudge, isCut } from './partitions.js';

/** Network behaviour of a run (a subset of SimParams). */
export interface NetworkParams {
  readonly latencyMeanMs: number;
  /** σ of the lognormal jitter around each link's base latency (0 = none). */
  readonly latencySigma: number;
  /** Each directed link's base latency is latencyMeanMs × U[1, linkSpreadMax]. */
  readonly linkSpreadMax: number;
  readonly lossRate: number;
  readonly duplicateRate: number;
  readonly reorderRate: number;
  readonly reorderDelayMsMax: number;
}

/** Counters of what the network did. */
export interface NetworkStats {
  sent: number;
  delivered: number;
  dropped: number;
  cut: number;
  duplicated: number;
}

/** Latency draws are capped so one message cannot stall a run. */
const LATENCY_MS_MAX = 10_000;

/**
 * The simulated network between nodes: per-directed-link latency (seeded), loss,
 * duplication, reordering (extra delay on some messages), and a partition (a grudge) that
 * drops messages at send time and again at delivery time (a message in flight when a
 * partition starts is lost, as on a real cut). Decides the fate of messages only; the world
 * schedules the deliveries.
 */
export class SimNetwork {
  readonly #random: Random;
  readonly #params: NetworkParams;
  readonly #baseMs = new Map<number, number>();
  #grudge: Grudge = new Map();
  #lossRate: number;
  readonly stats: NetworkStats = { sent: 0, delivered: 0, dropped: 0, cut: 0, duplicated: 0 };

  constructor(nodes: readonly NodeId[], params: NetworkParams, random: Random) {
    assert(params.linkSpreadMax >= 1, 'linkSpreadMax must be >= 1');
    this.#random = random;
    this.#params = params;
    this.#lossRate = params.lossRate;
    for (const from of nodes) {
      for (const to of nodes) {
        if (from === to) continue;
        const spread = 1 + (params.linkSpreadMax - 1) * random.float();
        this.#baseMs.set(linkKey(from, to), params.latencyMeanMs * spread);
      }
    }
  }

  /** Install a partition (replacing any previous one). */
  partition(grudge: Grudge): void {
    this.#grudge = grudge;
  }

  /** Remove every partition. */
  heal(): void {
    this.#grudge = new Map();
  }

  get partitioned(): boolean {
    for (const set of this.#grudge.values()) if (set.size > 0) return true;
    return false;
  }

  /** Change the loss rate (the liveness phase sets 0). */
  setLossRate(rate: number): void {
    assert(rate >= 0 && rate <= 1, `loss rate out of [0,1]: ${rate}`);
    this.#lossRate = rate;
  }

  /** True when `to` does not currently hear from `from`. */
  isCut(from: NodeId, to: NodeId): boolean {
    return isCut(this.#grudge, from, to);
  }

  /**
   * Send one message from `from` to `to` at `nowMs`: returns the virtual times at which it
   * arrives — none (lost or cut), one, or two (duplicated).
   */
  send(from: NodeId, to: NodeId, nowMs: number): number[] {
    this.stats.sent++;
    if (this.isCut(from, to)) {
      this.stats.cut++;
      return [];
    }
    if (this.#lossRate > 0 && this.#random.float() < this.#lossRate) {
      this.stats.dropped++;
      return [];
    }
    const times = [nowMs + this.#delayMs(from, to)];
    if (this.#params.duplicateRate > 0 && this.#random.float() < this.#params.duplicateRate) {
      this.stats.duplicated++;
      times.push(nowMs + this.#delayMs(from, to));
    }
    return times;
  }

  /** At delivery: false (and counted as cut) when a partition now separates the two nodes. */
  arrives(from: NodeId, to: NodeId): boolean {
    if (this.isCut(from, to)) {
      this.stats.cut++;
      return false;
    }
    this.stats.delivered++;
    return true;
  }

  #delayMs(from: NodeId, to: NodeId): number {
    const p = this.#params;
    const base = this.#baseMs.get(linkKey(from, to)) ?? p.latencyMeanMs;
    let d = p.latencySigma > 0 ? base * Math.exp(normal(this.#random, 0, p.latencySigma)) : base;
    if (p.reorderRate > 0 && this.#random.float() < p.reorderRate) d += this.#random.float() * p.reorderDelayMsMax;
    return Math.min(d, LATENCY_MS_MAX);
  }
}

function linkKey(from: NodeId, to: NodeId): number {
  return from * 1024 + to;
}
