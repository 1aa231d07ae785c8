import { DeadlineDetectorBase } from './deadline.js';
import { rejectUnknownKeys, requirePositive } from './validate.js';

/**
 * Fixed timeout: suspect when nothing was heard for `timeoutMs`. The perfect detector of a
 * synchronous system, and etcd's behaviour (a follower campaigns after an election timeout
 * without a leader heartbeat).
 */
export interface FixedTimeoutConfig {
  /** Silence after the last heartbeat before suspecting. Default 1000 ms (etcd's `--election-timeout`). */
  timeoutMs: number;
}

export const fixedTimeoutDefaults: FixedTimeoutConfig = { timeoutMs: 1000 };

const NAME = 'fixed';

export function validateFixedTimeout(params: Partial<FixedTimeoutConfig> = {}): FixedTimeoutConfig {
  rejectUnknownKeys(NAME, params, Object.keys(fixedTimeoutDefaults));
  const config = { ...fixedTimeoutDefaults, ...params };
  requirePositive(NAME, 'timeoutMs', config.timeoutMs);
  return config;
}

export class FixedTimeoutDetector extends DeadlineDetectorBase {
  readonly name = NAME;
  readonly config: FixedTimeoutConfig;

  constructor(params: Partial<FixedTimeoutConfig> = {}) {
    super();
    this.config = validateFixedTimeout(params);
  }

  protected observe(): void {}

  protected deadlineMs(lastMs: number): number {
    return lastMs + this.config.timeoutMs;
  }

  protected forget(): void {}
}
