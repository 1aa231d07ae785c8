import { InvalidArgumentError } from '../core/errors.js';
import { promDuration } from './duration-format.js';
import { SloLimits } from './limits.js';

/** Who is told: `page` wakes someone up, `ticket` is handled in working hours. */
export type AlertSeverity = 'page' | 'ticket';

/**
 * One multiwindow burn-rate alert: it fires when the burn rate over BOTH the long and the
 * short window exceeds `burnRate` (the short window makes it stop soon after the burn
 * stops). `budgetFraction` is the share of the period's error budget that a burn at
 * exactly `burnRate` consumes during `longWindowMs`:
 *
 *     burnRate = budgetFraction × periodMs ÷ longWindowMs
 */
export interface AlertWindow {
  readonly severity: AlertSeverity;
  readonly longWindowMs: number;
  readonly shortWindowMs: number;
  readonly budgetFraction: number;
  readonly burnRate: number;
}

/** A user's alert window: give `budgetFraction`, or `burnRate`, or both (they must agree). */
export interface AlertWindowInput {
  readonly severity: AlertSeverity;
  readonly longWindowMs: number;
  readonly shortWindowMs: number;
  readonly budgetFraction?: number;
  readonly burnRate?: number;
}

const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;
const DAY_MS = 24 * HOUR_MS;

/**
 * The default windows and budget fractions: the SRE workbook's ("Alerting on SLOs",
 * table 5-8) page 1h/5m 2%, page 6h/30m 5%, ticket 3d/6h 10%, plus Sloth's ticket
 * 1d/2h 10%. For a 30-day period they give burn rates 14.4, 6, 3 and 1.
 */
export const DEFAULT_ALERT_WINDOWS: readonly Omit<AlertWindowInput, 'burnRate'>[] = [
  { severity: 'page', longWindowMs: HOUR_MS, shortWindowMs: 5 * MINUTE_MS, budgetFraction: 0.02 },
  { severity: 'page', longWindowMs: 6 * HOUR_MS, shortWindowMs: 30 * MINUTE_MS, budgetFraction: 0.05 },
  { severity: 'ticket', longWindowMs: DAY_MS, shortWindowMs: 2 * HOUR_MS, budgetFraction: 0.1 },
  { severity: 'ticket', longWindowMs: 3 * DAY_MS, shortWindowMs: 6 * HOUR_MS, budgetFraction: 0.1 },
];

/** The burn-rate windows reported by the engine: 5m, 30m, 1h, 2h, 6h, 1d, 3d. */
export const BURN_RATE_WINDOWS_MS: readonly number[] = [
  5 * MINUTE_MS,
  30 * MINUTE_MS,
  HOUR_MS,
  2 * HOUR_MS,
  6 * HOUR_MS,
  DAY_MS,
  3 * DAY_MS,
];

/** Round away floating-point dust (0.05 × 720 ÷ 6 = 6, not 6.000000000000001). */
function tidy(x: number): number {
  return Number(x.toPrecision(12));
}

/** burnRate = budgetFraction × periodMs ÷ longWindowMs. */
export function burnRateFor(budgetFraction: number, periodMs: number, longWindowMs: number): number {
  return tidy((budgetFraction * periodMs) / longWindowMs);
}

/** budgetFraction = burnRate × longWindowMs ÷ periodMs. */
export function budgetFractionFor(burnRate: number, periodMs: number, longWindowMs: number): number {
  return tidy((burnRate * longWindowMs) / periodMs);
}

/**
 * The alert table in effect for a period. Without `overrides`: the default windows whose
 * long window fits in the period, with burn rates from the formula (never the 30-day
 * numbers copied). With `overrides`: exactly those windows, validated. Sorted by severity
 * (page first) then long window.
 */
export function alertTable(periodMs: number, overrides?: readonly AlertWindowInput[]): AlertWindow[] {
  const inputs = overrides ?? DEFAULT_ALERT_WINDOWS.filter((w) => w.longWindowMs <= periodMs);
  if (overrides !== undefined && (overrides.length === 0 || overrides.length > SloLimits.alertWindowsMax)) {
    throw new InvalidArgumentError(`alerts.windows: give 1 to ${SloLimits.alertWindowsMax} windows, or omit it`);
  }
  const table = inputs.map((w, i) => resolveWindow(`alerts.windows[${i}]`, w, periodMs));
  const rank = (s: AlertSeverity): number => (s === 'page' ? 0 : 1);
  return table.sort((a, b) => rank(a.severity) - rank(b.severity) || a.longWindowMs - b.longWindowMs);
}

function resolveWindow(field: string, w: AlertWindowInput, periodMs: number): AlertWindow {
  if (w.severity !== 'page' && w.severity !== 'ticket') {
    throw new InvalidArgumentError(`${field}.severity: must be "page" or "ticket", got "${String(w.severity)}"`);
  }
  for (const [name, v] of [
    ['long', w.longWindowMs],
    ['short', w.shortWindowMs],
  ] as const) {
    if (!Number.isSafeInteger(v) || v < 1000) {
      throw new InvalidArgumentError(`${field}.${name}: must be a whole number of ms of at least 1s, got ${v}`);
    }
  }
  if (w.shortWindowMs >= w.longWindowMs) {
    throw new InvalidArgumentError(
      `${field}.short: the short window (${promDuration(w.shortWindowMs)}) must be shorter than the long one (${promDuration(w.longWindowMs)})`,
    );
  }
  if (w.longWindowMs > periodMs) {
    throw new InvalidArgumentError(
      `${field}.long: the long window (${promDuration(w.longWindowMs)}) must not exceed the period (${promDuration(periodMs)})`,
    );
  }
  let { budgetFraction, burnRate } = w;
  if (budgetFraction !== undefined && !(Number.isFinite(budgetFraction) && budgetFraction > 0 && budgetFraction <= 1)) {
    throw new InvalidArgumentError(`${field}.budgetFraction: must be in (0, 1], got ${budgetFraction}`);
  }
  if (burnRate !== undefined && !(Number.isFinite(burnRate) && burnRate > 0)) {
    throw new InvalidArgumentError(`${field}.burnRate: must be a number > 0, got ${burnRate}`);
  }
  if (budgetFraction === undefined && burnRate === undefined) {
    throw new InvalidArgumentError(`${field}: give budgetFraction (e.g. 0.02) or burnRate (e.g. 14.4)`);
  }
  if (budgetFraction !== undefined && burnRate !== undefined) {
    const implied = burnRateFor(budgetFraction, periodMs, w.longWindowMs);
    if (Math.abs(implied - burnRate) > 1e-9 * Math.max(1, implied)) {
      throw new InvalidArgumentError(
        `${field}: burnRate ${burnRate} contradicts budgetFraction ${budgetFraction} (which gives ${implied} for this period); give only one`,
      );
    }
  }
  budgetFraction ??= budgetFractionFor(burnRate!, periodMs, w.longWindowMs);
  burnRate ??= burnRateFor(budgetFraction, periodMs, w.longWindowMs);
  if (budgetFraction > 1) {
    throw new InvalidArgumentError(
      `${field}.burnRate: ${burnRate} over ${promDuration(w.longWindowMs)} would consume ${budgetFraction} of the budget (> 1)`,
    );
  }
  return { severity: w.severity, longWindowMs: w.longWindowMs, shortWindowMs: w.shortWindowMs, budgetFraction, burnRate };
}

/**
 * The error ratio at which an alert fires for an objective with this target
 * (burnRate × (1 − target)). Above 1 the alert can never fire: the target is too loose
 * for that burn rate.
 */
export function errorRatioThreshold(w: AlertWindow, target: number): number {
  return w.burnRate * (1 - target);
}
