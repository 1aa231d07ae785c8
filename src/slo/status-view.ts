import { promDuration } from './duration-format.js';
import { combineSnapshots, type ObjectiveSnapshot, type SloSnapshot } from './snapshot.js';
import type { SloSpec } from './spec.js';
import type { ParsedSloStatus, SloHistoryInfo } from './status-doc.js';

/** What one member answered to `GET /v1/slo` (or why it did not). */
export interface MemberSloResult {
  readonly endpoint: string;
  readonly status?: ParsedSloStatus;
  readonly error?: string;
}

export interface MemberSloView {
  readonly endpoint: string;
  readonly member: string | null;
  readonly error: string | null;
  readonly snapshot: SloSnapshot | null;
  readonly history: SloHistoryInfo | null;
}

/** `nines slo status`: every member's view and the cluster's (counts summed). */
export interface SloStatusReport {
  readonly members: readonly MemberSloView[];
  /** The combined snapshot of the members that answered; null if none did or their specs differ. */
  readonly cluster: SloSnapshot | null;
  /** Members counted in `cluster`. */
  readonly clusterMembers: readonly string[];
  /** Why there is no cluster view, if there is none. */
  readonly note: string | null;
}

function sameSpec(a: SloSpec, b: SloSpec): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** Build the report from every member's answer. Pure. */
export function buildSloStatusReport(results: readonly MemberSloResult[]): SloStatusReport {
  const members = results.map(
    (r): MemberSloView => ({
      endpoint: r.endpoint,
      member: r.status?.member ?? null,
      error: r.status === undefined ? (r.error ?? 'no answer') : null,
      snapshot: r.status?.snapshot ?? null,
      history: r.status?.history ?? null,
    }),
  );
  const answered = results.flatMap((r) => (r.status === undefined ? [] : [r.status]));
  if (answered.length === 0) return { members, cluster: null, clusterMembers: [], note: 'no member answered' };
  const spec = answered[0]!.spec;
  const differing = answered.filter((s) => !sameSpec(s.spec, spec)).map((s) => s.member);
  if (differing.length > 0) {
    return {
      members,
      cluster: null,
      clusterMembers: [],
      note: `members run different SLO specs (${differing.join(', ')} differ from ${answered[0]!.member}): start every member with the same --slo file`,
    };
  }
  return {
    members,
    cluster: combineSnapshots(
      spec,
      answered.map((s) => s.snapshot),
    ),
    clusterMembers: answered.map((s) => s.member),
    note: null,
  };
}

/** A ratio as a percentage: `99.9512%`; null → `-`. */
export function formatSliPercent(x: number | null): string {
  if (x === null) return '-';
  const p = x * 100;
  // Never round a miss up to 100%.
  const text = p < 100 && Number(p.toFixed(4)) >= 100 ? '99.9999' : p.toFixed(4);
  return `${text.replace(/\.?0+$/, '')}%`;
}

/** A burn rate for people: `0`, `0.42`, `14.4`, `120`. */
export function formatBurnRate(x: number): string {
  if (x === 0) return '0';
  if (x < 10) return String(Number(x.toFixed(2)));
  if (x < 100) return String(Number(x.toFixed(1)));
  return String(Math.round(x));
}

function objectiveLabel(o: ObjectiveSnapshot): string {
  const target = `${Number((o.target * 100).toPrecision(10))}%`;
  return o.latencyThresholdMs === undefined ? target : `${target} ≤${o.latencyThresholdMs}ms`;
}

function table(rows: readonly (readonly string[])[], indent: string): string[] {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
  return rows.map((r) => `${indent}${r.map((cell, c) => cell.padEnd(widths[c]!)).join('  ')}`.trimEnd());
}

/** One snapshot as a block of text: a row per objective, then the firing alerts. */
export function snapshotText(s: SloSnapshot, indent = '  '): string[] {
  const windows = s.objectives[0]?.burnRates.map((b) => b.windowMs) ?? [];
  const header = ['objective', 'target', 'SLI', 'budget left', 'bad/valid', ...windows.map((w) => `burn ${promDuration(w)}`)];
  const rows = s.objectives.map((o) => [
    o.name,
    objectiveLabel(o),
    formatSliPercent(o.sli),
    o.valid === 0 ? '100%' : `${Number((o.budget.remainingFraction * 100).toFixed(1))}%`,
    `${o.bad}/${o.valid}`,
    ...o.burnRates.map((b) => (b.valid === 0 ? '-' : formatBurnRate(b.burnRate))),
  ]);
  const lines = table([header, ...rows], indent);
  if (s.firing.length === 0) lines.push(`${indent}alerts: none firing`);
  for (const f of s.firing) {
    lines.push(
      `${indent}FIRING ${f.severity.toUpperCase()} ${f.objective}: burn rate ${formatBurnRate(f.longBurnRate)} over ` +
        `${promDuration(f.longWindowMs)} and ${formatBurnRate(f.shortBurnRate)} over ${promDuration(f.shortWindowMs)} > ${formatBurnRate(f.burnRate)}`,
    );
  }
  return lines;
}

/** The human report of `nines slo status`. */
export function sloStatusText(r: SloStatusReport): string {
  const answered = r.members.filter((m) => m.snapshot !== null).length;
  const first = r.cluster ?? r.members.find((m) => m.snapshot !== null)?.snapshot ?? null;
  const head =
    first === null
      ? `SLO status: ${answered}/${r.members.length} members answered`
      : `SLO status: service ${first.service}, period ${promDuration(first.periodMs)}, ${answered}/${r.members.length} members answered`;
  const lines = [head, ''];
  if (r.cluster !== null) {
    lines.push(`cluster (${r.clusterMembers.join(', ')}; requests each member answered, summed)`);
    lines.push(...snapshotText(r.cluster));
  } else {
    lines.push(`cluster: ${r.note ?? 'no view'}`);
  }
  for (const m of r.members) {
    lines.push('');
    if (m.snapshot === null) {
      lines.push(`${m.endpoint}  unreachable: ${m.error ?? 'no answer'}`);
      continue;
    }
    lines.push(`${m.member ?? '-'}  ${m.endpoint}`);
    lines.push(...snapshotText(m.snapshot));
  }
  return lines.join('\n');
}

/** The `--json` document of `nines slo status`. */
export function sloStatusJson(r: SloStatusReport): unknown {
  return {
    cluster: r.cluster === null ? null : { members: r.clusterMembers, ...r.cluster },
    note: r.note,
    members: r.members,
  };
}
