import { InvalidArgumentError } from '../core/errors.js';
import type { FailureDetector } from './detector.js';
import { requireTimeMs } from './validate.js';

/**
 * A detector whose state changes only when a heartbeat arrives, so that, between two
 * heartbeats, "suspected" is a single threshold in time: the deadline. Every nines detector
 * is one. It lets QoS be computed exactly at state transitions instead of by sampling.
 */
export interface DeadlineDetector extends FailureDetector {
  /** The level at or above which `suspected()` holds (Infinity-valued detectors use 1). */
  readonly threshold: number;
  /** The last heartbeat's arrival time, or undefined before the first. */
  lastArrivalMs(): number | undefined;
  /**
   * The earliest time t >= the last arrival at which `suspected(t)` holds if no further
   * heartbeat arrives. Infinity before the first heartbeat (nobody is suspected before they
   * were heard) and for a detector that would never suspect.
   */
  suspectAtMs(): number;
}

/**
 * The shared shell: input checks (non-finite, negative, backwards times are
 * InvalidArgumentError), the "nothing before the first heartbeat" rule, and `suspected`
 * defined as `now >= suspectAtMs()`, which is exactly `suspicion(now) >= threshold`.
 * Subclasses supply `observe` (learn from an arrival) and `deadlineMs` (the deadline after
 * the last arrival); accrual detectors also override `level`.
 */
export abstract class DeadlineDetectorBase implements DeadlineDetector {
  abstract readonly name: string;
  readonly threshold: number = 1;
  #lastMs: number | undefined;
  /** Cached deadline; recomputed lazily after each heartbeat. */
  #deadlineMs = Number.POSITIVE_INFINITY;
  #deadlineStale = false;

  heartbeat(arrivalMs: number): void {
    requireTimeMs(`${this.name}: heartbeat arrival`, arrivalMs);
    const previousMs = this.#lastMs;
    if (previousMs !== undefined && arrivalMs < previousMs) {
      throw new InvalidArgumentError(
        `${this.name}: heartbeat arrivals must not go backwards: ${arrivalMs} ms after ${previousMs} ms`,
      );
    }
    // Whether this arrival came after the deadline, i.e. the detector was wrong (the peer is alive).
    const wasSuspected = previousMs !== undefined && arrivalMs >= this.suspectAtMs();
    this.#lastMs = arrivalMs;
    this.observe(arrivalMs, previousMs, wasSuspected);
    this.#deadlineStale = true;
  }

  lastArrivalMs(): number | undefined {
    return this.#lastMs;
  }

  suspectAtMs(): number {
    if (this.#lastMs === undefined) return Number.POSITIVE_INFINITY;
    if (this.#deadlineStale) {
      this.#deadlineMs = Math.max(this.#lastMs, this.deadlineMs(this.#lastMs));
      this.#deadlineStale = false;
    }
    return this.#deadlineMs;
  }

  suspicion(nowMs: number): number {
    const lastMs = this.#checkNow(nowMs);
    if (lastMs === undefined) return 0;
    return this.level(nowMs, lastMs);
  }

  suspected(nowMs: number): boolean {
    this.#checkNow(nowMs);
    return nowMs >= this.suspectAtMs();
  }

  reset(): void {
    this.#lastMs = undefined;
    this.#deadlineMs = Number.POSITIVE_INFINITY;
    this.#deadlineStale = false;
    this.forget();
  }

  /** Boolean detectors: 0 before the deadline, Infinity from it on. */
  protected level(nowMs: number, _lastMs: number): number {
    return nowMs >= this.suspectAtMs() ? Number.POSITIVE_INFINITY : 0;
  }

  /** Learn from an arrival. `previousMs` is undefined for the first heartbeat. */
  protected abstract observe(arrivalMs: number, previousMs: number | undefined, wasSuspected: boolean): void;
  /** The deadline after the last arrival `lastMs` (clamped to >= lastMs by the caller). */
  protected abstract deadlineMs(lastMs: number): number;
  /** Forget all learned state (the base has already cleared the last arrival). */
  protected abstract forget(): void;

  #checkNow(nowMs: number): number | undefined {
    requireTimeMs(`${this.name}: query time`, nowMs);
    const lastMs = this.#lastMs;
    if (lastMs !== undefined && nowMs < lastMs) {
      throw new InvalidArgumentError(`${this.name}: query time ${nowMs} ms is before the last heartbeat at ${lastMs} ms`);
    }
    return lastMs;
  }
}
