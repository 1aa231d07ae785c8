import { Limits } from '../core/limits.js';
import { DeadlineDetectorBase } from './deadline.js';
import { ArrivalWindow } from './expected-arrival.js';
import { rejectUnknownKeys, requireInt, requireNonNegative, requirePositive } from './validate.js';

/**
 * Chen, Toueg & Aguilera (2002): the next heartbeat is expected at EA_{k+1}, estimated from the
 * last n arrivals (see expected-arrival.ts); the peer is suspected from the freshness point
 * τ_{k+1} = EA_{k+1} + α on, α being a constant safety margin.
 */
export interface ChenConfig {
  /** Arrivals in the estimation window. Chen et al. use n = 1000 in their experiments. */
  windowSize: number;
  /** Safety margin α added to the expected arrival. Default 200 ms (a nines choice; the paper derives α from QoS targets). */
  safetyMarginMs: number;
  /** Sending interval assumed until two heartbeats were seen. Default 1000 ms. */
  firstHeartbeatEstimateMs: number;
}

export const chenDefaults: ChenConfig = { windowSize: 1000, safetyMarginMs: 200, firstHeartbeatEstimateMs: 1000 };

const NAME = 'chen';

export function validateChen(params: Partial<ChenConfig> = {}): ChenConfig {
  rejectUnknownKeys(NAME, params, Object.keys(chenDefaults));
  const c = { ...chenDefaults, ...params };
  requireInt(NAME, 'windowSize', c.windowSize, 1, Limits.detectorWindowMax);
  requireNonNegative(NAME, 'safetyMarginMs', c.safetyMarginMs);
  requirePositive(NAME, 'firstHeartbeatEstimateMs', c.firstHeartbeatEstimateMs);
  return c;
}

export class ChenDetector extends DeadlineDetectorBase {
  readonly name = NAME;
  readonly config: ChenConfig;
  readonly #window: ArrivalWindow;

  constructor(params: Partial<ChenConfig> = {}) {
    super();
    this.config = validateChen(params);
    this.#window = new ArrivalWindow(this.config.windowSize);
  }

  /** EA_{k+1}, or Infinity before the first heartbeat. */
  expectedArrivalMs(): number {
    if (this.#window.size === 0) return Number.POSITIVE_INFINITY;
    return this.#window.expectedNextMs(this.config.firstHeartbeatEstimateMs);
  }

  protected observe(arrivalMs: number): void {
    this.#window.add(arrivalMs);
  }

  protected deadlineMs(): number {
    return this.expectedArrivalMs() + this.config.safetyMarginMs;
  }

  protected forget(): void {
    this.#window.clear();
  }
}
