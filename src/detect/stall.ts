import { assert, InvalidArgumentError } from '../core/errors.js';
import type { DeadlineDetector } from './deadline.js';
import { requireTimeMs } from './validate.js';

/** A closed interval during which the monitoring process itself was not running (event-loop stall). */
export interface StallInterval {
  readonly startMs: number;
  readonly endMs: number;
}

/**
 * Where the host's own stalls come from. In a running node: src/server/stall-monitor.ts (event-loop
 * delay). In replays and tests: `IntervalStallSource` over known intervals.
 */
export interface StallSource {
  /** The stalls overlapping [fromMs, toMs] (toMs may be Infinity), sorted by start, disjoint. */
  stallsBetween(fromMs: number, toMs: number): readonly StallInterval[];
}

/** Total stalled time overlapping [fromMs, toMs]. */
export function stalledMsBetween(source: StallSource, fromMs: number, toMs: number): number {
  let totalMs = 0;
  for (const s of source.stallsBetween(fromMs, toMs)) {
    totalMs += Math.max(0, Math.min(s.endMs, toMs) - Math.max(s.startMs, fromMs));
  }
  return totalMs;
}

/** A fixed, sorted list of stall intervals (binary search per query). */
export class IntervalStallSource implements StallSource {
  readonly #stalls: readonly StallInterval[];

  constructor(stalls: readonly StallInterval[]) {
    for (let i = 0; i < stalls.length; i++) {
      const s = stalls[i]!;
      requireTimeMs(`stall ${i} start`, s.startMs);
      requireTimeMs(`stall ${i} end`, s.endMs);
      if (s.endMs < s.startMs) throw new InvalidArgumentError(`stall ${i} ends (${s.endMs}) before it starts (${s.startMs})`);
      if (i > 0 && s.startMs < stalls[i - 1]!.endMs) {
        throw new InvalidArgumentError(`stall ${i} starts at ${s.startMs}, before stall ${i - 1} ends: stalls must be sorted and disjoint`);
      }
    }
    this.#stalls = stalls;
  }

  stallsBetween(fromMs: number, toMs: number): readonly StallInterval[] {
    const stalls = this.#stalls;
    let lo = 0;
    let hi = stalls.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (stalls[mid]!.endMs < fromMs) lo = mid + 1;
      else hi = mid;
    }
    let end = lo;
    while (end < stalls.length && stalls[end]!.startMs <= toMs) end++;
    return lo === end ? [] : stalls.slice(lo, end);
  }
}

/**
 * Local-stall awareness (Lifeguard's self-awareness, applied to any detector): silence that
 * overlaps the monitor's own stalls is not held against the peer.
 *
 * The inner detector runs on "monitor-running time" v(t) = t − (stalled time since the first
 * heartbeat): heartbeats and queries are translated, so a 10 s stall of the monitor is 0 s of
 * silence for the inner detector, and the burst of heartbeats queued during the stall does not
 * distort its learned inter-arrival times either. A crash while the monitor runs normally is
 * detected exactly as by the inner detector.
 */
export class StallAwareDetector implements DeadlineDetector {
  readonly name: string;
  readonly inner: DeadlineDetector;
  readonly #stalls: StallSource;
  #lastRealMs: number | undefined;
  #lastVirtualMs = 0;

  constructor(inner: DeadlineDetector, stalls: StallSource) {
    this.inner = inner;
    this.#stalls = stalls;
    this.name = `${inner.name}+stall-aware`;
  }

  get threshold(): number {
    return this.inner.threshold;
  }

  heartbeat(arrivalMs: number): void {
    requireTimeMs(`${this.name}: heartbeat arrival`, arrivalMs);
    const lastRealMs = this.#lastRealMs;
    if (lastRealMs !== undefined && arrivalMs < lastRealMs) {
      throw new InvalidArgumentError(
        `${this.name}: heartbeat arrivals must not go backwards: ${arrivalMs} ms after ${lastRealMs} ms`,
      );
    }
    const virtualMs = lastRealMs === undefined ? arrivalMs : this.#toVirtual(lastRealMs, arrivalMs);
    this.inner.heartbeat(virtualMs);
    this.#lastRealMs = arrivalMs;
    this.#lastVirtualMs = virtualMs;
  }

  lastArrivalMs(): number | undefined {
    return this.#lastRealMs;
  }

  suspicion(nowMs: number): number {
    const lastRealMs = this.#checkNow(nowMs);
    if (lastRealMs === undefined) return 0;
    return this.inner.suspicion(this.#toVirtual(lastRealMs, nowMs));
  }

  suspected(nowMs: number): boolean {
    const lastRealMs = this.#checkNow(nowMs);
    if (lastRealMs === undefined) return false;
    return this.inner.suspected(this.#toVirtual(lastRealMs, nowMs));
  }

  /** The earliest real time at which the inner deadline is reached, skipping the known stalls. */
  suspectAtMs(): number {
    const lastRealMs = this.#lastRealMs;
    if (lastRealMs === undefined) return Number.POSITIVE_INFINITY;
    const innerDeadlineMs = this.inner.suspectAtMs();
    if (innerDeadlineMs === Number.POSITIVE_INFINITY) return innerDeadlineMs;
    let remainingMs = innerDeadlineMs - this.#lastVirtualMs;
    assert(remainingMs >= 0, 'inner deadline is not before the last (virtual) arrival');
    let tMs = lastRealMs;
    for (const s of this.#stalls.stallsBetween(lastRealMs, Number.POSITIVE_INFINITY)) {
      if (s.endMs <= tMs) continue;
      const runningMs = Math.max(0, s.startMs - tMs);
      if (runningMs >= remainingMs) return tMs + remainingMs;
      remainingMs -= runningMs;
      tMs = s.endMs;
    }
    return tMs + remainingMs;
  }

  reset(): void {
    this.inner.reset();
    this.#lastRealMs = undefined;
    this.#lastVirtualMs = 0;
  }

  #toVirtual(lastRealMs: number, nowMs: number): number {
    return this.#lastVirtualMs + (nowMs - lastRealMs) - stalledMsBetween(this.#stalls, lastRealMs, nowMs);
  }

  #checkNow(nowMs: number): number | undefined {
    requireTimeMs(`${this.name}: query time`, nowMs);
    const lastRealMs = this.#lastRealMs;
    if (lastRealMs !== undefined && nowMs < lastRealMs) {
      throw new InvalidArgumentError(`${this.name}: query time ${nowMs} ms is before the last heartbeat at ${lastRealMs} ms`);
    }
    return lastRealMs;
  }
}

/** Wraps a detector so the monitor's own stalls (from `stalls`) are not held against the peer. */
export function withStallAwareness(detector: DeadlineDetector, stalls: StallSource): StallAwareDetector {
  return new StallAwareDetector(detector, stalls);
}
