/**
 * NOT PURE — the only file in src/detect that touches Node APIs and timers.
 *
 * The real host's stall source: a ticking timer measures its own lateness; a tick that comes
 * more than `stallThresholdMs` late means the event loop (the monitor itself) was stalled from
 * the time the tick was due until now. `perf_hooks.monitorEventLoopDelay` runs alongside to
 * expose the loop-delay distribution for metrics. An ongoing stall (the current synchronous
 * run is late) is reported up to `now` so a detector queried right after a stall, before this
 * timer had a chance to run, already sees it.
 */
import { type IntervalHistogram, monitorEventLoopDelay } from 'node:perf_hooks';
import { InvalidArgumentError } from '../core/errors.js';
import type { StallInterval, StallSource } from '../detect/stall.js';

/** Stall intervals remembered (oldest dropped first). */
const STALL_INTERVALS_MAX = 1024;

export interface NodeStallMonitorOptions {
  /** Timer tick. Default 20 ms. */
  tickMs?: number;
  /** Lateness beyond the tick counted as a stall. Default 50 ms. */
  stallThresholdMs?: number;
  /** Monotonic clock, ms (default performance.now). */
  nowMs?: () => number;
}

export class NodeStallMonitor implements StallSource {
  readonly tickMs: number;
  readonly stallThresholdMs: number;
  readonly #nowMs: () => number;
  readonly #stalls: StallInterval[] = [];
  readonly #histogram: IntervalHistogram;
  #timer: NodeJS.Timeout | undefined;
  #lastTickMs: number;
  #listeners: Array<(stall: StallInterval) => void> = [];

  constructor(options: NodeStallMonitorOptions = {}) {
    this.tickMs = options.tickMs ?? 20;
    this.stallThresholdMs = options.stallThresholdMs ?? 50;
    if (!Number.isFinite(this.tickMs) || this.tickMs <= 0) {
      throw new InvalidArgumentError(`stall monitor: tickMs must be > 0, got ${this.tickMs}`);
    }
    if (!Number.isFinite(this.stallThresholdMs) || this.stallThresholdMs <= 0) {
      throw new InvalidArgumentError(`stall monitor: stallThresholdMs must be > 0, got ${this.stallThresholdMs}`);
    }
    this.#nowMs = options.nowMs ?? (() => performance.now());
    this.#lastTickMs = this.#nowMs();
    this.#histogram = monitorEventLoopDelay({ resolution: 10 });
  }

  start(): this {
    if (this.#timer !== undefined) return this;
    this.#histogram.enable();
    this.#lastTickMs = this.#nowMs();
    this.#timer = setInterval(() => this.tick(), this.tickMs);
    this.#timer.unref();
    return this;
  }

  stop(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
    this.#histogram.disable();
  }

  /** Records a stall if this tick is late. Called by the timer; public for tests. */
  tick(): void {
    const nowMs = this.#nowMs();
    const dueMs = this.#lastTickMs + this.tickMs;
    if (nowMs - dueMs > this.stallThresholdMs) {
      const stall = { startMs: dueMs, endMs: nowMs };
      this.#stalls.push(stall);
      if (this.#stalls.length > STALL_INTERVALS_MAX) this.#stalls.shift();
      for (const listener of this.#listeners) listener(stall);
    }
    this.#lastTickMs = nowMs;
  }

  /** Call `listener` with every stall recorded from now on (after it ended). */
  onStall(listener: (stall: StallInterval) => void): void {
    this.#listeners.push(listener);
  }

  stallsBetween(fromMs: number, toMs: number): readonly StallInterval[] {
    const out = this.#stalls.filter((s) => s.endMs >= fromMs && s.startMs <= toMs);
    const nowMs = this.#nowMs();
    const dueMs = this.#lastTickMs + this.tickMs;
    if (this.#timer !== undefined && nowMs - dueMs > this.stallThresholdMs && dueMs <= toMs && nowMs >= fromMs) {
      out.push({ startMs: dueMs, endMs: nowMs });
    }
    return out;
  }

  /** Event-loop delay percentiles (ms) from perf_hooks, for metrics. */
  loopDelayMs(): { p50: number; p99: number; max: number } {
    const h = this.#histogram;
    return { p50: h.percentile(50) / 1e6, p99: h.percentile(99) / 1e6, max: h.max / 1e6 };
  }
}
