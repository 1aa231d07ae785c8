import { InvalidArgumentError } from '../core/errors.js';
import { type AlertSeverity, type AlertWindow, BURN_RATE_WINDOWS_MS } from './alerts.js';
import type { ObjectiveKind, SloSpec } from './spec.js';

/** Counts and burn over one window ending at the snapshot time. */
export interface WindowBurn {
  readonly windowMs: number;
  /** Requests that count for the objective. */
  readonly valid: number;
  /** Of those, bad ones (server failure, or too slow for a latency objective). */
  readonly bad: number;
  /** bad ÷ valid; 0 when there were no requests. */
  readonly errorRatio: number;
  /** errorRatio ÷ (1 − target): 1 consumes the budget exactly over one period. */
  readonly burnRate: number;
}

export interface AlertState extends AlertWindow {
  readonly longBurnRate: number;
  readonly shortBurnRate: number;
  /** Both burn rates strictly above `burnRate`. */
  readonly firing: boolean;
}

export interface ErrorBudget {
  /** Bad requests the objective allows over the period: (1 − target) × valid. */
  readonly totalRequests: number;
  /** Bad requests over the period. */
  readonly consumedRequests: number;
  /** totalRequests − consumedRequests (negative once overspent). */
  readonly remainingRequests: number;
  /** consumed ÷ total (= the burn rate over the whole period); 0 with no requests. */
  readonly consumedFraction: number;
  /** 1 − consumedFraction (negative once overspent). */
  readonly remainingFraction: number;
}

export interface ObjectiveSnapshot {
  readonly name: string;
  readonly kind: ObjectiveKind;
  readonly target: number;
  readonly latencyThresholdMs?: number;
  /** Over the period. */
  readonly valid: number;
  readonly bad: number;
  /** good ÷ valid over the period; null with no requests. */
  readonly sli: number | null;
  readonly budget: ErrorBudget;
  /** Over 5m, 30m, 1h, 2h, 6h, 1d, 3d, and any other alert window, shortest first. */
  readonly burnRates: readonly WindowBurn[];
  readonly alerts: readonly AlertState[];
}

export interface FiringAlert {
  readonly objective: string;
  readonly severity: AlertSeverity;
  readonly longWindowMs: number;
  readonly shortWindowMs: number;
  readonly burnRate: number;
  readonly longBurnRate: number;
  readonly shortBurnRate: number;
}

/** Everything `GET /v1/slo` and `nines slo status` show for one node (or a cluster). */
export interface SloSnapshot {
  readonly atMs: number;
  readonly service: string;
  readonly periodMs: number;
  readonly bucketWidthMs: number;
  readonly objectives: readonly ObjectiveSnapshot[];
  /** Every firing alert of every objective, pages first. */
  readonly firing: readonly FiringAlert[];
}

/** The windows a snapshot reports burn rates over: the standard ones plus alert windows. */
export function burnWindowsMs(spec: SloSpec): number[] {
  const all = new Set([...BURN_RATE_WINDOWS_MS, ...spec.alerts.flatMap((a) => [a.longWindowMs, a.shortWindowMs])]);
  return [...all].sort((a, b) => a - b);
}

/** Every window a snapshot needs counts for: burn windows and the period. */
export function snapshotWindowsMs(spec: SloSpec): number[] {
  return [...new Set([...burnWindowsMs(spec), spec.periodMs])];
}

/** Valid and bad counts of objective `j` over the window of length `windowMs`. */
export type CountsOf = (j: number, windowMs: number) => { valid: number; bad: number };

/** A snapshot from window counts: SLI, budget, burn rates, alert states. Pure. */
export function buildSnapshot(spec: SloSpec, atMs: number, bucketWidthMs: number, counts: CountsOf): SloSnapshot {
  const windows = burnWindowsMs(spec);
  const firing: FiringAlert[] = [];
  const objectives = spec.objectives.map((o, j): ObjectiveSnapshot => {
    const budgetRatio = 1 - o.target;
    const burn = (windowMs: number): WindowBurn => {
      const { valid, bad } = counts(j, windowMs);
      const errorRatio = valid === 0 ? 0 : bad / valid;
      return { windowMs, valid, bad, errorRatio, burnRate: errorRatio / budgetRatio };
    };
    const period = burn(spec.periodMs);
    const totalRequests = budgetRatio * period.valid;
    const alerts = spec.alerts.map((a): AlertState => {
      const longBurnRate = burn(a.longWindowMs).burnRate;
      const shortBurnRate = burn(a.shortWindowMs).burnRate;
      const isFiring = longBurnRate > a.burnRate && shortBurnRate > a.burnRate;
      if (isFiring) {
        firing.push({
          objective: o.name,
          severity: a.severity,
          longWindowMs: a.longWindowMs,
          shortWindowMs: a.shortWindowMs,
          burnRate: a.burnRate,
          longBurnRate,
          shortBurnRate,
        });
      }
      return { ...a, longBurnRate, shortBurnRate, firing: isFiring };
    });
    return {
      name: o.name,
      kind: o.kind,
      target: o.target,
      ...(o.latencyThresholdMs === undefined ? {} : { latencyThresholdMs: o.latencyThresholdMs }),
      valid: period.valid,
      bad: period.bad,
      sli: period.valid === 0 ? null : (period.valid - period.bad) / period.valid,
      budget: {
        totalRequests,
        consumedRequests: period.bad,
        remainingRequests: totalRequests - period.bad,
        consumedFraction: period.burnRate,
        remainingFraction: 1 - period.burnRate,
      },
      burnRates: windows.map(burn),
      alerts,
    };
  });
  firing.sort((a, b) => (a.severity === b.severity ? 0 : a.severity === 'page' ? -1 : 1));
  return { atMs, service: spec.service, periodMs: spec.periodMs, bucketWidthMs, objectives, firing };
}

/**
 * The cluster view: the snapshots of several nodes with the same spec, counts summed
 * (each node counts the requests it answered), SLI, budget, burn rates and alerts
 * recomputed from the sums. Throws InvalidArgumentError when the specs differ.
 */
export function combineSnapshots(spec: SloSpec, snapshots: readonly SloSnapshot[]): SloSnapshot {
  if (snapshots.length === 0) throw new InvalidArgumentError('combineSnapshots: no snapshots');
  const windows = burnWindowsMs(spec);
  for (const s of snapshots) {
    const same =
      s.periodMs === spec.periodMs &&
      s.objectives.length === spec.objectives.length &&
      s.objectives.every(
        (o, j) =>
          o.name === spec.objectives[j]!.name &&
          o.target === spec.objectives[j]!.target &&
          o.burnRates.length === windows.length &&
          o.burnRates.every((w, k) => w.windowMs === windows[k]),
      );
    if (!same) throw new InvalidArgumentError('combineSnapshots: the nodes have different SLO specs');
  }
  const atMs = Math.max(...snapshots.map((s) => s.atMs));
  const widthMs = Math.max(...snapshots.map((s) => s.bucketWidthMs));
  return buildSnapshot(spec, atMs, widthMs, (j, windowMs) => {
    let valid = 0;
    let bad = 0;
    for (const s of snapshots) {
      const o = s.objectives[j]!;
      const w = windowMs === spec.periodMs ? o : o.burnRates.find((b) => b.windowMs === windowMs)!;
      valid += w.valid;
      bad += w.bad;
    }
    return { valid, bad };
  });
}
