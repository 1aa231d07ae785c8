/**
 * Reading a Prometheus histogram's totals from the text exposition format (both nines'
 * /metrics and etcd's /metrics serve it), to count the leader's disk syncs during a phase.
 */

export interface HistogramTotals {
  /** Observations (e.g. fsyncs). */
  readonly count: number;
  /** Sum of the observed values (seconds for *_duration_seconds). */
  readonly sum: number;
}

/** `<name>_count` and `<name>_sum` summed over every label set; null when the metric is absent. */
export function histogramTotals(text: string, name: string): HistogramTotals | null {
  let count = 0;
  let sum = 0;
  let seen = false;
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+(\S+)/.exec(line);
    if (m === null) continue;
    const value = Number(m[3]);
    if (!Number.isFinite(value)) continue;
    if (m[1] === `${name}_count`) {
      count += value;
      seen = true;
    } else if (m[1] === `${name}_sum`) {
      sum += value;
    }
  }
  return seen ? { count, sum } : null;
}

/** The leader's disk syncs during one phase. */
export interface LeaderSyncs {
  readonly count: number;
  /** Syncs per acknowledged put (below 1: several puts share one sync, i.e. group commit). */
  readonly perPut: number | null;
  readonly meanMs: number | null;
}

/** The change between two scrapes, relative to the puts acknowledged in between. */
export function syncsBetween(before: HistogramTotals, after: HistogramTotals, puts: number): LeaderSyncs {
  const count = Math.max(0, after.count - before.count);
  const sumSeconds = Math.max(0, after.sum - before.sum);
  return { count, perPut: puts > 0 ? count / puts : null, meanMs: count > 0 ? (sumSeconds * 1000) / count : null };
}
