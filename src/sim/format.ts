import { formatParams } from './params.js';
import type { SimResult } from './run.js';

/** The command that reproduces a run (the options that were not drawn from the seed). */
export function reproduceCommand(r: SimResult, fixed: { nodes?: number; detector?: string }): string {
  const parts = [`nines sim --seed ${r.seed}`];
  if (fixed.nodes !== undefined) parts.push(`--nodes ${fixed.nodes}`);
  if (fixed.detector !== undefined) parts.push(`--detector ${fixed.detector}`);
  if (r.params.plantBug !== null) parts.push(`--plant-bug ${r.params.plantBug}`);
  return parts.join(' ');
}

/**
 * A run as text: the seed, every parameter, the outcome; on failure the violations, the last
 * events and how to reproduce. No wall-clock value appears: the same seed gives the same text.
 */
export function formatResult(r: SimResult, fixed: { nodes?: number; detector?: string } = {}): string {
  const s = r.stats;
  const verdict = r.ok ? 'PASS' : `FAIL ${r.violations[0]?.kind ?? ''}`;
  const lines = [`seed ${r.seed}: ${verdict}`];
  for (const p of formatParams(r.params)) lines.push(`  ${p}`);
  lines.push(
    `  outcome: ops=${s.ops.invoked} ok=${s.ops.ok} fail=${s.ops.fail} info=${s.ops.info} ` +
      `leaderTerms=${s.leaderTerms} crashes=${s.faults.crashes} pauses=${s.faults.pauses} partitions=${s.faults.partitions} transfers=${s.faults.transfers} ` +
      `lostUnsynced=${s.lostUnsyncedWrites} commit=${s.commitIndex}`,
  );
  lines.push(
    `  network: sent=${s.network.sent} delivered=${s.network.delivered} dropped=${s.network.dropped} ` +
      `cut=${s.network.cut} duplicated=${s.network.duplicated}`,
  );
  lines.push(
    `  checks: linearizable=${s.linearizable} liveness=${s.livenessMs === null ? 'none' : `${s.livenessMs}ms`} ` +
      `virtual=${s.virtualMs}ms events=${s.events}`,
  );
  if (!r.ok) {
    lines.push('  violations:');
    for (const v of r.violations) lines.push(`    [${v.atMs.toFixed(3)}ms] ${v.kind}: ${v.message}`);
  }
  if (r.trace.length > 0) {
    lines.push(`  last ${r.trace.length} events:`);
    for (const t of r.trace) lines.push(`    ${t}`);
  }
  if (!r.ok) lines.push(`  reproduce: ${reproduceCommand(r, fixed)}`);
  return lines.join('\n');
}
