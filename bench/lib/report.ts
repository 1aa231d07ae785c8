import type { PhaseResult } from './load.js';
import type { LeaderSyncs } from './prom-text.js';
import { ratio } from './stats.js';

/**
 * The side-by-side table: one row per metric, a column per system and the ratio nines/etcd
 * (pure: takes the measured phases, returns rows and text).
 */

/** A phase with the leader's disk syncs during it (null: the metric could not be read). */
export interface MeasuredPhase extends PhaseResult {
  readonly leaderSyncs?: LeaderSyncs | null;
}

export interface SidePhases {
  readonly system: string;
  readonly phases: readonly MeasuredPhase[];
  readonly error: string | null;
}

export interface ReportRow {
  readonly metric: string;
  /** Which direction is better for this metric. */
  readonly better: 'lower' | 'higher';
  readonly nines: number | null;
  readonly etcd: number | null;
  /** nines / etcd; null when a side is missing. */
  readonly ratio: number | null;
}

function phaseAt(phases: readonly MeasuredPhase[], inflight: number): MeasuredPhase | undefined {
  return phases.find((p) => p.inflight === inflight);
}

/** The median of the values (mean of the middle two for an even count); null when empty. */
export function median(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/**
 * Rows: sequential p50/p99 (when 1 in flight was measured), puts/s per in-flight count, p99
 * per in-flight count, errors. With several runs (rounds) of a system, each cell is the
 * median over the runs that measured it (errors: the total).
 */
export function reportRows(inflight: readonly number[], nines: readonly SidePhases[], etcd: readonly SidePhases[]): ReportRow[] {
  const rows: ReportRow[] = [];
  const pick = (runs: readonly SidePhases[], n: number, f: (p: MeasuredPhase) => number | null): number | null => {
    const values: number[] = [];
    for (const run of runs) {
      const p = phaseAt(run.phases, n);
      const v = p !== undefined && p.ok > 0 ? f(p) : null;
      if (v !== null) values.push(v);
    }
    return median(values);
  };
  const add = (metric: string, better: 'lower' | 'higher', f: (p: MeasuredPhase) => number | null, n: number) => {
    const a = pick(nines, n, f);
    const b = pick(etcd, n, f);
    rows.push({ metric, better, nines: a, etcd: b, ratio: ratio(a, b) });
  };
  if (inflight.includes(1)) {
    add('sequential put p50 (ms)', 'lower', (p) => p.latency.p50Ms, 1);
    add('sequential put p99 (ms)', 'lower', (p) => p.latency.p99Ms, 1);
  }
  for (const n of inflight) add(`puts/s, ${n} in flight`, 'higher', (p) => p.throughputPerSec, n);
  for (const n of inflight) if (n !== 1) add(`p99 (ms), ${n} in flight`, 'lower', (p) => p.latency.p99Ms, n);
  // Diagnostics: how often the leader syncs its log per put (group commit), and how long a sync takes.
  for (const n of inflight) add(`leader fsyncs/put, ${n} in flight`, 'lower', (p) => p.leaderSyncs?.perPut ?? null, n);
  if (inflight.includes(1)) add('leader fsync mean (ms), 1 in flight', 'lower', (p) => p.leaderSyncs?.meanMs ?? null, 1);
  const errors = (runs: readonly SidePhases[]): number | null =>
    runs.every((r) => r.phases.length === 0) ? null : runs.reduce((sum, r) => sum + r.phases.reduce((s2, p) => s2 + p.errors, 0), 0);
  rows.push({ metric: 'errors (all rows)', better: 'lower', nines: errors(nines), etcd: errors(etcd), ratio: null });
  return rows;
}

/** A number for the table: ms with 2 decimals below 10, otherwise whole. */
export function formatValue(metric: string, v: number | null): string {
  if (v === null) return '-';
  if (metric.includes('(ms)')) return v < 10 ? v.toFixed(2) : v.toFixed(1);
  if (metric.includes('/put')) return v.toFixed(2);
  return Math.round(v).toLocaleString('en-US');
}

/** Fixed-width text table with a header line. */
export function formatTable(rows: readonly ReportRow[]): string {
  const header = ['metric', 'nines', 'etcd', 'nines/etcd', 'better'];
  const body = rows.map((r) => [r.metric, formatValue(r.metric, r.nines), formatValue(r.metric, r.etcd), r.ratio === null ? '-' : `${r.ratio.toFixed(2)}×`, r.better]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((cells) => cells[i]!.length)));
  const line = (cells: readonly string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)].join('\n');
}

/** Parse "1,16,64,256" into distinct positive integers, in the given order. */
export function parseInflightList(text: string, max: number): number[] {
  const out: number[] = [];
  for (const part of text.split(',')) {
    const n = Number(part.trim());
    if (!Number.isSafeInteger(n) || n < 1 || n > max) throw new RangeError(`--inflight takes integers from 1 to ${max}, got "${part.trim()}"`);
    if (!out.includes(n)) out.push(n);
  }
  if (out.length === 0) throw new RangeError('--inflight needs at least one count');
  return out;
}
