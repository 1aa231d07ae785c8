import { Limits } from '../core/limits.js';
import { DeadlineDetectorBase } from './deadline.js';
import { StatsRing } from './ring.js';
import { rejectUnknownKeys, requireInt, requirePositive } from './validate.js';

/**
 * φ-accrual with an exponential model of inter-arrival times, as in Cassandra's
 * `FailureDetector`/`ArrivalWindow`: φ(t) = (t - last) / (mean · ln 10), i.e.
 * -log10 of P(X > t - last) for X exponential with the window's mean.
 * Intervals longer than `maxIntervalMs` are not recorded (Cassandra ignores them); the first
 * heartbeat records `initialIntervalMs`. Deadline: last + threshold · ln 10 · mean.
 */
export interface PhiExponentialConfig {
  /** φ at which the peer is convicted. Cassandra's `phi_convict_threshold` default 8. */
  threshold: number;
  /** Intervals kept. Cassandra's ArrivalWindow default 1000. */
  windowSize: number;
  /** Interval recorded at the first heartbeat. Cassandra's `fd_initial_value_ms` default 2000 ms. */
  initialIntervalMs: number;
  /** Longer intervals are ignored. Cassandra's `fd_max_interval_ms` default 2000 ms. */
  maxIntervalMs: number;
}

export const phiExponentialDefaults: PhiExponentialConfig = {
  threshold: 8,
  windowSize: 1000,
  initialIntervalMs: 2000,
  maxIntervalMs: 2000,
};

const NAME = 'phi-exponential';

export function validatePhiExponential(params: Partial<PhiExponentialConfig> = {}): PhiExponentialConfig {
  rejectUnknownKeys(NAME, params, Object.keys(phiExponentialDefaults));
  const c = { ...phiExponentialDefaults, ...params };
  requirePositive(NAME, 'threshold', c.threshold);
  requireInt(NAME, 'windowSize', c.windowSize, 1, Limits.detectorWindowMax);
  requirePositive(NAME, 'initialIntervalMs', c.initialIntervalMs);
  requirePositive(NAME, 'maxIntervalMs', c.maxIntervalMs);
  return c;
}

export class PhiExponentialDetector extends DeadlineDetectorBase {
  readonly name = NAME;
  override readonly threshold: number;
  readonly config: PhiExponentialConfig;
  readonly #intervals: StatsRing;

  constructor(params: Partial<PhiExponentialConfig> = {}) {
    super();
    this.config = validatePhiExponential(params);
    this.threshold = this.config.threshold;
    this.#intervals = new StatsRing(this.config.windowSize);
  }

  /** Mean recorded interval, floored at 1 µs so φ stays finite after zero-length intervals. */
  meanMs(): number {
    return Math.max(this.#intervals.mean(), 1e-3);
  }

  protected override level(nowMs: number, lastMs: number): number {
    return (nowMs - lastMs) / (this.meanMs() * Math.LN10);
  }

  protected observe(arrivalMs: number, previousMs: number | undefined): void {
    if (previousMs === undefined) {
      this.#intervals.push(this.config.initialIntervalMs);
      return;
    }
    const intervalMs = arrivalMs - previousMs;
    if (intervalMs <= this.config.maxIntervalMs) this.#intervals.push(intervalMs);
  }

  protected deadlineMs(lastMs: number): number {
    return lastMs + this.threshold * Math.LN10 * this.meanMs();
  }

  protected forget(): void {
    this.#intervals.clear();
  }
}
