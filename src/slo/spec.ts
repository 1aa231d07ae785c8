import { InvalidArgumentError } from '../core/errors.js';
import { type AlertWindow, alertTable, type AlertWindowInput } from './alerts.js';
import { SloLimits } from './limits.js';

/**
 * What an objective measures.
 * - `availability`: good = answered without a server-side failure (outcome not `bad`).
 * - `latency`: good = not a server-side failure AND latency ≤ `latencyThresholdMs`.
 * Client errors are valid events that are good for availability (and for latency when
 * they were fast enough).
 */
export type ObjectiveKind = 'availability' | 'latency';

export interface Objective {
  /** Unique within the spec; used as the `nines_slo` label. */
  readonly name: string;
  readonly kind: ObjectiveKind;
  /** Fraction of good events wanted over the period, in (0, 1): 0.999 for 99.9%. */
  readonly target: number;
  /** For `latency` objectives only: the threshold, in ms (> 0). */
  readonly latencyThresholdMs?: number;
  /** Only requests of these methods count; absent = all methods. */
  readonly methods?: readonly string[];
}

/** A validated SLO spec: one period, its objectives, and the alert table in effect. */
export interface SloSpec {
  /** The service name (`nines_service` label). */
  readonly service: string;
  /** The rolling period the objectives are measured over, in ms. */
  readonly periodMs: number;
  readonly objectives: readonly Objective[];
  /** The multiwindow multi-burn-rate alerts, computed for `periodMs` (see alerts.ts). */
  readonly alerts: readonly AlertWindow[];
}

/** An unvalidated spec, e.g. built in code; `buildSloSpec` checks it and fills defaults. */
export interface SloSpecInput {
  readonly service?: string;
  readonly periodMs?: number;
  readonly objectives?: readonly Objective[];
  /** Overrides the default alert windows (all of them). */
  readonly alerts?: readonly AlertWindowInput[];
}

export const DEFAULT_PERIOD_MS = 30 * 86_400_000;
export const DEFAULT_SERVICE = 'nines';

/** nines' default objectives: 99.9% availability and 99% of requests under 100 ms. */
export const DEFAULT_OBJECTIVES: readonly Objective[] = [
  { name: 'availability', kind: 'availability', target: 0.999 },
  { name: 'latency', kind: 'latency', target: 0.99, latencyThresholdMs: 100 },
];

/** The default spec: 99.9% availability and 99% under 100 ms over 30 days. */
export function defaultSloSpec(): SloSpec {
  return buildSloSpec({});
}

const NAME_RE = /^[A-Za-z_][A-Za-z0-9_.-]*$/;

/**
 * Validate a spec and fill its defaults (period 30 days, the default objectives, the
 * default alert table for the period). Throws InvalidArgumentError naming the field.
 */
export function buildSloSpec(input: SloSpecInput): SloSpec {
  const service = input.service ?? DEFAULT_SERVICE;
  checkName('service', service);
  const periodMs = input.periodMs ?? DEFAULT_PERIOD_MS;
  checkPeriod('period', periodMs);
  const objectives = input.objectives ?? DEFAULT_OBJECTIVES;
  if (objectives.length === 0) throw new InvalidArgumentError('objectives: at least one objective is needed');
  if (objectives.length > SloLimits.objectivesMax) {
    throw new InvalidArgumentError(
      `objectives: at most ${SloLimits.objectivesMax} objectives, got ${objectives.length}`,
    );
  }
  const seen = new Set<string>();
  objectives.forEach((o, i) => {
    checkObjective(`objectives[${i}]`, o);
    if (seen.has(o.name)) throw new InvalidArgumentError(`objectives[${i}].name: duplicate name "${o.name}"`);
    seen.add(o.name);
  });
  const alerts = alertTable(periodMs, input.alerts);
  return { service, periodMs, objectives: objectives.map(copyObjective), alerts };
}

function copyObjective(o: Objective): Objective {
  const copy: { -readonly [K in keyof Objective]: Objective[K] } = { name: o.name, kind: o.kind, target: o.target };
  if (o.latencyThresholdMs !== undefined) copy.latencyThresholdMs = o.latencyThresholdMs;
  if (o.methods !== undefined) copy.methods = [...o.methods];
  return copy;
}

export function checkName(field: string, name: string): void {
  if (name.length === 0 || name.length > SloLimits.nameCharsMax || !NAME_RE.test(name)) {
    throw new InvalidArgumentError(
      `${field}: "${name}" is not a valid name (letters, digits, _ . -, starting with a letter or _, ` +
        `at most ${SloLimits.nameCharsMax} characters)`,
    );
  }
}

export function checkPeriod(field: string, periodMs: number): void {
  if (!Number.isSafeInteger(periodMs) || periodMs < SloLimits.periodMsMin || periodMs > SloLimits.periodMsMax) {
    throw new InvalidArgumentError(
      `${field}: the period must be a whole number of ms from 1h to 366d, got ${periodMs} ms`,
    );
  }
}

function checkObjective(field: string, o: Objective): void {
  checkName(`${field}.name`, o.name);
  if (o.kind !== 'availability' && o.kind !== 'latency') {
    throw new InvalidArgumentError(`${field}.kind: must be "availability" or "latency", got "${String(o.kind)}"`);
  }
  if (!(Number.isFinite(o.target) && o.target > 0 && o.target < 1)) {
    throw new InvalidArgumentError(`${field}.target: must be a fraction strictly between 0 and 1, got ${o.target}`);
  }
  if (o.kind === 'latency') {
    const t = o.latencyThresholdMs;
    if (t === undefined || !Number.isFinite(t) || t <= 0) {
      throw new InvalidArgumentError(`${field}.threshold: a latency objective needs a threshold > 0 (e.g. 100ms)`);
    }
  } else if (o.latencyThresholdMs !== undefined) {
    throw new InvalidArgumentError(`${field}.threshold: only latency objectives have a threshold`);
  }
  if (o.methods !== undefined) {
    if (o.methods.length === 0 || o.methods.length > SloLimits.methodsMax) {
      throw new InvalidArgumentError(`${field}.methods: give 1 to ${SloLimits.methodsMax} methods, or omit it`);
    }
    for (const m of o.methods) {
      if (m.length === 0 || m.length > SloLimits.nameCharsMax) {
        throw new InvalidArgumentError(`${field}.methods: "${m}" must be 1 to ${SloLimits.nameCharsMax} characters`);
      }
    }
  }
}

/** Whether a request of this method counts for the objective. */
export function objectiveCounts(o: Objective, method: string): boolean {
  return o.methods === undefined || o.methods.includes(method);
}

/**
 * A stable identity for what an objective counts (kind, threshold, methods), not its
 * name or target: history recorded under one key is valid for any objective with it.
 */
export function objectiveKey(o: Objective): string {
  const methods = o.methods === undefined ? '*' : [...o.methods].sort().join(',');
  const threshold = o.kind === 'latency' ? `${o.latencyThresholdMs}ms` : '-';
  return `${o.kind}|${threshold}|${methods}`;
}
