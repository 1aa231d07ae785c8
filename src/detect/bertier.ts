import { Limits } from '../core/limits.js';
import { DeadlineDetectorBase } from './deadline.js';
import { ArrivalWindow } from './expected-arrival.js';
import { rejectUnknownKeys, requireFraction, requireInt, requireNonNegative, requirePositive } from './validate.js';

/**
 * Bertier, Marin & Sens (2002): Chen's expected arrival plus a dynamic safety margin
 * estimated like Jacobson's TCP retransmission timeout. With error_k = A_k − EA_k − delay_k:
 * delay += γ·error, var += γ·(|error| − var), and the margin α = β·delay + φ·var.
 * The freshness point is EA_{k+1} + α.
 */
export interface BertierConfig {
  /** Arrivals in the expected-arrival window. Bertier et al. use n = 1000. */
  windowSize: number;
  /** Gain γ of the delay and variance estimators. Bertier (after Jacobson) γ = 0.1. */
  gain: number;
  /** Weight β of the estimated delay. Bertier β = 1. */
  delayWeight: number;
  /** Weight φ of the estimated variance: the main knob. Bertier φ = 4. */
  varianceWeight: number;
  /** Sending interval assumed until two heartbeats were seen. Default 1000 ms. */
  firstHeartbeatEstimateMs: number;
}

export const bertierDefaults: BertierConfig = {
  windowSize: 1000,
  gain: 0.1,
  delayWeight: 1,
  varianceWeight: 4,
  firstHeartbeatEstimateMs: 1000,
};

const NAME = 'bertier';

export function validateBertier(params: Partial<BertierConfig> = {}): BertierConfig {
  rejectUnknownKeys(NAME, params, Object.keys(bertierDefaults));
  const c = { ...bertierDefaults, ...params };
  requireInt(NAME, 'windowSize', c.windowSize, 1, Limits.detectorWindowMax);
  requireFraction(NAME, 'gain', c.gain);
  requireNonNegative(NAME, 'delayWeight', c.delayWeight);
  requireNonNegative(NAME, 'varianceWeight', c.varianceWeight);
  requirePositive(NAME, 'firstHeartbeatEstimateMs', c.firstHeartbeatEstimateMs);
  return c;
}

export class BertierDetector extends DeadlineDetectorBase {
  readonly name = NAME;
  readonly config: BertierConfig;
  readonly #window: ArrivalWindow;
  #expectedMs = Number.POSITIVE_INFINITY;
  #delayMs = 0;
  #varMs = 0;

  constructor(params: Partial<BertierConfig> = {}) {
    super();
    this.config = validateBertier(params);
    this.#window = new ArrivalWindow(this.config.windowSize);
  }

  /** EA_{k+1}, or Infinity before the first heartbeat. */
  expectedArrivalMs(): number {
    return this.#expectedMs;
  }

  /** The current dynamic margin α = β·delay + φ·var. */
  safetyMarginMs(): number {
    return this.config.delayWeight * this.#delayMs + this.config.varianceWeight * this.#varMs;
  }

  protected observe(arrivalMs: number): void {
    if (Number.isFinite(this.#expectedMs)) {
      const errorMs = arrivalMs - this.#expectedMs - this.#delayMs;
      this.#delayMs += this.config.gain * errorMs;
      this.#varMs += this.config.gain * (Math.abs(errorMs) - this.#varMs);
    }
    this.#window.add(arrivalMs);
    this.#expectedMs = this.#window.expectedNextMs(this.config.firstHeartbeatEstimateMs);
  }

  protected deadlineMs(): number {
    return this.#expectedMs + this.safetyMarginMs();
  }

  protected forget(): void {
    this.#window.clear();
    this.#expectedMs = Number.POSITIVE_INFINITY;
    this.#delayMs = 0;
    this.#varMs = 0;
  }
}
