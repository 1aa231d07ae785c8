import { CorruptError, isNinesError } from '../core/errors.js';
import type { AlertSeverity } from './alerts.js';
import { buildSnapshot, burnWindowsMs, type SloSnapshot } from './snapshot.js';
import { buildSloSpec, type Objective, type SloSpec } from './spec.js';

/**
 * The `GET /v1/slo` document of one member: its SLO spec, its snapshot (SLI, budget, burn
 * rates, alerts) and the state of its history. JSON-safe. Clients (`nines slo status`)
 * trust only the spec and the counts in it (`valid`/`bad` per window) and recompute the
 * rest, so snapshots of several members can be combined (`combineSnapshots`).
 */
export interface SloStatusDoc {
  readonly format: 'nines-slo-status';
  readonly version: 1;
  /** The member's name. */
  readonly member: string;
  readonly spec: SloSpec;
  readonly snapshot: SloSnapshot;
  readonly history: SloHistoryInfo;
}

export interface SloHistoryInfo {
  /** Width of the member's history buckets (windows are exact to one bucket). */
  readonly bucketWidthMs: number;
  /** Start of the oldest bucket kept (wall clock, ms), null when empty. */
  readonly oldestMs: number | null;
  /** When the history was last written to the data dir (wall clock, ms), null if never. */
  readonly persistedAtMs: number | null;
  /** Requests recorded with a time older than the history keeps. */
  readonly droppedTooOld: number;
}

/** A checked `GET /v1/slo` document, with the snapshot recomputed from its counts. */
export interface ParsedSloStatus {
  readonly member: string;
  readonly spec: SloSpec;
  readonly snapshot: SloSnapshot;
  readonly history: SloHistoryInfo;
}

export function sloStatusDoc(member: string, spec: SloSpec, snapshot: SloSnapshot, history: SloHistoryInfo): SloStatusDoc {
  return { format: 'nines-slo-status', version: 1, member, spec, snapshot, history };
}

type Json = Record<string, unknown>;

/**
 * Check a `GET /v1/slo` answer from `source` (an endpoint, for messages). The spec is
 * re-validated with `buildSloSpec`; the snapshot is rebuilt from its counts. Throws
 * CorruptError naming the source and the bad field.
 */
export function parseSloStatusDoc(doc: unknown, source: string): ParsedSloStatus {
  const fail = (why: string): never => {
    throw new CorruptError(`${source}: GET /v1/slo: ${why}`);
  };
  const obj = (v: unknown, field: string): Json =>
    typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Json) : fail(`${field} must be an object`);
  const arr = (v: unknown, field: string): unknown[] => (Array.isArray(v) ? v : fail(`${field} must be an array`));
  const num = (v: unknown, field: string): number =>
    typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : fail(`${field} must be a number >= 0`);
  const str = (v: unknown, field: string): string => (typeof v === 'string' ? v : fail(`${field} must be a string`));
  const nullableNum = (v: unknown, field: string): number | null => (v === null ? null : num(v, field));

  const d = obj(doc, 'the answer');
  if (d['format'] !== 'nines-slo-status') fail('format is not "nines-slo-status" (is this a nines member?)');
  if (d['version'] !== 1) fail(`unsupported version ${String(d['version'])}`);
  const member = str(d['member'], 'member');

  const s = obj(d['spec'], 'spec');
  let spec: SloSpec;
  try {
    spec = buildSloSpec({
      service: str(s['service'], 'spec.service'),
      periodMs: num(s['periodMs'], 'spec.periodMs'),
      objectives: arr(s['objectives'], 'spec.objectives').map((o, i): Objective => {
        const f = `spec.objectives[${i}]`;
        const x = obj(o, f);
        const kind = str(x['kind'], `${f}.kind`);
        const out: { -readonly [K in keyof Objective]: Objective[K] } = {
          name: str(x['name'], `${f}.name`),
          kind: kind === 'latency' ? 'latency' : kind === 'availability' ? 'availability' : fail(`${f}.kind is "${kind}"`),
          target: num(x['target'], `${f}.target`),
        };
        if (x['latencyThresholdMs'] !== undefined) out.latencyThresholdMs = num(x['latencyThresholdMs'], `${f}.latencyThresholdMs`);
        if (x['methods'] !== undefined) out.methods = arr(x['methods'], `${f}.methods`).map((m, k) => str(m, `${f}.methods[${k}]`));
        return out;
      }),
      alerts: arr(s['alerts'], 'spec.alerts').map((a, i) => {
        const f = `spec.alerts[${i}]`;
        const x = obj(a, f);
        const severity = str(x['severity'], `${f}.severity`);
        return {
          severity: (severity === 'page' || severity === 'ticket' ? severity : fail(`${f}.severity is "${severity}"`)) as AlertSeverity,
          longWindowMs: num(x['longWindowMs'], `${f}.longWindowMs`),
          shortWindowMs: num(x['shortWindowMs'], `${f}.shortWindowMs`),
          budgetFraction: num(x['budgetFraction'], `${f}.budgetFraction`),
        };
      }),
    });
  } catch (err) {
    if (isNinesError(err) && !(err instanceof CorruptError)) fail(`bad spec: ${err.message}`);
    throw err;
  }

  const snap = obj(d['snapshot'], 'snapshot');
  const atMs = num(snap['atMs'], 'snapshot.atMs');
  const bucketWidthMs = num(snap['bucketWidthMs'], 'snapshot.bucketWidthMs');
  const windows = burnWindowsMs(spec);
  const objectives = arr(snap['objectives'], 'snapshot.objectives');
  if (objectives.length !== spec.objectives.length) fail('snapshot.objectives does not match spec.objectives');
  const counts = objectives.map((o, j) => {
    const f = `snapshot.objectives[${j}]`;
    const x = obj(o, f);
    if (x['name'] !== spec.objectives[j]!.name) fail(`${f}.name does not match the spec`);
    const byWindow = new Map<number, { valid: number; bad: number }>();
    const period = { valid: num(x['valid'], `${f}.valid`), bad: num(x['bad'], `${f}.bad`) };
    if (period.bad > period.valid) fail(`${f}: more bad than valid requests`);
    byWindow.set(spec.periodMs, period);
    const burns = arr(x['burnRates'], `${f}.burnRates`);
    if (burns.length !== windows.length) fail(`${f}.burnRates must have ${windows.length} windows`);
    burns.forEach((b, k) => {
      const g = `${f}.burnRates[${k}]`;
      const w = obj(b, g);
      if (w['windowMs'] !== windows[k]) fail(`${g}.windowMs must be ${windows[k]}`);
      const c = { valid: num(w['valid'], `${g}.valid`), bad: num(w['bad'], `${g}.bad`) };
      if (c.bad > c.valid) fail(`${g}: more bad than valid requests`);
      if (!byWindow.has(windows[k]!)) byWindow.set(windows[k]!, c);
    });
    return byWindow;
  });
  const snapshot = buildSnapshot(spec, atMs, bucketWidthMs, (j, windowMs) => counts[j]!.get(windowMs)!);

  const h = obj(d['history'], 'history');
  const history: SloHistoryInfo = {
    bucketWidthMs: num(h['bucketWidthMs'], 'history.bucketWidthMs'),
    oldestMs: nullableNum(h['oldestMs'], 'history.oldestMs'),
    persistedAtMs: nullableNum(h['persistedAtMs'], 'history.persistedAtMs'),
    droppedTooOld: num(h['droppedTooOld'], 'history.droppedTooOld'),
  };
  return { member, spec, snapshot, history };
}
