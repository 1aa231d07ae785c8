import { assert } from '../core/errors.js';
import { StatsRing } from './ring.js';

/**
 * Chen, Toueg & Aguilera's expected-arrival estimate over the last n arrivals A_{k-n+1..k}:
 * EA_{k+1} = (1/n) Σ (A_i − i·η) + (k+1)·η, with η the sending interval. Without sequence
 * numbers η is estimated from the window, η = (A_k − A_{k−n+1}) / (n − 1), which reduces to
 * EA_{k+1} = mean(A) + (n + 1)/2 · η. O(1) per arrival (running sum over a ring).
 * Times are stored relative to the first arrival to keep the running sum small.
 */
export class ArrivalWindow {
  readonly #arrivals: StatsRing;
  #baseMs = 0;

  constructor(size: number) {
    this.#arrivals = new StatsRing(size);
  }

  get size(): number {
    return this.#arrivals.size;
  }

  add(arrivalMs: number): void {
    if (this.#arrivals.size === 0) this.#baseMs = arrivalMs;
    this.#arrivals.push(arrivalMs - this.#baseMs);
  }

  /** The estimated sending interval η (the fallback with fewer than two arrivals). */
  intervalMs(fallbackMs: number): number {
    const n = this.#arrivals.size;
    if (n < 2) return fallbackMs;
    return (this.#arrivals.last() - this.#arrivals.at(0)) / (n - 1);
  }

  /** EA_{k+1} with η estimated from this window; needs at least one arrival. */
  expectedNextMs(fallbackIntervalMs: number): number {
    return this.expectedNextWithIntervalMs(this.intervalMs(fallbackIntervalMs));
  }

  /** EA_{k+1} for a given sending interval η; needs at least one arrival. */
  expectedNextWithIntervalMs(intervalMs: number): number {
    const n = this.#arrivals.size;
    assert(n > 0, 'expected arrival needs an arrival');
    return this.#baseMs + this.#arrivals.mean() + ((n + 1) / 2) * intervalMs;
  }

  /** The newest arrival (absolute ms); needs at least one arrival. */
  lastMs(): number {
    return this.#baseMs + this.#arrivals.last();
  }

  clear(): void {
    this.#arrivals.clear();
    this.#baseMs = 0;
  }
}
