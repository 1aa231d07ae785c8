import { crashProbes, marginProfile, refineMatched, solveMarginMs } from './bench.js';
import type { BenchReport } from './bench.js';
import { paretoFront } from './pareto.js';
import { replayTrace } from './qos.js';
import { createDetector, type DetectorParams } from './registry.js';
import type { Trace } from './trace.js';

/**
 * Fronts pooled over several seeds: an estimate of each detector's *expected* trade-off, with
 * the per-seed noise averaged out.
 *
 * A single bench run compares fronts measured on one trace per family, where a mistake count of
 * 10 or 40 carries a Poisson noise of 30 % or 15 % — far above the 2 % tolerance. A competitor
 * whose mistakes fall on other heartbeats than ours (φ, ◇P) then has a lucky grid point in
 * almost every run even when its expected front is no better. Pooling each sweep value over n
 * seeds (summed mistakes and up time, detection times weighted by their sample counts) shrinks
 * that noise by √n. As in the single-seed bench, the default is asked the exact question for
 * every compared point of theirs: the margin whose pooled mean T_D is theirs (+ tolerance) is
 * solved and replayed on every seed's trace.
 */
export interface PooledPoint {
  readonly detector: string;
  readonly value: number;
  readonly detectionMs: number;
  readonly mistakesPerHour: number;
  readonly mistakes: number;
}

export interface PooledComparison {
  /** Their pooled front point, and our pooled point at its T_D (+ tolerance). */
  readonly detectionMs: number;
  readonly theirMistakes: number;
  readonly ourDetectionMs: number;
  readonly ourMistakes: number;
}

export interface PooledFamily {
  readonly name: string;
  readonly seeds: number;
  readonly upHours: number;
  readonly fronts: Readonly<Record<string, readonly PooledPoint[]>>;
  /** Per other detector: every compared point of its pooled front is matched by ours within the tolerance. */
  readonly dominatesEach: Readonly<Record<string, boolean>>;
  /** Per other detector: the largest ratio of our mistakes to theirs at their T_D (1.1 = 10 % more). */
  readonly worstRatio: Readonly<Record<string, number>>;
  readonly worst: Readonly<Record<string, PooledComparison | null>>;
  /**
   * Per other detector: the largest excess of our mistakes over theirs at their points, in
   * standard errors of the difference of two Poisson counts, (m_ours − m_theirs)/√(m_ours +
   * m_theirs); above 2, theirs is better than ours beyond chance.
   */
  readonly worstZ: Readonly<Record<string, number>>;
  readonly dominates: boolean;
}

export interface PoolOptions {
  readonly tolerance?: number;
  readonly rateMaxPerHour?: number;
  /** Parameters of the default detector other than its margin. */
  readonly defaultParams?: DetectorParams;
}

/**
 * Pools one family: `reports` are bench runs of the same sweeps on different seeds, `traces`
 * that family's trace of each run (same order).
 */
export function poolFamily(name: string, reports: readonly BenchReport[], traces: readonly Trace[], options: PoolOptions = {}): PooledFamily {
  const tolerance = options.tolerance ?? 0.02;
  const rateMax = options.rateMaxPerHour ?? 3600;
  const ours = reports[0]?.defaultDetector ?? 'adaptive';
  const perSeed = reports.map((r) => r.families.find((f) => f.name === name)).filter((f) => f !== undefined);
  const upHours = perSeed.reduce((a, f) => a + f.upHours, 0);
  // A seed's mean T_D is over its crashes and probes: pool with those counts as weights.
  const weights = traces.map((t) => crashProbes(t).length + t.epochs.filter((e) => e.crashMs !== null).length);
  const fronts = pooledFronts(perSeed, weights, upHours);
  const matcher = new PooledMatcher(ours, traces, options.defaultParams ?? {});
  const dominatesEach: Record<string, boolean> = {};
  const worstRatio: Record<string, number> = {};
  const worst: Record<string, PooledComparison | null> = {};
  const worstZ: Record<string, number> = {};
  for (const [detector, front] of Object.entries(fronts)) {
    if (detector === ours || detector.startsWith(`${ours}+`)) continue;
    let ratioMax = 0;
    let zMax = Number.NEGATIVE_INFINITY;
    let worstPoint: PooledComparison | null = null;
    for (const p of front) {
      if (p.mistakesPerHour > rateMax) continue;
      const mine = matcher.at(p.detectionMs * (1 + tolerance));
      const ratio = mine === null ? Number.POSITIVE_INFINITY : ratioOf(mine.mistakes, p.mistakes);
      zMax = Math.max(zMax, mine === null ? Number.POSITIVE_INFINITY : excessZ(mine.mistakes, p.mistakes));
      if (worstPoint === null || ratio > ratioMax) {
        ratioMax = Math.max(ratioMax, ratio);
        worstPoint = {
          detectionMs: p.detectionMs,
          theirMistakes: p.mistakes,
          ourDetectionMs: mine?.detectionMs ?? Number.NaN,
          ourMistakes: mine?.mistakes ?? Number.NaN,
        };
      }
    }
    worstRatio[detector] = ratioMax;
    worstZ[detector] = zMax === Number.NEGATIVE_INFINITY ? 0 : zMax;
    worst[detector] = worstPoint;
    dominatesEach[detector] = ratioMax <= 1 + tolerance;
  }
  return { name, seeds: perSeed.length, upHours, fronts, dominatesEach, worstRatio, worst, worstZ, dominates: Object.values(dominatesEach).every(Boolean) };
}

/** (ours − theirs)/√(ours + theirs); 0 when both are 0. */
function excessZ(ours: number, theirs: number): number {
  return ours + theirs === 0 ? 0 : (ours - theirs) / Math.sqrt(ours + theirs);
}

/** ours/theirs; 0/0 is a tie (1), n/0 is Infinity. */
function ratioOf(ours: number, theirs: number): number {
  if (theirs === 0) return ours === 0 ? 1 : Number.POSITIVE_INFINITY;
  return ours / theirs;
}

type FamilyRun = BenchReport['families'][number];

/** Each detector's front over the sweep values pooled across seeds (matched points left out). */
function pooledFronts(perSeed: readonly FamilyRun[], weights: readonly number[], upHours: number): Record<string, PooledPoint[]> {
  const pooled = new Map<string, { detector: string; value: number; tdWeighted: number; weight: number; mistakes: number }>();
  for (const [i, f] of perSeed.entries()) {
    const w = weights[i] ?? 0;
    for (const p of f.points) {
      if (p.matched === true) continue;
      const key = `${p.detector}\u0000${p.value}`;
      const acc = pooled.get(key) ?? { detector: p.detector, value: p.value, tdWeighted: 0, weight: 0, mistakes: 0 };
      acc.tdWeighted += p.detectionMs * w;
      acc.weight += w;
      acc.mistakes += p.mistakes;
      pooled.set(key, acc);
    }
  }
  const fronts: Record<string, PooledPoint[]> = {};
  const byDetector = new Map<string, PooledPoint[]>();
  for (const acc of pooled.values()) {
    const list = byDetector.get(acc.detector) ?? [];
    list.push({ detector: acc.detector, value: acc.value, detectionMs: acc.tdWeighted / acc.weight, mistakes: acc.mistakes, mistakesPerHour: acc.mistakes / upHours });
    byDetector.set(acc.detector, list);
  }
  for (const [detector, list] of byDetector) fronts[detector] = paretoFront(list);
  return fronts;
}

/** Solves and replays the default detector's margin for a pooled mean T_D over several traces. */
class PooledMatcher {
  readonly #detector: string;
  readonly #traces: readonly Trace[];
  readonly #params: DetectorParams;
  #profile: { last: number[]; base: number[] } | null = null;
  readonly #cache = new Map<number, { detectionMs: number; mistakes: number } | null>();

  constructor(detector: string, traces: readonly Trace[], params: DetectorParams) {
    this.#detector = detector;
    this.#traces = traces;
    this.#params = params;
  }

  /** Our pooled point with the largest mean T_D <= target (null if none is found). */
  at(targetMs: number): { detectionMs: number; mistakes: number } | null {
    const cached = this.#cache.get(targetMs);
    if (cached !== undefined) return cached;
    const profile = this.#profileOnce();
    const marginMs = solveMarginMs(profile.last, profile.base, targetMs);
    const point = Number.isNaN(marginMs) ? null : refineMatched(marginMs, targetMs, (m) => this.#replay(m));
    this.#cache.set(targetMs, point);
    return point;
  }

  #make(marginMs: number) {
    return createDetector(this.#detector as Parameters<typeof createDetector>[0], { ...this.#params, safetyMarginMs: marginMs });
  }

  #profileOnce(): { last: number[]; base: number[] } {
    if (this.#profile === null) {
      const last: number[] = [];
      const base: number[] = [];
      for (const t of this.#traces) {
        const p = marginProfile(t, (m) => this.#make(m));
        last.push(...p.last);
        base.push(...p.base);
      }
      this.#profile = { last, base };
    }
    return this.#profile;
  }

  #replay(marginMs: number): { detectionMs: number; mistakes: number } {
    let sum = 0;
    let count = 0;
    let mistakes = 0;
    for (const t of this.#traces) {
      const q = replayTrace(t, this.#make(marginMs), { crashProbesMs: crashProbes(t) });
      for (const x of q.detectionTimesMs) sum += x;
      for (const x of q.probeDetectionTimesMs) sum += x;
      count += q.detectionTimesMs.length + q.probeDetectionTimesMs.length;
      mistakes += q.mistakes;
    }
    return { detectionMs: count === 0 ? Number.NaN : sum / count, mistakes };
  }
}
