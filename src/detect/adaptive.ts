import { Limits } from '../core/limits.js';
import { DeadlineDetectorBase } from './deadline.js';
import { ArrivalWindow } from './expected-arrival.js';
import { quantileInPlace } from './quantile.js';
import { StatsRing } from './ring.js';
import { rejectUnknownKeys, requireFraction, requireInt, requireNonNegative, requirePositive } from './validate.js';

/**
 * `adaptive`, the nines default. The design and the bench evidence are in docs/detectors.md.
 *
 * Two predictors of the next arrival, and the one that has been right lately wins:
 * - interval: last arrival + the median inter-arrival gap over the long window. The median
 *   ignores losses, sender pauses and the bursts of heartbeats a stalled monitor sees at once;
 * - freshness: Chen's expected arrival EA_{k+1} over the long window. On a network with
 *   independent jitter it does not inherit the last heartbeat's delay, so it is tighter;
 *   a loss or a burst shifts its index and makes it wrong, which its error shows at once.
 * Each heartbeat scores both predictions (absolute error) over the short error window; the one
 * with the smaller total predicts the next deadline. A regime change is followed as soon as
 * the short error window has seen it.
 *
 * The freshness point is prediction + safetyMarginMs + boost. The boost is a short memory of
 * trouble: a heartbeat later than predicted by L sets boost to max(boost·decay, boostGain·L),
 * and boost decays by `boostDecay` per heartbeat, so right after a loss burst or a pause (when
 * another is likely) the detector is more patient, and a few seconds later it is not.
 * Learned state never depends on safetyMarginMs, so the deadline is (state + margin).
 */
export interface AdaptiveConfig {
  /** Constant safety margin added to the prediction: the main knob. Default 200 ms. */
  safetyMarginMs: number;
  /** Window of inter-arrival gaps and of the freshness estimate (heartbeats). Default 1000. */
  longWindowSize: number;
  /** Window over which the predictors’ errors are compared (heartbeats). Default 30. */
  errorWindowSize: number;
  /** Fraction of a late heartbeat's lateness added to the margin. Default 0.5. */
  boostGain: number;
  /** Per-heartbeat decay of that extra margin. Default 0.8 (halves in ~3 heartbeats). */
  boostDecay: number;
  /** Interval assumed until the first gap is seen. Default 1000 ms (as Akka). */
  firstHeartbeatEstimateMs: number;
}

export const adaptiveDefaults: AdaptiveConfig = {
  safetyMarginMs: 200,
  longWindowSize: 1000,
  errorWindowSize: 30,
  boostGain: 0.5,
  boostDecay: 0.8,
  firstHeartbeatEstimateMs: 1000,
};

const NAME = 'adaptive';

/** The median gap is recomputed every this many heartbeats (amortised O(1)). */
const MEDIAN_RECOMPUTE_EVERY = 64;
/** While the gap window is this small, the median is recomputed at every heartbeat. */
const MEDIAN_WARMUP_GAPS = 64;

export function validateAdaptive(params: Partial<AdaptiveConfig> = {}): AdaptiveConfig {
  rejectUnknownKeys(NAME, params, Object.keys(adaptiveDefaults));
  const c = { ...adaptiveDefaults, ...params };
  requireNonNegative(NAME, 'safetyMarginMs', c.safetyMarginMs);
  requireInt(NAME, 'longWindowSize', c.longWindowSize, 2, Limits.detectorWindowMax);
  requireInt(NAME, 'errorWindowSize', c.errorWindowSize, 1, Limits.detectorWindowMax);
  requireNonNegative(NAME, 'boostGain', c.boostGain);
  requireFraction(NAME, 'boostDecay', c.boostDecay);
  requirePositive(NAME, 'firstHeartbeatEstimateMs', c.firstHeartbeatEstimateMs);
  return c;
}

export class AdaptiveDetector extends DeadlineDetectorBase {
  readonly name = NAME;
  readonly config: AdaptiveConfig;
  readonly #gaps: StatsRing;
  readonly #scratch: Float64Array;
  readonly #fresh: ArrivalWindow;
  readonly #intervalErrors: StatsRing;
  readonly #freshErrors: StatsRing;
  #medianGapMs: number;
  #sinceMedian = 0;
  #intervalPredictionMs = Number.NaN;
  #freshPredictionMs = Number.NaN;
  #boostMs = 0;

  constructor(params: Partial<AdaptiveConfig> = {}) {
    super();
    this.config = validateAdaptive(params);
    this.#gaps = new StatsRing(this.config.longWindowSize);
    this.#scratch = new Float64Array(this.config.longWindowSize);
    this.#fresh = new ArrivalWindow(this.config.longWindowSize);
    this.#intervalErrors = new StatsRing(this.config.errorWindowSize);
    this.#freshErrors = new StatsRing(this.config.errorWindowSize);
    this.#medianGapMs = this.config.firstHeartbeatEstimateMs;
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

  /** The margin beyond the prediction: safetyMarginMs + the current boost. */
  marginMs(): number {
    return this.config.safetyMarginMs + this.#boostMs;
  }

  /** Continuous level: 0 until the predicted arrival, 1 at the freshness point, growing after. */
  protected override level(nowMs: number): number {
    const expectedMs = this.expectedArrivalMs();
    if (nowMs < expectedMs) return 0;
    const marginMs = this.marginMs();
    if (marginMs === 0) return Number.POSITIVE_INFINITY;
    return (nowMs - expectedMs) / marginMs;
  }

  protected observe(arrivalMs: number, previousMs: number | undefined): void {
    if (previousMs !== undefined) {
      const lateMs = Math.max(0, arrivalMs - this.expectedArrivalMs());
      this.#boostMs = Math.max(this.#boostMs * this.config.boostDecay, this.config.boostGain * lateMs);
      this.#intervalErrors.push(Math.abs(arrivalMs - this.#intervalPredictionMs));
      this.#freshErrors.push(Math.abs(arrivalMs - this.#freshPredictionMs));
      this.#gaps.push(arrivalMs - previousMs);
      if (++this.#sinceMedian >= MEDIAN_RECOMPUTE_EVERY || this.#gaps.size < MEDIAN_WARMUP_GAPS) this.#recomputeMedian();
    }
    this.#fresh.add(arrivalMs);
    this.#intervalPredictionMs = arrivalMs + this.#medianGapMs;
    this.#freshPredictionMs = this.#fresh.expectedNextMs(this.#medianGapMs);
  }

  protected deadlineMs(): number {
    return this.expectedArrivalMs() + this.marginMs();
  }

  protected forget(): void {
    this.#gaps.clear();
    this.#fresh.clear();
    this.#intervalErrors.clear();
    this.#freshErrors.clear();
    this.#medianGapMs = this.config.firstHeartbeatEstimateMs;
    this.#sinceMedian = 0;
    this.#intervalPredictionMs = Number.NaN;
    this.#freshPredictionMs = Number.NaN;
    this.#boostMs = 0;
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
