import { Limits } from '../core/limits.js';
import { BurstMemory } from './burst.js';
import { type MixPlan, ResidualHull } from './hull.js';
import { DeadlineDetectorBase } from './deadline.js';
import { ArrivalFit } from './arrival-fit.js';
import { quantileInPlace } from './quantile.js';
import { StatsRing } from './ring.js';
import { ChangeAwareSpread } from './spread.js';
import { rejectUnknownKeys, requireFinite, requireFraction, requireInt, requireNonNegative, requirePositive } from './validate.js';

/**
 * `adaptive`, the nines default. The design and the bench evidence are in docs/detectors.md.
 *
 * deadline = prediction + spreadWeight·spread + boost + safetyMarginMs (spreadWeight 2.5), where
 * - prediction: the better of two predictors of the next arrival over the last
 *   `errorWindowSize` heartbeats (smaller total absolute error):
 *   interval = last arrival + the median inter-arrival gap over the long window (the median
 *   ignores losses, pauses and the bursts a stalled monitor sees), and freshness = Chen's
 *   expected arrival EA_{k+1} over the long window (with independent jitter it does not inherit
 *   the last heartbeat's delay);
 * - spread: the median absolute prediction error over the long window, restarted from the last
 *   `changeWindowSize` errors when those differ from it by more than `changeRatio` (a regime
 *   change; the freshness window and the predictor scores restart too). Stable on a stationary
 *   network — a noisy margin costs accuracy — and re-learned within seconds after a change;
 * - boost: extra patience after a long gap, only while long gaps are seen to come in bursts
 *   (see burst.ts): after a loss in a bursty channel another loss is likely, after an isolated
 *   pause or a heavy-tailed delay it is not;
 * - time-sharing (hull.ts): where the residuals arrival − (deadline without margin) show a step
 *   around the margin — a lost heartbeat arrives one interval late — each heartbeat uses one of
 *   two margins whose mean is safetyMarginMs, which keeps the mean detection time and makes
 *   fewer mistakes (the lower convex hull of the residuals' survival function).
 * The freshness predictor fits the sending interval by least squares (arrival-fit.ts), so a
 * lost or bunched heartbeat leaving its window does not make the prediction jump.
 * Learned state never depends on safetyMarginMs; without time-sharing deadline(m) =
 * max(last, deadline(0) + m), with it the mean margin is m. The margin may be negative (suspect
 * before the predicted arrival: the aggressive end of the trade-off, as a fixed timeout shorter
 * than the heartbeat interval).
 */
export interface AdaptiveConfig {
  /** Constant margin beyond prediction + spread term + boost: the main knob. Default 200 ms; may be negative. */
  safetyMarginMs: number;
  /** Window of inter-arrival gaps, of the freshness estimate and of the spread (heartbeats). Default 1000. */
  longWindowSize: number;
  /** Window over which the predictors' errors are compared (heartbeats). Default 30. */
  errorWindowSize: number;
  /** Fraction of a long gap's excess (gap − median gap) added as boost in a bursty stream. Default 1. */
  boostGain: number;
  /** Per-heartbeat decay of the boost. Default 0.5. */
  boostDecay: number;
  /** Long gaps are bursty when P(long | previous long) > burstRatio · P(long). Default 3. */
  burstRatio: number;
  /** Weight of the spread (median absolute prediction error) in the deadline. Default 2.5. */
  spreadWeight: number;
  /** Recent errors compared with the long-window spread to detect a regime change. Default 15. */
  changeWindowSize: number;
  /** A recent median error this many times larger or smaller than the spread is a regime change. Default 3. */
  changeRatio: number;
  /** Interval assumed until the first gap is seen. Default 1000 ms (as Akka). */
  firstHeartbeatEstimateMs: number;
  /**
   * Memory (heartbeats) of the residual distribution used to time-share between two margins on
   * its convex hull (hull.ts); 0 turns time-sharing off. Default 20000.
   */
  mixMemory: number;
}

export const adaptiveDefaults: AdaptiveConfig = {
  safetyMarginMs: 200,
  longWindowSize: 1000,
  errorWindowSize: 30,
  boostGain: 1,
  boostDecay: 0.5,
  burstRatio: 3,
  spreadWeight: 2.5,
  changeWindowSize: 15,
  changeRatio: 3,
  firstHeartbeatEstimateMs: 1000,
  mixMemory: 20_000,
};

const NAME = 'adaptive';

/** The median gap is recomputed every this many heartbeats (amortised O(1)). */
const MEDIAN_RECOMPUTE_EVERY = 64;
/** While the gap window is this small, the median is recomputed at every heartbeat. */
const MEDIAN_WARMUP_GAPS = 64;
/**
 * Gaps shorter than this fraction of the median gap are bunched arrivals (a monitor stall's
 * queue, reordering): their prediction errors say nothing about network jitter.
 */
const BUNCHED_GAP_FRACTION = 0.25;

/** Gain of the freshness predictor's bias correction (an EWMA of its signed error, as Bertier's delay). */
const FRESH_BIAS_GAIN = 0.02;
/** A gap longer than this many median gaps is a loss or a pause (as in burst.ts). */
const LONG_GAP_FACTOR = 1.5;

/** Time-sharing (hull.ts): residual histogram from ±0.05 ms to ±60 s, hull recomputed every 128 heartbeats. */
const MIX_RESOLUTION_MS = 0.05;
const MIX_RANGE_MS = 60_000;
const MIX_RECOMPUTE_EVERY = 128;
/** The longest residual memory a config may ask for (heartbeats). */
const MIX_MEMORY_MAX = 1_000_000;
/** No time-sharing before this many residuals. */
const MIX_MIN_SAMPLES = 200;
/** A hull plan must save this many of the mistakes the residuals seen would have caused, and this fraction of the pure margin's. */
const MIX_MIN_GAIN_COUNT = 2;
const MIX_MIN_GAIN_FRACTION = 0.1;

export function validateAdaptive(params: Partial<AdaptiveConfig> = {}): AdaptiveConfig {
  rejectUnknownKeys(NAME, params, Object.keys(adaptiveDefaults));
  const c = { ...adaptiveDefaults, ...params };
  requireFinite(NAME, 'safetyMarginMs', c.safetyMarginMs, Number.NEGATIVE_INFINITY, false);
  requireInt(NAME, 'longWindowSize', c.longWindowSize, 2, Limits.detectorWindowMax);
  requireInt(NAME, 'errorWindowSize', c.errorWindowSize, 1, Limits.detectorWindowMax);
  requireNonNegative(NAME, 'boostGain', c.boostGain);
  requireFraction(NAME, 'boostDecay', c.boostDecay);
  requirePositive(NAME, 'burstRatio', c.burstRatio);
  requireNonNegative(NAME, 'spreadWeight', c.spreadWeight);
  requireInt(NAME, 'changeWindowSize', c.changeWindowSize, 1, Math.floor(c.longWindowSize / 2));
  requireFinite(NAME, 'changeRatio', c.changeRatio, 1, false);
  requirePositive(NAME, 'firstHeartbeatEstimateMs', c.firstHeartbeatEstimateMs);
  if (c.mixMemory !== 0) requireInt(NAME, 'mixMemory', c.mixMemory, 1, MIX_MEMORY_MAX);
  return c;
}

export class AdaptiveDetector extends DeadlineDetectorBase {
  readonly name = NAME;
  readonly config: AdaptiveConfig;
  readonly #gaps: StatsRing;
  readonly #scratch: Float64Array;
  readonly #fresh: ArrivalFit;
  readonly #intervalErrors: StatsRing;
  readonly #freshErrors: StatsRing;
  readonly #spread: ChangeAwareSpread;
  readonly #burst: BurstMemory;
  #medianGapMs: number;
  #sinceMedian = 0;
  #intervalPredictionMs = Number.NaN;
  #freshPredictionMs = Number.NaN;
  #freshBiasMs = 0;
  readonly #hull: ResidualHull | null;
  /** The deadline without the margin, after the last arrival (NaN before the first). */
  #baseMs = Number.NaN;
  /** The margin in use until the next arrival (the config's, or one side of a time-sharing plan). */
  #marginNowMs: number;
  #plan: MixPlan | null = null;
  #planVersion = -1;
  #mixCredit = 0;

  constructor(params: Partial<AdaptiveConfig> = {}) {
    super();
    const c = validateAdaptive(params);
    this.config = c;
    this.#gaps = new StatsRing(c.longWindowSize);
    this.#scratch = new Float64Array(c.longWindowSize);
    this.#fresh = new ArrivalFit(c.longWindowSize);
    this.#intervalErrors = new StatsRing(c.errorWindowSize);
    this.#freshErrors = new StatsRing(c.errorWindowSize);
    this.#spread = new ChangeAwareSpread(c.longWindowSize, c.changeWindowSize, c.changeRatio);
    this.#burst = new BurstMemory(c.longWindowSize, c.burstRatio, c.boostGain, c.boostDecay);
    this.#medianGapMs = c.firstHeartbeatEstimateMs;
    this.#marginNowMs = c.safetyMarginMs;
    this.#hull =
      c.mixMemory === 0
        ? null
        : new ResidualHull({
            memoryHeartbeats: c.mixMemory,
            resolutionMs: MIX_RESOLUTION_MS,
            rangeMs: MIX_RANGE_MS,
            recomputeEvery: MIX_RECOMPUTE_EVERY,
            minSamples: MIX_MIN_SAMPLES,
            minGainCount: MIX_MIN_GAIN_COUNT,
            minGainFraction: MIX_MIN_GAIN_FRACTION,
          });
  }

  /** The median inter-arrival gap (the first-heartbeat estimate before any gap). */
  medianGapMs(): number {
    return this.#medianGapMs;
  }

  /** Which predictor is in use: 'interval' or 'freshness'. */
  predictor(): 'interval' | 'freshness' {
    return this.#freshErrors.size > 0 && this.#freshErrors.sum < this.#intervalErrors.sum ? 'freshness' : 'interval';
  }

  /** The predicted next arrival, or Infinity before the first heartbeat. */
  expectedArrivalMs(): number {
    if (Number.isNaN(this.#intervalPredictionMs)) return Number.POSITIVE_INFINITY;
    return this.predictor() === 'freshness' ? this.#freshPredictionMs : this.#intervalPredictionMs;
  }

  /** The learned spread of the prediction errors (ms). */
  spreadMs(): number {
    return this.#spread.valueMs;
  }

  /** The current boost (ms): > 0 only shortly after a long gap in a bursty stream. */
  boostMs(): number {
    return this.#burst.boostMs;
  }

  /** Whether long gaps currently look clustered (the boost is active). */
  bursty(): boolean {
    return this.#burst.bursty();
  }

  /**
   * The offset of the deadline from the prediction at the configured margin: safetyMarginMs +
   * spreadWeight·spread + boost (may be negative). Where time-sharing is on (`mixPlan()`), the
   * deadline uses one side of the plan instead, whose mean is this.
   */
  marginMs(): number {
    return this.config.safetyMarginMs + this.config.spreadWeight * this.#spread.valueMs + this.#burst.boostMs;
  }

  /**
   * Continuous level: 0 until min(predicted arrival, deadline), then growing linearly to 1 at the
   * deadline (Infinity when the deadline is that start itself).
   */
  protected override level(nowMs: number, lastMs: number): number {
    const deadlineMs = this.suspectAtMs();
    const startMs = Math.max(lastMs, Math.min(this.expectedArrivalMs(), deadlineMs));
    if (nowMs < startMs) return 0;
    if (deadlineMs <= startMs) return Number.POSITIVE_INFINITY;
    return (nowMs - startMs) / (deadlineMs - startMs);
  }

  protected observe(arrivalMs: number, previousMs: number | undefined): void {
    if (previousMs !== undefined) {
      const gapMs = arrivalMs - previousMs;
      const errorMs = Math.abs(arrivalMs - this.expectedArrivalMs());
      this.#hull?.add(arrivalMs - this.#baseMs);
      this.#burst.observe(gapMs, this.#medianGapMs);
      this.#intervalErrors.push(Math.abs(arrivalMs - this.#intervalPredictionMs));
      this.#freshErrors.push(Math.abs(arrivalMs - this.#freshPredictionMs));
      this.#freshBiasMs += FRESH_BIAS_GAIN * (arrivalMs - this.#freshPredictionMs);
      if (gapMs >= BUNCHED_GAP_FRACTION * this.#medianGapMs && this.#spread.add(errorMs)) {
        // A regime change: the old schedule and the old scores mislead; learn them again.
        this.#fresh.clear();
        this.#freshBiasMs = 0;
        this.#intervalErrors.clear();
        this.#freshErrors.clear();
        this.#hull?.clear();
      } else if (gapMs > LONG_GAP_FACTOR * this.#medianGapMs) {
        // A loss or a pause may have shifted the sender's schedule (and Chen's count-based index):
        // the freshness predictor must prove itself again before it is trusted.
        this.#intervalErrors.clear();
        this.#freshErrors.clear();
      }
      this.#gaps.push(gapMs);
      if (++this.#sinceMedian >= MEDIAN_RECOMPUTE_EVERY || this.#gaps.size < MEDIAN_WARMUP_GAPS) this.#recomputeMedian();
    }
    this.#fresh.add(arrivalMs);
    this.#intervalPredictionMs = arrivalMs + this.#medianGapMs;
    this.#freshPredictionMs = this.#fresh.expectedNextMs(this.#medianGapMs) + this.#freshBiasMs;
    this.#baseMs = this.expectedArrivalMs() + this.config.spreadWeight * this.#spread.valueMs + this.#burst.boostMs;
    this.#marginNowMs = this.#chooseMargin();
  }

  protected deadlineMs(): number {
    return this.#baseMs + this.#marginNowMs;
  }

  /** The time-sharing plan in use, or null (then every heartbeat uses the configured margin). */
  mixPlan(): MixPlan | null {
    return this.#plan;
  }

  /**
   * The margin after this arrival: the configured one, or — where the learned residual
   * distribution has a step around it — the low or high side of its hull segment, in the
   * proportions that keep the mean margin (and so the mean detection time) unchanged. The
   * choice is a deterministic credit counter, independent of the arrivals.
   */
  #chooseMargin(): number {
    const m = this.config.safetyMarginMs;
    const hull = this.#hull;
    if (hull === null) return m;
    if (hull.version !== this.#planVersion) {
      this.#planVersion = hull.version;
      this.#plan = hull.plan(m, this.#medianGapMs);
    }
    const plan = this.#plan;
    if (plan === null) return m;
    this.#mixCredit += plan.lowWeight;
    if (this.#mixCredit >= 1) {
      this.#mixCredit -= 1;
      return plan.lowMs;
    }
    return plan.highMs;
  }

  protected forget(): void {
    this.#gaps.clear();
    this.#fresh.clear();
    this.#intervalErrors.clear();
    this.#freshErrors.clear();
    this.#spread.clear();
    this.#burst.clear();
    this.#medianGapMs = this.config.firstHeartbeatEstimateMs;
    this.#sinceMedian = 0;
    this.#intervalPredictionMs = Number.NaN;
    this.#freshPredictionMs = Number.NaN;
    this.#freshBiasMs = 0;
    this.#hull?.clear();
    this.#baseMs = Number.NaN;
    this.#marginNowMs = this.config.safetyMarginMs;
    this.#plan = null;
    this.#planVersion = -1;
    this.#mixCredit = 0;
  }

  #recomputeMedian(): void {
    this.#sinceMedian = 0;
    const n = this.#gaps.size;
    this.#gaps.copyTo(this.#scratch);
    const median = quantileInPlace(this.#scratch, n, 0.5);
    // A degenerate history (most gaps zero) falls back to the mean, then to the first estimate.
    const mean = this.#gaps.mean();
    this.#medianGapMs = median > 0 ? median : mean > 0 ? mean : this.config.firstHeartbeatEstimateMs;
  }
}
