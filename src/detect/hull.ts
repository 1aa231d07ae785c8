import { assert } from '../core/errors.js';

/**
 * Time-sharing between two margins on the lower convex hull of the learned residual survival
 * function.
 *
 * A deadline detector of the form deadline = base + m makes a mistake on a heartbeat whose
 * residual e = arrival − base exceeds m, so at margin m its mistakes per heartbeat are
 * S(m) = P(e > m), while its mean detection time grows by exactly one ms per ms of m. Using margin
 * a on a fraction w of the heartbeats and b > a on the others (chosen independently of the
 * arrivals) costs the same mean detection time as the single margin m = w·a + (1−w)·b, and its
 * mistakes are w·S(a) + (1−w)·S(b). The best such mixture at every m is the lower convex hull
 * of S (its greatest convex minorant), which is never above S. Where S is convex (lognormal and
 * Pareto tails) the hull is S and nothing changes; where S has a step — heartbeats arrive about
 * one interval late when one is lost, or a stall silences everything for seconds — S is flat
 * before the step and the hull cuts the corner: most heartbeats keep a margin just past the
 * bulk of the arrivals, a few wait past the step, and fewer mistakes are made at the same mean
 * detection time (every constant-offset detector lies on S itself).
 *
 * S is learned as a histogram of residuals with exponentially decayed counts (memory ≈
 * `memoryHeartbeats`) on signed, geometrically spaced edges (5 % apart, from ±`resolutionMs` to
 * ±`rangeMs`), so each edge's survival is exact for the samples seen. The hull is recomputed
 * every `recomputeEvery` samples. A segment is used only where the data show a step: the mixture
 * must save at least `minGainCount` of the mistakes the residuals seen would have caused and at
 * least `minGainFraction` of S(m); in a sparse convex tail the empirical S is a staircase of
 * single samples, and mixing across such a stair would cost mistakes (Jensen), so it is refused.
 */
export interface MixPlan {
  /** The lower margin and the fraction of heartbeats that use it. */
  readonly lowMs: number;
  readonly lowWeight: number;
  /** The higher margin, used by the other heartbeats. */
  readonly highMs: number;
}

const EDGE_RATIO = 1.05;
/** Survivals closer than this are equal (no residual between two edges). */
const FLAT_EPSILON = 1e-12;
/** The bulk below a step must hold this much mass within this fraction of an interval. */
const DENSE_BULK_MASS = 0.5;
const DENSE_BULK_STEP_FRACTION = 0.25;
/** Least headroom of the low side above the bulk's top, as a fraction of a step. */
const BULK_HEADROOM_STEP_FRACTION = 0.05;
/** Decayed weights are renormalised before they exceed this (no overflow). */
const SCALE_MAX = 1e100;

export class ResidualHull {
  readonly #edges: Float64Array;
  /** bins[0]: e < edges[0]; bins[i]: edges[i−1] <= e < edges[i]; bins[E]: e >= edges[E−1]. */
  readonly #bins: Float64Array;
  /** Survival at each edge: weight of e >= edges[i] over the total. */
  readonly #survival: Float64Array;
  readonly #hull: Int32Array;
  #hullSize = 0;
  readonly #forget: number;
  readonly #recomputeEvery: number;
  readonly #minSamples: number;
  readonly #minGainCount: number;
  readonly #minGainFraction: number;
  readonly #memory: number;
  #scale = 1;
  #total = 0;
  #samples = 0;
  #sinceHull = 0;
  #version = 0;

  constructor(options: {
    memoryHeartbeats: number;
    resolutionMs: number;
    rangeMs: number;
    recomputeEvery: number;
    minSamples: number;
    minGainCount: number;
    minGainFraction: number;
  }) {
    const { memoryHeartbeats, resolutionMs, rangeMs, recomputeEvery, minSamples } = options;
    assert(memoryHeartbeats >= 1 && resolutionMs > 0 && rangeMs > resolutionMs, 'hull: memory >= 1, 0 < resolution < range');
    assert(Number.isSafeInteger(recomputeEvery) && recomputeEvery >= 1 && minSamples >= 0, 'hull: recompute period and min samples');
    const perSide = Math.ceil(Math.log(rangeMs / resolutionMs) / Math.log(EDGE_RATIO)) + 1;
    const edges = new Float64Array(2 * perSide + 1);
    for (let i = 0; i < perSide; i++) {
      const x = resolutionMs * EDGE_RATIO ** i;
      edges[perSide - 1 - i] = -x;
      edges[perSide + 1 + i] = x;
    }
    edges[perSide] = 0;
    this.#edges = edges;
    this.#bins = new Float64Array(edges.length + 1);
    this.#survival = new Float64Array(edges.length);
    this.#hull = new Int32Array(edges.length);
    this.#forget = 1 - 1 / memoryHeartbeats;
    this.#memory = memoryHeartbeats;
    this.#recomputeEvery = recomputeEvery;
    this.#minSamples = minSamples;
    this.#minGainCount = options.minGainCount;
    this.#minGainFraction = options.minGainFraction;
  }

  /** Incremented at every hull recompute (a cached plan is valid while it is unchanged). */
  get version(): number {
    return this.#version;
  }

  /** Residuals seen since the last clear. */
  get samples(): number {
    return this.#samples;
  }

  /** Records a residual e = arrival − base (ms). */
  add(residualMs: number): void {
    // Decay by inflating the weight of new samples instead of shrinking every bin.
    this.#scale /= this.#forget;
    if (this.#scale > SCALE_MAX) this.#renormalise();
    this.#bins[this.#bin(residualMs)]! += this.#scale;
    this.#total += this.#scale;
    this.#samples++;
    if (++this.#sinceHull >= this.#recomputeEvery) this.#recompute();
  }

  /** The empirical P(e >= edge just above m) (0 without samples). */
  survivalAt(marginMs: number): number {
    if (this.#total === 0) return 0;
    const i = this.#edgeAtOrAbove(marginMs);
    return i >= this.#edges.length ? 0 : this.#survival[i]!;
  }

  /**
   * The mixture to use instead of the single margin m, or null to keep m. Valid until the next
   * recompute. `stepMs` is where a lost heartbeat's residual lies beyond the bulk of the
   * arrivals: one sending interval.
   */
  plan(marginMs: number, stepMs: number): MixPlan | null {
    if (this.#samples < this.#minSamples || this.#hullSize < 2) return null;
    return this.#hullPlan(marginMs) ?? this.#stepPlan(marginMs, stepMs);
  }

  /** The segment of the empirical hull around m, if it saves enough mistakes over m itself. */
  #hullPlan(marginMs: number): MixPlan | null {
    const edges = this.#edges;
    const hull = this.#hull;
    let k = 0;
    while (k + 1 < this.#hullSize && edges[hull[k + 1]!]! < marginMs) k++;
    if (k + 1 >= this.#hullSize) return null;
    const a = hull[k]!;
    const b = hull[k + 1]!;
    const lowMs = edges[a]!;
    const highMs = edges[b]!;
    if (!(lowMs < marginMs && marginMs < highMs)) return null;
    const lowWeight = (highMs - marginMs) / (highMs - lowMs);
    const chord = lowWeight * this.#survival[a]! + (1 - lowWeight) * this.#survival[b]!;
    // The pure margin's mistakes, read conservatively (the edge above m has no more mass than m).
    const pure = this.survivalAt(marginMs);
    const gain = pure - chord;
    // Counted in samples actually seen (decayed): a stair of one or two residuals is not a step.
    const seen = Math.min(this.#samples, this.#memory);
    if (gain * seen < this.#minGainCount || gain < this.#minGainFraction * pure) return null;
    return { lowMs, lowWeight, highMs };
  }

  /**
   * The structural step of a periodic sender: when m lies in an empty stretch right above a
   * tight bulk of residuals (no residual seen between the bulk's top a and m, and most of the
   * mass within a quarter interval below a), a heartbeat that is not in the bulk is one that
   * was lost, and the next one arrives a whole interval later: S is flat from a to a + step.
   * Time-sharing between a and a + step then never costs more mistakes than m (the low side's
   * S equals m's; the high side's is lower), whether or not a loss has been seen yet. Heavy
   * tails (lognormal, Pareto) have no empty stretch above a dense bulk, so they never get here.
   */
  #stepPlan(marginMs: number, stepMs: number): MixPlan | null {
    const edges = this.#edges;
    const survival = this.#survival;
    const n = edges.length;
    // The last edge <= m, and the lowest edge below it with the same survival (no mass between).
    const top = this.#bin(marginMs) - 1;
    if (top < 1 || top >= n) return null;
    const flat = survival[top]!;
    let a = top;
    while (a > 0 && survival[a - 1]! <= flat + FLAT_EPSILON) a--;
    if (a === 0) return null;
    const lowMs = edges[a]!;
    const below = this.#edgeAtOrAbove(lowMs - stepMs * DENSE_BULK_STEP_FRACTION) - 1;
    const denseBelow = below < 0 ? 1 : survival[below]!;
    if (denseBelow - flat < DENSE_BULK_MASS) return null;
    const b = this.#edgeAtOrAbove(lowMs + stepMs);
    if (b >= n) return null;
    const highMs = edges[b]!;
    // The bulk's top is only the largest residual seen so far: the low side keeps headroom
    // above it, as far again as the top is above the median (at least a twentieth of a step).
    const medianMs = edges[this.#medianEdge()]!;
    const paddedLowMs = lowMs + Math.max(lowMs - medianMs, stepMs * BULK_HEADROOM_STEP_FRACTION);
    if (!(paddedLowMs < marginMs && marginMs < highMs)) return null;
    return { lowMs: paddedLowMs, lowWeight: (highMs - marginMs) / (highMs - paddedLowMs), highMs };
  }

  clear(): void {
    this.#bins.fill(0);
    this.#survival.fill(0);
    this.#hullSize = 0;
    this.#scale = 1;
    this.#total = 0;
    this.#samples = 0;
    this.#sinceHull = 0;
    this.#version++;
  }

  /** The index of the first edge at which the survival drops to 1/2 or below. */
  #medianEdge(): number {
    const survival = this.#survival;
    let i = 0;
    while (i < survival.length - 1 && survival[i]! > 0.5) i++;
    return i;
  }

  /** The bin of residual e: the number of edges <= e. */
  #bin(e: number): number {
    return this.#countEdges(e, true);
  }

  /** The index of the first edge >= x (edges.length if none). */
  #edgeAtOrAbove(x: number): number {
    return this.#countEdges(x, false);
  }

  /** The number of edges below x (and equal to it when `inclusive`): a binary search. */
  #countEdges(x: number, inclusive: boolean): number {
    const edges = this.#edges;
    let lo = 0;
    let hi = edges.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const e = edges[mid]!;
      if (e < x || (inclusive && e === x)) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  #renormalise(): void {
    const s = this.#scale;
    for (let i = 0; i < this.#bins.length; i++) this.#bins[i]! /= s;
    this.#total /= s;
    this.#scale = 1;
  }

  #recompute(): void {
    this.#sinceHull = 0;
    const bins = this.#bins;
    const survival = this.#survival;
    const edges = this.#edges;
    const n = edges.length;
    let above = 0;
    for (let i = n - 1; i >= 0; i--) {
      above += bins[i + 1]!;
      survival[i] = above / this.#total;
    }
    // Hull points start at the median residual: below it the deadline is often clamped to the
    // last arrival, where "base + margin" (and so the detection-time side of the trade) no longer
    // holds, and a margin that is wrong on most heartbeats is of no use to anyone.
    const first = this.#medianEdge();
    // Lower convex hull (Andrew's monotone chain) of (edge, survival) from `first` on.
    const hull = this.#hull;
    let h = 0;
    for (let i = first; i < n; i++) {
      while (h >= 2) {
        const o = hull[h - 2]!;
        const a = hull[h - 1]!;
        const cross = (edges[a]! - edges[o]!) * (survival[i]! - survival[o]!) - (survival[a]! - survival[o]!) * (edges[i]! - edges[o]!);
        if (cross <= 0) h--;
        else break;
      }
      hull[h++] = i;
    }
    this.#hullSize = h;
    this.#version++;
  }
}
