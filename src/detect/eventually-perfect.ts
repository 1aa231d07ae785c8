import { InvalidArgumentError } from '../core/errors.js';
import { DeadlineDetectorBase } from './deadline.js';
import { rejectUnknownKeys, requireNonNegative, requirePositive } from './validate.js';

/**
 * Eventually perfect (◇P, Chandra & Toueg 1996): a timeout that grows by `stepMs` every time
 * a suspected peer turns out to be alive (a heartbeat arrives after the deadline: a mistake).
 * In a partially synchronous system the timeout eventually exceeds the unknown bound and
 * mistakes stop. After k mistakes the timeout is `initialTimeoutMs + k * stepMs`
 * (capped at `maxTimeoutMs`).
 */
export interface EventuallyPerfectConfig {
  /** Timeout before any mistake. Default 1000 ms (etcd's election timeout). */
  initialTimeoutMs: number;
  /** Growth per mistake. Default 500 ms (Chandra & Toueg leave it free; half the initial timeout). */
  stepMs: number;
  /** Cap on the timeout. Default 60 000 ms. */
  maxTimeoutMs: number;
}

export const eventuallyPerfectDefaults: EventuallyPerfectConfig = {
  initialTimeoutMs: 1000,
  stepMs: 500,
  maxTimeoutMs: 60_000,
};

const NAME = 'eventually-perfect';

export function validateEventuallyPerfect(params: Partial<EventuallyPerfectConfig> = {}): EventuallyPerfectConfig {
  rejectUnknownKeys(NAME, params, Object.keys(eventuallyPerfectDefaults));
  const config = { ...eventuallyPerfectDefaults, ...params };
  requirePositive(NAME, 'initialTimeoutMs', config.initialTimeoutMs);
  requireNonNegative(NAME, 'stepMs', config.stepMs);
  requirePositive(NAME, 'maxTimeoutMs', config.maxTimeoutMs);
  if (config.maxTimeoutMs < config.initialTimeoutMs) {
    throw new InvalidArgumentError(
      `${NAME}: maxTimeoutMs must be >= initialTimeoutMs (${config.initialTimeoutMs}), got ${config.maxTimeoutMs}`,
    );
  }
  return config;
}

export class EventuallyPerfectDetector extends DeadlineDetectorBase {
  readonly name = NAME;
  readonly config: EventuallyPerfectConfig;
  #mistakes = 0;

  constructor(params: Partial<EventuallyPerfectConfig> = {}) {
    super();
    this.config = validateEventuallyPerfect(params);
  }

  /** Mistakes seen so far (heartbeats that arrived after the deadline). */
  get mistakes(): number {
    return this.#mistakes;
  }

  /** The current timeout: initial + mistakes × step, capped. */
  timeoutMs(): number {
    const c = this.config;
    return Math.min(c.maxTimeoutMs, c.initialTimeoutMs + this.#mistakes * c.stepMs);
  }

  protected observe(_arrivalMs: number, _previousMs: number | undefined, wasSuspected: boolean): void {
    if (wasSuspected) this.#mistakes++;
  }

  protected deadlineMs(lastMs: number): number {
    return lastMs + this.timeoutMs();
  }

  protected forget(): void {
    this.#mistakes = 0;
  }
}
