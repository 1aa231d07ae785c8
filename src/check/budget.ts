import { InvalidArgumentError } from '../core/errors.js';
import { CheckLimits } from './limits.js';

export interface BudgetOptions {
  /** The clock, injected (the CLI passes `performance.now`). Without it there is no deadline. */
  readonly nowMs?: () => number;
  /** Wall-clock budget for the whole check; needs `nowMs`. */
  readonly timeoutMs?: number;
  /** A deterministic budget: search steps for the whole check. */
  readonly stepsMax?: number;
  /** Steps between clock reads (default `CheckLimits.stepsPerClockCheck`). */
  readonly stepsPerClockCheck?: number;
}

/**
 * A search budget shared by all keys of one check: a step count and an optional deadline read
 * from the injected clock every K steps. Once exhausted it stays exhausted.
 */
export class Budget {
  steps = 0;
  #exhausted = false;
  readonly #nowMs: (() => number) | undefined;
  readonly #deadlineMs: number;
  readonly #stepsMax: number;
  readonly #every: number;

  constructor(options: BudgetOptions = {}) {
    const { nowMs, timeoutMs, stepsMax } = options;
    if (timeoutMs !== undefined && (!(timeoutMs >= 0) || nowMs === undefined)) {
      throw new InvalidArgumentError('timeoutMs must be >= 0 and needs an injected nowMs clock');
    }
    if (stepsMax !== undefined && !(stepsMax >= 0)) throw new InvalidArgumentError('stepsMax must be >= 0');
    this.#nowMs = timeoutMs === undefined ? undefined : nowMs;
    this.#deadlineMs = timeoutMs === undefined || nowMs === undefined ? Number.POSITIVE_INFINITY : nowMs() + timeoutMs;
    this.#stepsMax = stepsMax ?? Number.POSITIVE_INFINITY;
    this.#every = Math.max(1, options.stepsPerClockCheck ?? CheckLimits.stepsPerClockCheck);
  }

  /** Count one step; true when the budget is exhausted and the search must stop. */
  tick(): boolean {
    if (this.#exhausted) return true;
    if (this.steps >= this.#stepsMax) {
      this.#exhausted = true;
      return true;
    }
    this.steps++;
    if (this.#nowMs !== undefined && this.steps % this.#every === 0 && this.#nowMs() >= this.#deadlineMs) {
      this.#exhausted = true;
    }
    return this.#exhausted;
  }

  get exhausted(): boolean {
    return this.#exhausted;
  }
}
