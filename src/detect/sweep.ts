import type { DetectorName, DetectorParams } from './registry.js';

/** A detector's main parameter and the values a bench sweeps it over. */
export interface Sweep {
  readonly detector: DetectorName;
  readonly param: string;
  readonly values: readonly number[];
  /** Other parameters held fixed during the sweep. */
  readonly fixed: DetectorParams;
}

/** `count` values from `lo` to `hi`, evenly spaced on a log scale. */
export function geometric(lo: number, hi: number, count: number): number[] {
  if (count === 1) return [lo];
  const ratio = (hi / lo) ** (1 / (count - 1));
  return Array.from({ length: count }, (_, i) => lo * ratio ** i);
}

/** The heartbeat interval of the generated bench traces (ms). */
export const BENCH_HEARTBEAT_INTERVAL_MS = 100;

/**
 * The sweeps: each spans from "suspects almost at once" to deadlines of tens of seconds on
 * 100 ms heartbeats, so every detector's front reaches from many mistakes to none.
 * `adaptive`'s deadline is ≈ last arrival + one interval + margin, so its margins are the fixed
 * timeout's grid shifted down by the interval: both sweep the same deadlines, 50 ms to 30 s
 * after the last arrival (a negative margin suspects before the predicted arrival).
 */
export function sweeps(pointsPerDetector: number): Sweep[] {
  const n = pointsPerDetector;
  return [
    {
      detector: 'adaptive',
      param: 'safetyMarginMs',
      values: geometric(50, 30_000, n).map((v) => v - BENCH_HEARTBEAT_INTERVAL_MS),
      fixed: {},
    },
    { detector: 'fixed', param: 'timeoutMs', values: geometric(50, 30_000, n), fixed: {} },
    { detector: 'eventually-perfect', param: 'initialTimeoutMs', values: geometric(50, 30_000, n), fixed: {} },
    { detector: 'phi-normal', param: 'threshold', values: geometric(0.05, 30_000, n), fixed: {} },
    { detector: 'phi-exponential', param: 'threshold', values: geometric(0.1, 200, n), fixed: {} },
    { detector: 'chen', param: 'safetyMarginMs', values: geometric(0.5, 30_000, n), fixed: {} },
    { detector: 'bertier', param: 'varianceWeight', values: geometric(0.1, 100_000, n), fixed: {} },
  ];
}
