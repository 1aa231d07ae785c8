import { assert } from '../core/errors.js';

const PROM_UNITS: readonly (readonly [string, number])[] = [
  ['d', 86_400_000],
  ['h', 3_600_000],
  ['m', 60_000],
  ['s', 1000],
  ['ms', 1],
];

/**
 * A duration in Prometheus notation with the largest unit that divides it exactly:
 * 300000 → `5m`, 3600000 → `1h`, 259200000 → `3d`, 1500 → `1500ms`.
 * The input must be a positive integer number of milliseconds.
 */
export function promDuration(ms: number): string {
  assert(Number.isSafeInteger(ms) && ms > 0, `promDuration needs a positive integer, got ${ms}`);
  for (const [unit, size] of PROM_UNITS) {
    if (ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}

/**
 * A duration for people, exact to the millisecond, largest units first, zero parts
 * omitted: 15768000000 → `182d 12h`, 43200 → `43.2s`, 1296000 → `21m 36s`.
 * Seconds keep up to three decimals (milliseconds); sub-millisecond values print in ms.
 */
export function formatDurationExact(ms: number): string {
  if (!Number.isFinite(ms)) return String(ms);
  if (ms < 0) return `-${formatDurationExact(-ms)}`;
  if (ms === 0) return '0s';
  if (ms < 1) return `${Number(ms.toPrecision(3))}ms`;
  let rest = Math.round(ms);
  const parts: string[] = [];
  for (const [unit, size] of PROM_UNITS.slice(0, 3)) {
    const n = Math.floor(rest / size);
    if (n > 0) parts.push(`${n}${unit}`);
    rest -= n * size;
  }
  if (rest > 0) parts.push(`${Number((rest / 1000).toFixed(3))}s`);
  return parts.join(' ');
}
