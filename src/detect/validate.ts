import { InvalidArgumentError } from '../core/errors.js';

/**
 * Config validation shared by the detectors: every check names the detector and the field,
 * so `phi-normal: threshold must be a finite number > 0, got -1` tells the user what to fix.
 */

export function requireFinite(detector: string, field: string, value: number, min: number, minInclusive: boolean): number {
  const ok = Number.isFinite(value) && (minInclusive ? value >= min : value > min);
  if (!ok) {
    const rel = minInclusive ? '>=' : '>';
    throw new InvalidArgumentError(`${detector}: ${field} must be a finite number ${rel} ${min}, got ${String(value)}`);
  }
  return value;
}

/** A finite number > 0. */
export function requirePositive(detector: string, field: string, value: number): number {
  return requireFinite(detector, field, value, 0, false);
}

/** A finite number >= 0. */
export function requireNonNegative(detector: string, field: string, value: number): number {
  return requireFinite(detector, field, value, 0, true);
}

/** An integer in [min, max]. */
export function requireInt(detector: string, field: string, value: number, min: number, max: number): number {
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new InvalidArgumentError(`${detector}: ${field} must be an integer from ${min} to ${max}, got ${String(value)}`);
  }
  return value;
}

/** A number in the open interval (0, 1). */
export function requireFraction(detector: string, field: string, value: number): number {
  if (!Number.isFinite(value) || value <= 0 || value >= 1) {
    throw new InvalidArgumentError(`${detector}: ${field} must be a number in (0, 1), got ${String(value)}`);
  }
  return value;
}

/** Rejects keys that the detector does not know (a typo must not silently use a default). */
export function rejectUnknownKeys(detector: string, params: object, known: readonly string[]): void {
  for (const key of Object.keys(params)) {
    if (!known.includes(key)) {
      throw new InvalidArgumentError(`${detector}: unknown parameter "${key}" (known: ${known.join(', ')})`);
    }
  }
}

/** A heartbeat arrival or query time: finite and >= 0. */
export function requireTimeMs(what: string, valueMs: number): number {
  if (!Number.isFinite(valueMs) || valueMs < 0) {
    throw new InvalidArgumentError(`${what} must be a finite time >= 0 ms, got ${String(valueMs)}`);
  }
  return valueMs;
}
