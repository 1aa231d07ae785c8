import { assert, InvalidArgumentError } from '../core/errors.js';

/**
 * Availability maths for planning. Conventions (stated in every output):
 * a day is 86 400 s, a week 7 days, a "month" 30 days, a year 365 days.
 */
export const DAY_MS = 86_400_000;
export const WEEK_MS = 7 * DAY_MS;
export const MONTH_MS = 30 * DAY_MS;
export const YEAR_MS = 365 * DAY_MS;

/** Largest cluster the planner considers. */
export const PLAN_NODES_MAX = 99;

/** Round away floating-point dust (12 significant digits). */
function tidy(x: number): number {
  return x === 0 ? 0 : Number(x.toPrecision(12));
}

/** 1 − percent/100, computed from the difference to 100 (99.95 → 0.0005). */
export function unavailabilityOfPercent(percent: number): number {
  if (!(Number.isFinite(percent) && percent > 0 && percent < 100)) {
    throw new InvalidArgumentError(`availability target must be a percentage strictly between 0 and 100, got ${percent}`);
  }
  return tidy((100 - percent) / 100);
}

export interface DowntimeAllowance {
  readonly targetPercent: number;
  readonly unavailability: number;
  readonly perDayMs: number;
  readonly perWeekMs: number;
  /** Per 30 days (the "month" convention). */
  readonly perMonthMs: number;
  /** Per 365 days. */
  readonly perYearMs: number;
}

/** Downtime an availability target allows: (1 − target) × length, per day/week/30d/365d. */
export function allowedDowntime(targetPercent: number): DowntimeAllowance {
  const u = unavailabilityOfPercent(targetPercent);
  return {
    targetPercent,
    unavailability: u,
    perDayMs: tidy(u * DAY_MS),
    perWeekMs: tidy(u * WEEK_MS),
    perMonthMs: tidy(u * MONTH_MS),
    perYearMs: tidy(u * YEAR_MS),
  };
}

/** C(n, i) as a float (exact for the n ≤ PLAN_NODES_MAX used here up to 2^53). */
export function binomial(n: number, i: number): number {
  assert(Number.isSafeInteger(n) && n >= 0 && Number.isSafeInteger(i), 'binomial needs integers');
  if (i < 0 || i > n) return 0;
  const k = Math.min(i, n - i);
  let c = 1;
  for (let j = 1; j <= k; j++) c = (c * (n - k + j)) / j;
  return Math.round(c);
}

/** The majority quorum of n voters: ⌊n/2⌋ + 1. */
export function quorumOf(n: number): number {
  return Math.floor(n / 2) + 1;
}

export interface QuorumAvailability {
  readonly availability: number;
  readonly unavailability: number;
}

/**
 * Probability that at least a majority of n independent nodes is up, each down with
 * probability q (up with p = 1 − q):
 *
 *     A = Σ_{i=k..n} C(n,i) pⁱ qⁿ⁻ⁱ,   U = 1 − A = Σ_{i=0..k−1} C(n,i) pⁱ qⁿ⁻ⁱ,   k = ⌊n/2⌋+1.
 *
 * Both sums are computed directly (no 1 − x cancellation), so U = 1e-12 keeps its digits.
 */
export function quorumAvailability(n: number, nodeUnavailability: number): QuorumAvailability {
  const q = nodeUnavailability;
  assert(Number.isSafeInteger(n) && n >= 1 && n <= PLAN_NODES_MAX, `nodes must be 1..${PLAN_NODES_MAX}`);
  assert(q >= 0 && q <= 1, 'node unavailability is a probability');
  const p = 1 - q;
  const k = quorumOf(n);
  let up = 0;
  let down = 0;
  for (let i = 0; i <= n; i++) {
    const term = binomial(n, i) * p ** i * q ** (n - i);
    if (i >= k) up += term;
    else down += term;
  }
  return { availability: up, unavailability: down };
}

/** −log10(unavailability): 0.999 → 3 nines. Infinity when nothing ever fails. */
export function ninesOf(unavailability: number): number {
  return unavailability <= 0 ? Number.POSITIVE_INFINITY : -Math.log10(unavailability);
}

export interface NodeReliability {
  /** Probability a node is down at a random moment. */
  readonly nodeUnavailability: number;
  /** Mean time to failure of one node (ms); when given as p, derived from an assumed MTTR. */
  readonly mttfMs: number;
  readonly mttrMs: number;
  /** True when MTTF was derived from p and an assumed MTTR. */
  readonly mttrAssumed: boolean;
}

/** The MTTR assumed when only a node availability is given. */
export const DEFAULT_ASSUMED_MTTR_MS = 3_600_000;

/** From a node availability p (and an MTTR, assumed 1 h): MTTF = MTTR × p ÷ (1 − p). */
export function reliabilityFromAvailability(p: number, mttrMs = DEFAULT_ASSUMED_MTTR_MS, mttrAssumed = true): NodeReliability {
  if (!(Number.isFinite(p) && p > 0 && p < 1)) {
    throw new InvalidArgumentError(`--node-availability must be a fraction strictly between 0 and 1 (e.g. 0.99), got ${p}`);
  }
  checkPositive('--mttr', mttrMs);
  return { nodeUnavailability: 1 - p, mttfMs: (mttrMs * p) / (1 - p), mttrMs, mttrAssumed };
}

/** From MTTF and MTTR: A = MTTF ÷ (MTTF + MTTR), so the node is down with q = MTTR ÷ (MTTF + MTTR). */
export function reliabilityFromMttf(mttfMs: number, mttrMs: number): NodeReliability {
  checkPositive('--mttf', mttfMs);
  checkPositive('--mttr', mttrMs);
  return { nodeUnavailability: mttrMs / (mttfMs + mttrMs), mttfMs, mttrMs, mttrAssumed: false };
}

function checkPositive(flag: string, ms: number): void {
  if (!(Number.isFinite(ms) && ms > 0)) throw new InvalidArgumentError(`${flag} must be a duration > 0, got ${ms} ms`);
}

export interface PlanRow {
  readonly nodes: number;
  readonly quorum: number;
  /** Node failures the cluster survives: n − k. */
  readonly tolerates: number;
  /** Availability including failover downtime. */
  readonly availability: number;
  readonly unavailability: number;
  readonly nines: number;
  readonly downtimeSecondsPerYear: number;
  /** Of which: leader failovers (0 when no failover time is given, or n ≤ 2). */
  readonly failoverSecondsPerYear: number;
}

export interface PlanInput {
  readonly node: NodeReliability;
  readonly maxNodes: number;
  /** Availability target in percent (e.g. 99.999). */
  readonly targetPercent: number;
  /** Time without a leader after the leader fails (detection + election), ms. */
  readonly failoverMs?: number;
}

export interface Plan {
  readonly rows: readonly PlanRow[];
  /** The smallest n meeting the target, or null when none up to maxNodes does. */
  readonly recommended: number | null;
  /** Leader failures per year: 365 d ÷ MTTF (exponential lifetimes: the leader fails at rate 1/MTTF). */
  readonly leaderFailuresPerYear: number;
}

/**
 * For n = 1 … maxNodes: quorum, availability with independent node failures, downtime per
 * year, and the smallest n meeting the target. With `failoverMs`, every leader failure
 * of a cluster of n ≥ 3 (which keeps its quorum) adds `failoverMs` of downtime; for
 * n ≤ 2 a leader failure already loses the quorum and is in the binomial term.
 */
export function planQuorum(input: PlanInput): Plan {
  if (!Number.isSafeInteger(input.maxNodes) || input.maxNodes < 1 || input.maxNodes > PLAN_NODES_MAX) {
    throw new InvalidArgumentError(`--max-nodes must be an integer from 1 to ${PLAN_NODES_MAX}, got ${input.maxNodes}`);
  }
  const allowed = unavailabilityOfPercent(input.targetPercent);
  const failoverMs = input.failoverMs ?? 0;
  if (!(Number.isFinite(failoverMs) && failoverMs >= 0)) {
    throw new InvalidArgumentError(`--failover-ms must be a number >= 0, got ${failoverMs}`);
  }
  const leaderFailuresPerYear = YEAR_MS / input.node.mttfMs;
  const rows: PlanRow[] = [];
  let recommended: number | null = null;
  for (let n = 1; n <= input.maxNodes; n++) {
    const { unavailability: quorumDown } = quorumAvailability(n, input.node.nodeUnavailability);
    const failoverSecondsPerYear = n >= 3 ? (leaderFailuresPerYear * failoverMs) / 1000 : 0;
    const downtimeSecondsPerYear = (quorumDown * YEAR_MS) / 1000 + failoverSecondsPerYear;
    const unavailability = Math.min(1, downtimeSecondsPerYear / (YEAR_MS / 1000));
    const availability =
      failoverSecondsPerYear === 0 ? quorumAvailability(n, input.node.nodeUnavailability).availability : 1 - unavailability;
    rows.push({
      nodes: n,
      quorum: quorumOf(n),
      tolerates: n - quorumOf(n),
      availability,
      unavailability,
      nines: ninesOf(unavailability),
      downtimeSecondsPerYear,
      failoverSecondsPerYear,
    });
    if (recommended === null && unavailability <= allowed * (1 + 1e-9)) recommended = n;
  }
  return { rows, recommended, leaderFailuresPerYear };
}
