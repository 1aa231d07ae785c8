import { formatDurationExact } from './duration-format.js';
import type { ProbeSummary } from './probe-stats.js';

/** One probe cycle (a write and a read), as the live output shows it. */
export interface ProbeCycleView {
  /** Time since the probe started, ms. */
  readonly elapsedMs: number;
  readonly attempts: number;
  readonly successes: number;
  /** Error codes of this cycle's failed attempts. */
  readonly errors: readonly string[];
  /** The endpoint that answered last. */
  readonly endpoint: string | undefined;
  /** The running totals. */
  readonly summary: ProbeSummary;
}

/** An availability fraction as a percentage with up to 3 decimals: 0.99125 → `99.125%`. */
export function formatRatioPercent(x: number | null): string {
  if (x === null) return '-';
  return `${Number((x * 100).toFixed(3))}%`;
}

function ms(x: number | null): string {
  return x === null ? '-' : `${Number(x.toFixed(1))}ms`;
}

/** The live line for one cycle (a line per interval, or the refreshing line on a TTY). */
export function probeCycleLine(c: ProbeCycleView): string {
  const s = c.summary;
  const t = `${(c.elapsedMs / 1000).toFixed(1)}s`.padStart(7);
  const now = c.attempts === c.successes ? `ok ${c.successes}/${c.attempts}` : `FAIL ${c.successes}/${c.attempts}`;
  const errors = c.errors.length === 0 ? '' : `  ${[...new Set(c.errors)].join(',')}`;
  return (
    `${t}  ${now.padEnd(10)} availability ${formatRatioPercent(s.availability)} (${s.successes}/${s.attempts})` +
    `  p50 ${ms(s.latencyP50Ms)} p99 ${ms(s.latencyP99Ms)}  via ${c.endpoint ?? '-'}${errors}`
  );
}

/** The end-of-run report for people. */
export function probeSummaryText(s: ProbeSummary, info: { readonly id: string; readonly durationMs: number; readonly endpoints: readonly string[] }): string {
  const lines = [
    `Probe ${info.id}: ${formatDurationExact(info.durationMs)} against ${info.endpoints.join(', ')}`,
    `  attempts      ${s.attempts} (writes ${s.byOp.write.attempts}, linearizable reads ${s.byOp.read.attempts})`,
    `  successes     ${s.successes} (writes ${s.byOp.write.successes}, reads ${s.byOp.read.successes})`,
    `  availability  ${formatRatioPercent(s.availability)}`,
    `  latency       p50 ${ms(s.latencyP50Ms)}  p99 ${ms(s.latencyP99Ms)}  max ${ms(s.latencyMaxMs)} (successful attempts)`,
    `  outages       ${s.outages}, longest ${formatDurationExact(s.longestOutageMs)}`,
    `  failovers     ${s.failovers}`,
  ];
  if (s.staleReads > 0) lines.push(`  STALE READS   ${s.staleReads} (a linearizable read returned an older value than an acknowledged write)`);
  const errors = Object.entries(s.errors);
  if (errors.length > 0) lines.push(`  errors        ${errors.map(([code, n]) => `${code} ×${n}`).join(', ')}`);
  return lines.join('\n');
}
