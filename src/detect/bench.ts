import type { DeadlineDetector } from './deadline.js';
import { dominanceGap, paretoFront, strictlyBeatsSomewhere, undominated, undominatedWithinNoise } from './pareto.js';
import { type QosResult, replayTrace } from './qos.js';
import { createDetector, defaultDetectorName, type DetectorName } from './registry.js';
import { IntervalStallSource, withStallAwareness } from './stall.js';
import { type Sweep, sweeps } from './sweep.js';
import type { Trace } from './trace.js';
import { familySeed, generateTrace, type TraceFamilyName, traceFamilyNames } from './traces.js';

/**
 * The QoS bench: for every trace and detector, sweep the detector's main parameter, replay,
 * and compare Pareto fronts of (mean T_D, λ_M). Pure: traces are given or generated from the seed.
 */
export interface BenchPoint {
  readonly detector: string;
  /** True for a default-detector point whose margin was solved to match a competitor's T_D. */
  readonly matched?: boolean;
  readonly param: string;
  readonly value: number;
  readonly detectionMs: number;
  readonly mistakesPerHour: number;
  readonly mistakes: number;
  readonly queryAccuracy: number;
  readonly meanMistakeDurationMs: number;
}

export interface FamilyResult {
  readonly name: string;
  readonly heartbeats: number;
  readonly crashes: number;
  readonly upHours: number;
  /** The default detector's front weakly dominates every other detector's front. */
  readonly dominates: boolean;
  /** Per other detector: our front weakly dominates theirs. */
  readonly dominatesEach: Readonly<Record<string, boolean>>;
  /** Per other detector: ours is strictly better somewhere. */
  readonly strictlyBeats: Readonly<Record<string, boolean>>;
  /** Per other detector: their front points ours does not dominate. */
  readonly undominated: Readonly<Record<string, readonly { detectionMs: number; mistakesPerHour: number }[]>>;
  /**
   * The tolerance the default would need to dominate every compared point (max over their
   * points of `dominanceGap`): 0.05 means "within 5%". <= `tolerance` when `dominates`.
   */
  readonly toleranceNeeded: number;
  /**
   * The same comparison with mistake counts that differ by less than `noiseZ` standard errors
   * treated as ties (see pareto.ts `coversWithinNoise`); T_D still within the tolerance.
   */
  readonly withinNoise: {
    readonly dominates: boolean;
    readonly dominatesEach: Readonly<Record<string, boolean>>;
    readonly undominated: Readonly<Record<string, readonly { detectionMs: number; mistakes: number }[]>>;
  };
  readonly points: readonly BenchPoint[];
  /** Per detector (and the stall-aware series where relevant): its Pareto front. */
  readonly fronts: Readonly<Record<string, readonly BenchPoint[]>>;
}

export interface StallReport {
  readonly family: string;
  readonly detector: string;
  readonly params: Readonly<Record<string, number>>;
  readonly stalls: number;
  readonly longestStallMs: number;
  readonly plain: { mistakes: number; mistakesDuringStalls: number; meanDetectionMs: number };
  readonly stallAware: { mistakes: number; mistakesDuringStalls: number; meanDetectionMs: number; crashesDetected: number; crashes: number };
}

export interface BenchReport {
  readonly seed: number;
  readonly quick: boolean;
  readonly tolerance: number;
  readonly comparedRateMaxPerHour: number;
  /** Standard errors of a mistake-count difference treated as a tie in `withinNoise`. */
  readonly noiseZ: number;
  readonly defaultDetector: string;
  readonly families: readonly FamilyResult[];
  readonly stall: StallReport | null;
}

export interface BenchOptions {
  readonly seed: number;
  readonly quick: boolean;
  /** Families to generate (default all). */
  readonly families?: readonly TraceFamilyName[];
  /** Extra traces (e.g. recorded ones). */
  readonly traces?: readonly Trace[];
  /** Relative tolerance of the dominance check. Default 0.02. */
  readonly tolerance?: number;
  /** Competitor points with more mistakes per hour than this are not compared. Default 3600. */
  readonly comparedRateMaxPerHour?: number;
  /** Standard errors of a mistake-count difference treated as a tie in the noise-aware verdict. Default 1. */
  readonly noiseZ?: number;
  /** Fixed parameters of the default detector during its sweep (for tuning experiments). */
  readonly defaultParams?: Readonly<Record<string, number>>;
  /** Called after each (trace, detector) sweep. */
  readonly onProgress?: (done: number, total: number, what: string) => void;
}

const STALL_AWARE_SERIES = `${defaultDetectorName}+stall-aware`;

/** Probe spacing: a prime number of ms, so probes fall at every phase of a 100 ms heartbeat. */
const PROBE_SPACING_MS = 9973;
/** No probes in an epoch's last 10 s (the real crash is measured there). */
const PROBE_END_GUARD_MS = 10_000;

/**
 * Crash probes of a trace (see ReplayOptions.crashProbesMs): every ~10 s of each epoch's up
 * time, from its start. With 4 real crashes alone the mean T_D is luck; with probes it is
 * averaged over hundreds of crash times at every phase of the heartbeat. Probes cover the same
 * up time as the mistake count: a warm-up excluded from T_D but not from λ_M would reward
 * detectors that are slow to learn (their early patience would cost no detection time).
 */
export function crashProbes(trace: Trace): number[] {
  const out: number[] = [];
  for (const e of trace.epochs) {
    const upEndMs = (e.crashMs ?? e.endMs) - PROBE_END_GUARD_MS;
    for (let t = e.startMs + PROBE_SPACING_MS; t < upEndMs; t += PROBE_SPACING_MS) out.push(t);
  }
  return out;
}

/** Mean T_D over the real crashes and the probes. */
function meanDetection(q: QosResult): number {
  const all = [...q.detectionTimesMs, ...q.probeDetectionTimesMs];
  return all.length === 0 ? Number.NaN : all.reduce((a, b) => a + b, 0) / all.length;
}

function toPoint(detector: string, param: string, value: number, d: DeadlineDetector, trace: Trace, matched = false): BenchPoint {
  const q = replayTrace(trace, d, { crashProbesMs: crashProbes(trace) });
  return {
    detector,
    ...(matched ? { matched } : {}),
    param,
    value,
    detectionMs: meanDetection(q),
    mistakesPerHour: q.mistakeRatePerHour,
    mistakes: q.mistakes,
    queryAccuracy: q.queryAccuracy,
    meanMistakeDurationMs: q.meanMistakeDurationMs,
  };
}

/** Generates the bench traces: quick = 6 epochs of ≤ 5 min per family (~0.45 h up), full = 16 of ≤ 7.5 min (~1.75 h). */
export function benchTraces(seed: number, quick: boolean, families: readonly TraceFamilyName[] = traceFamilyNames): Trace[] {
  return families.map((f) =>
    generateTrace(f, { seed: familySeed(seed, f), epochs: quick ? QUICK_EPOCHS : 16, epochUpMs: quick ? 300_000 : 450_000 }),
  );
}

/** Quick mode: epochs per family and sweep points per detector (kept under 30 s on a shared 2-core machine). */
const QUICK_EPOCHS = 6;
const QUICK_SWEEP_POINTS = 30;
const FULL_SWEEP_POINTS = 80;

export function runBench(options: BenchOptions): BenchReport {
  const tolerance = options.tolerance ?? 0.02;
  const rateMax = options.comparedRateMaxPerHour ?? 3600;
  const noiseZ = options.noiseZ ?? 1;
  const traces = [...benchTraces(options.seed, options.quick, options.families), ...(options.traces ?? [])];
  const plan = sweeps(options.quick ? QUICK_SWEEP_POINTS : FULL_SWEEP_POINTS).map((s) =>
    s.detector === defaultDetectorName ? { ...s, fixed: { ...s.fixed, ...options.defaultParams } } : s,
  );
  const total = traces.length * plan.length;
  let done = 0;
  const families: FamilyResult[] = [];
  for (const trace of traces) {
    const points: BenchPoint[] = [];
    for (const sweep of plan) {
      for (const value of sweep.values) {
        const d = createDetector(sweep.detector, { ...sweep.fixed, [sweep.param]: value });
        points.push(toPoint(sweep.detector, sweep.param, value, d, trace));
      }
      options.onProgress?.(++done, total, `${trace.name} × ${sweep.detector}`);
    }
    if (trace.stalls.length > 0) {
      const main = plan.find((s) => s.detector === defaultDetectorName)!;
      const stallSource = new IntervalStallSource(trace.stalls);
      for (const value of main.values) {
        const d = withStallAwareness(createDetector(main.detector, { ...main.fixed, [main.param]: value }), stallSource);
        points.push(toPoint(STALL_AWARE_SERIES, main.param, value, d, trace));
      }
    }
    points.push(...matchedPoints(trace, points, plan, tolerance, rateMax));
    families.push(compareFronts(trace, points, tolerance, rateMax, noiseZ));
  }
  const stallTrace = traces.find((t) => t.name === 'monitor-stalls');
  return {
    seed: options.seed,
    quick: options.quick,
    tolerance,
    comparedRateMaxPerHour: rateMax,
    noiseZ,
    defaultDetector: defaultDetectorName,
    families,
    stall: stallTrace === undefined ? null : stallReport(stallTrace),
  };
}

/**
 * Per crash or probe i, the default detector's deadline as a function of its margin m is
 * max(last_i, base_i + m): `lastMinusCrashMs[i]` = last_i − crash_i (<= 0 for probes),
 * `baseMinusCrashMs[i]` = base_i − crash_i. T_D(m) = mean_i max(0, last_i − crash_i, base_i + m − crash_i).
 * Returns the largest m with T_D(m) <= target, or NaN if even m → −∞ is too slow. Exact up to
 * the bisection (200 halvings of a monotone piecewise-linear function).
 */
export function solveMarginMs(lastMinusCrashMs: readonly number[], baseMinusCrashMs: readonly number[], targetDetectionMs: number): number {
  const n = baseMinusCrashMs.length;
  if (n === 0 || lastMinusCrashMs.length !== n) return Number.NaN;
  const meanTd = (m: number): number => {
    let sum = 0;
    for (let i = 0; i < n; i++) sum += Math.max(0, lastMinusCrashMs[i]!, baseMinusCrashMs[i]! + m);
    return sum / n;
  };
  let lo = -targetDetectionMs - Math.max(...baseMinusCrashMs) - 1;
  if (meanTd(lo) > targetDetectionMs) return Number.NaN;
  let hi = targetDetectionMs - Math.min(...baseMinusCrashMs) + 1;
  for (let i = 0; i < 200 && hi - lo > 1e-9; i++) {
    const mid = (lo + hi) / 2;
    if (meanTd(mid) <= targetDetectionMs) lo = mid;
    else hi = mid;
  }
  return lo;
}

/** A margin so large (ms) that no deadline is clamped to the last arrival and none is reached. */
const MARGIN_FAR_MS = 1e7;

/**
 * Per crash and probe of the trace (real crashes first), the last arrival and the margin-free
 * deadline ("base") of a margin-parametrised detector, both minus the crash time: two replays,
 * at margins far above and far below anything a trace can reach. See `solveMarginMs`.
 */
export function marginProfile(trace: Trace, make: (marginMs: number) => DeadlineDetector): { last: number[]; base: number[] } {
  const probes = crashProbes(trace);
  const far = replayTrace(trace, make(MARGIN_FAR_MS), { crashProbesMs: probes });
  const near = replayTrace(trace, make(-MARGIN_FAR_MS), { crashProbesMs: probes });
  return {
    base: [...far.deadlineMinusCrashMs, ...far.probeDeadlineMinusCrashMs].map((x) => x - MARGIN_FAR_MS),
    last: [...near.deadlineMinusCrashMs, ...near.probeDeadlineMinusCrashMs],
  };
}

/**
 * For each competitor front point in the compared region, the default detector's point whose
 * margin gives exactly the competitor's T_D (within the tolerance): the default's deadline is
 * max(last arrival, learned state + margin) and its state never depends on the margin, so two
 * replays (margin far above and far below) give every crash's base and last arrival, and the
 * margin for any T_D is solved exactly; the point itself is then replayed at that margin.
 * This answers "is there a margin that does at least as well?" instead of relying on grid luck.
 * (The competitors are swept on a grid: the question asked of each of their points is whether
 * some configuration of the default matches it, which a continuous front answers exactly.)
 */
function matchedPoints(trace: Trace, points: readonly BenchPoint[], plan: readonly Sweep[], tolerance: number, rateMax: number): BenchPoint[] {
  const main = plan.find((s) => s.detector === defaultDetectorName);
  if (main === undefined || main.param !== 'safetyMarginMs') return [];
  const { last, base } = marginProfile(trace, (m) => createDetector(main.detector, { ...main.fixed, safetyMarginMs: m }));
  const out: BenchPoint[] = [];
  const seen = new Set<number>();
  const others = [...new Set(points.map((p) => p.detector))].filter((n) => n !== defaultDetectorName && n !== STALL_AWARE_SERIES);
  for (const name of others) {
    for (const p of paretoFront(points.filter((q) => q.detector === name))) {
      if (p.mistakesPerHour > rateMax) continue;
      const targetMs = p.detectionMs * (1 + tolerance);
      const marginMs = solveMarginMs(last, base, targetMs);
      if (Number.isNaN(marginMs) || seen.has(marginMs)) continue;
      seen.add(marginMs);
      const point = refineMatched(marginMs, targetMs, (m) =>
        toPoint(main.detector, main.param, m, createDetector(main.detector, { ...main.fixed, safetyMarginMs: m }), trace, true),
      );
      if (point !== null) out.push(point);
    }
  }
  return out;
}

/** Secant steps of `refineMatched`, then halvings of a widening step down. */
const REFINE_STEPS_MAX = 6;
const REFINE_FALLBACK_STEPS_MAX = 30;

/**
 * The solved margin is exact when every heartbeat uses the configured margin. Where the default
 * time-shares between two margins (hull.ts) the mean detection time is that of the mean margin
 * only on average, so the point is corrected by secant steps (T_D grows by about 1 ms per ms of
 * margin) and the best point with T_D <= target is kept. If none is found that way, the margin
 * is lowered by a doubling step until one is (null only if even that fails).
 */
export function refineMatched<P extends { readonly detectionMs: number; readonly mistakes: number }>(
  marginMs: number,
  targetMs: number,
  replay: (marginMs: number) => P,
): P | null {
  let best: P | null = null;
  let m = marginMs;
  const consider = (p: P): void => {
    if (p.detectionMs <= targetMs && (best === null || p.mistakes < best.mistakes || (p.mistakes === best.mistakes && p.detectionMs < best.detectionMs))) best = p;
  };
  for (let i = 0; i < REFINE_STEPS_MAX; i++) {
    const p = replay(m);
    consider(p);
    const missMs = targetMs - p.detectionMs;
    if (missMs >= 0 && missMs <= targetMs * 1e-3) break;
    m += missMs;
  }
  let stepMs = Math.max(1, targetMs * 1e-3);
  for (let i = 0; best === null && i < REFINE_FALLBACK_STEPS_MAX; i++, stepMs *= 2) consider(replay(marginMs - stepMs));
  return best;
}

function compareFronts(trace: Trace, points: readonly BenchPoint[], tolerance: number, rateMax: number, noiseZ: number): FamilyResult {
  const names = [...new Set(points.map((p) => p.detector))];
  const fronts: Record<string, BenchPoint[]> = {};
  for (const name of names) fronts[name] = paretoFront(points.filter((p) => p.detector === name));
  const ours = fronts[defaultDetectorName] ?? [];
  const dominatesEach: Record<string, boolean> = {};
  const strictlyBeats: Record<string, boolean> = {};
  const missed: Record<string, { detectionMs: number; mistakesPerHour: number }[]> = {};
  const noiseEach: Record<string, boolean> = {};
  const noiseMissed: Record<string, { detectionMs: number; mistakes: number }[]> = {};
  let toleranceNeeded = 0;
  for (const name of names) {
    if (name === defaultDetectorName || name === STALL_AWARE_SERIES) continue;
    const theirs = (fronts[name] ?? []).filter((p) => p.mistakesPerHour <= rateMax);
    const left = undominated(ours, theirs, tolerance);
    for (const p of theirs) toleranceNeeded = Math.max(toleranceNeeded, dominanceGap(ours, p));
    dominatesEach[name] = left.length === 0;
    strictlyBeats[name] = strictlyBeatsSomewhere(ours, theirs, tolerance);
    missed[name] = left.map((p) => ({ detectionMs: p.detectionMs, mistakesPerHour: p.mistakesPerHour }));
    const noisyLeft = undominatedWithinNoise(ours, theirs, tolerance, noiseZ);
    noiseEach[name] = noisyLeft.length === 0;
    noiseMissed[name] = noisyLeft.map((p) => ({ detectionMs: p.detectionMs, mistakes: p.mistakes }));
  }
  const upMs = trace.epochs.reduce((a, e) => a + ((e.crashMs ?? e.endMs) - e.startMs), 0);
  return {
    name: trace.name,
    heartbeats: trace.arrivalsMs.length,
    crashes: trace.epochs.filter((e) => e.crashMs !== null).length,
    upHours: upMs / 3_600_000,
    dominates: Object.values(dominatesEach).every(Boolean),
    dominatesEach,
    strictlyBeats,
    toleranceNeeded,
    withinNoise: { dominates: Object.values(noiseEach).every(Boolean), dominatesEach: noiseEach, undominated: noiseMissed },
    undominated: missed,
    points,
    fronts,
  };
}

/** The default detector at its default parameters, with and without stall awareness, on a stall trace. */
export function stallReport(trace: Trace, detector: DetectorName = defaultDetectorName): StallReport {
  const stallSource = new IntervalStallSource(trace.stalls);
  const inStall = (tMs: number): boolean =>
    trace.stalls.some((s) => tMs >= s.startMs && tMs <= s.endMs + trace.intervalMs);
  const plain = replayTrace(trace, createDetector(detector), { recordMistakes: true });
  const aware = replayTrace(trace, withStallAwareness(createDetector(detector), stallSource), { recordMistakes: true });
  return {
    family: trace.name,
    detector,
    params: {},
    stalls: trace.stalls.length,
    longestStallMs: Math.max(0, ...trace.stalls.map((s) => s.endMs - s.startMs)),
    plain: {
      mistakes: plain.mistakes,
      mistakesDuringStalls: (plain.mistakeStartsMs ?? []).filter(inStall).length,
      meanDetectionMs: plain.meanDetectionTimeMs,
    },
    stallAware: {
      mistakes: aware.mistakes,
      mistakesDuringStalls: (aware.mistakeStartsMs ?? []).filter(inStall).length,
      meanDetectionMs: aware.meanDetectionTimeMs,
      crashesDetected: aware.detectionTimesMs.filter(Number.isFinite).length,
      crashes: aware.crashes,
    },
  };
}
