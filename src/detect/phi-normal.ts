import { Limits } from '../core/limits.js';
import { DeadlineDetectorBase } from './deadline.js';
import { phiOfZ, zOfPhi } from './normal-tail.js';
import { StatsRing } from './ring.js';
import { rejectUnknownKeys, requireInt, requireNonNegative, requirePositive } from './validate.js';

/**
 * φ-accrual with a normal model of inter-arrival times (Hayashibara et al. 2004), with the
 * parameters and behaviour of Akka's `PhiAccrualFailureDetector`:
 * φ(t) = -log10 P(X > t - last) with X ~ N(mean + acceptablePause, max(σ, minStdDeviation)),
 * the history seeded with firstHeartbeatEstimate ± estimate/4, and an interval recorded only
 * when the heartbeat arrived while the peer was still trusted (as Akka does).
 *
 * The tail is computed in the log domain (see normal-tail.ts), so φ keeps growing with silence
 * instead of saturating at Infinity around 38σ, and the deadline is exact:
 * last + mean + pause + z(threshold)·σ.
 */
export interface PhiNormalConfig {
  /** φ at which the peer is suspected. Akka default 8 (P(late) = 1e-8). */
  threshold: number;
  /** Inter-arrival samples kept. Akka default 1000. */
  maxSampleSize: number;
  /** Floor on the standard deviation. Akka default 100 ms. */
  minStdDeviationMs: number;
  /** Added to the mean: pauses tolerated without suspicion. Akka's formula default 0 (cluster config uses 3 s). */
  acceptableHeartbeatPauseMs: number;
  /** Assumed interval before any sample. Akka default 1000 ms. */
  firstHeartbeatEstimateMs: number;
}

export const phiNormalDefaults: PhiNormalConfig = {
  threshold: 8,
  maxSampleSize: 1000,
  minStdDeviationMs: 100,
  acceptableHeartbeatPauseMs: 0,
  firstHeartbeatEstimateMs: 1000,
};

const NAME = 'phi-normal';

export function validatePhiNormal(params: Partial<PhiNormalConfig> = {}): PhiNormalConfig {
  rejectUnknownKeys(NAME, params, Object.keys(phiNormalDefaults));
  const c = { ...phiNormalDefaults, ...params };
  requirePositive(NAME, 'threshold', c.threshold);
  requireInt(NAME, 'maxSampleSize', c.maxSampleSize, 2, Limits.detectorWindowMax);
  requirePositive(NAME, 'minStdDeviationMs', c.minStdDeviationMs);
  requireNonNegative(NAME, 'acceptableHeartbeatPauseMs', c.acceptableHeartbeatPauseMs);
  requirePositive(NAME, 'firstHeartbeatEstimateMs', c.firstHeartbeatEstimateMs);
  return c;
}

export class PhiNormalDetector extends DeadlineDetectorBase {
  readonly name = NAME;
  override readonly threshold: number;
  readonly config: PhiNormalConfig;
  readonly #intervals: StatsRing;
  /** z such that φ(z) = threshold, computed once. */
  readonly #zThreshold: number;

  constructor(params: Partial<PhiNormalConfig> = {}) {
    super();
    this.config = validatePhiNormal(params);
    this.threshold = this.config.threshold;
    this.#intervals = new StatsRing(this.config.maxSampleSize);
    this.#zThreshold = zOfPhi(this.threshold);
  }

  /** Mean of the modelled inter-arrival (including the acceptable pause). */
  meanMs(): number {
    return this.#intervals.mean() + this.config.acceptableHeartbeatPauseMs;
  }

  /** Standard deviation of the model (floored at minStdDeviationMs). */
  stdDeviationMs(): number {
    return Math.max(Math.sqrt(this.#intervals.variance()), this.config.minStdDeviationMs);
  }

  protected override level(nowMs: number, lastMs: number): number {
    return phiOfZ((nowMs - lastMs - this.meanMs()) / this.stdDeviationMs());
  }

  protected observe(arrivalMs: number, previousMs: number | undefined, wasSuspected: boolean): void {
    if (previousMs === undefined) {
      const estimate = this.config.firstHeartbeatEstimateMs;
      this.#intervals.push(estimate - estimate / 4);
      this.#intervals.push(estimate + estimate / 4);
      return;
    }
    if (!wasSuspected) this.#intervals.push(arrivalMs - previousMs);
  }

  protected deadlineMs(lastMs: number): number {
    return lastMs + this.meanMs() + this.#zThreshold * this.stdDeviationMs();
  }

  protected forget(): void {
    this.#intervals.clear();
  }
}
