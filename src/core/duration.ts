import { InvalidArgumentError } from './errors.js';

const UNIT_MS: Record<string, number> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 7 * 86_400_000,
};

/**
 * Parse a duration such as `250ms`, `1.5s`, `30m`, `6h`, `30d`, `2w`, or `1h30m`.
 * A bare number is milliseconds. Returns milliseconds.
 */
export function parseDurationMs(text: string): number {
  const s = text.trim();
  if (/^\d+(\.\d+)?$/.test(s)) return Number(s);
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h|d|w)/gy;
  let total = 0;
  let consumed = 0;
  for (let match = re.exec(s); match !== null; match = re.exec(s)) {
    total += Number(match[1]) * (UNIT_MS[match[2]!] ?? Number.NaN);
    consumed = re.lastIndex;
  }
  if (consumed === 0 || consumed !== s.length || !Number.isFinite(total)) {
    throw new InvalidArgumentError(
      `cannot parse duration "${text}": use a number with a unit, e.g. 500ms, 10s, 5m, 6h, 30d, 2w`,
    );
  }
  return total;
}

/** Format milliseconds for people: `850ms`, `12.3s`, `4m 10s`, `2h 5m`, `3d 4h`. */
export function formatDurationMs(ms: number): string {
  if (!Number.isFinite(ms)) return String(ms);
  if (ms < 1000) return `${Math.round(ms * 10) / 10}ms`;
  if (ms < 60_000) return `${Math.round(ms / 100) / 10}s`;
  if (ms < 3_600_000) return `${Math.floor(ms / 60_000)}m ${Math.round((ms % 60_000) / 1000)}s`;
  if (ms < 86_400_000) return `${Math.floor(ms / 3_600_000)}h ${Math.round((ms % 3_600_000) / 60_000)}m`;
  return `${Math.floor(ms / 86_400_000)}d ${Math.round((ms % 86_400_000) / 3_600_000)}h`;
}
