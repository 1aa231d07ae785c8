import { describe, expect, it } from 'vitest';
import type { PhaseResult } from '../../bench/lib/load.js';
import { formatTable, formatValue, median, parseInflightList, reportRows } from '../../bench/lib/report.js';
import { summarizeLatencies, throughputPerSec } from '../../bench/lib/stats.js';

function phase(inflight: number, latencies: number[], elapsedMs: number, errors = 0): PhaseResult {
  return {
    inflight,
    durationMs: elapsedMs,
    elapsedMs,
    ok: latencies.length,
    errors,
    errorKinds: errors > 0 ? { timeout: errors } : {},
    errorSamples: {},
    latency: summarizeLatencies(latencies),
    throughputPerSec: throughputPerSec(latencies.length, elapsedMs),
    revisionMax: latencies.length + 1,
  };
}

describe('reportRows', () => {
  const nines = { system: 'nines', error: null, phases: [phase(1, [1, 2, 3, 4], 1_000), phase(16, [5, 6, 7, 8, 9, 10], 1_000, 2)] };
  const etcd = { system: 'etcd', error: null, phases: [phase(1, [2, 4, 6, 8], 1_000), phase(16, [5, 5, 5], 1_000)] };

  it('puts the sequential latencies, throughput per in-flight count and errors side by side with ratios', () => {
    const rows = reportRows([1, 16], [nines], [etcd]);
    const byMetric = new Map(rows.map((r) => [r.metric, r]));
    const p50 = byMetric.get('sequential put p50 (ms)')!;
    expect([p50.nines, p50.etcd, p50.ratio, p50.better]).toEqual([2, 4, 0.5, 'lower']);
    const t16 = byMetric.get('puts/s, 16 in flight')!;
    expect([t16.nines, t16.etcd, t16.ratio, t16.better]).toEqual([6, 3, 2, 'higher']);
    const errors = byMetric.get('errors (all rows)')!;
    expect([errors.nines, errors.etcd]).toEqual([2, 0]);
    expect(rows.map((r) => r.metric)).not.toContain('p99 (ms), 1 in flight');
  });

  it('leaves a missing side empty instead of inventing a ratio', () => {
    const rows = reportRows([1, 16], [nines], []);
    for (const r of rows) {
      expect(r.etcd).toBeNull();
      expect(r.ratio).toBeNull();
    }
    expect(rows.find((r) => r.metric === 'puts/s, 1 in flight')!.nines).toBe(4);
  });

  it('takes the median over rounds per cell and sums errors', () => {
    const slow = { system: 'nines', error: null, phases: [phase(1, [8, 8, 8], 1_000, 1)] };
    const fast = { system: 'nines', error: null, phases: [phase(1, [1, 1, 1, 1, 1, 1], 1_000, 3)] };
    const rows = reportRows([1], [nines, slow, fast], [etcd]);
    const byMetric = new Map(rows.map((r) => [r.metric, r]));
    expect(byMetric.get('sequential put p50 (ms)')!.nines).toBe(2);
    expect(byMetric.get('puts/s, 1 in flight')!.nines).toBe(4);
    expect(byMetric.get('errors (all rows)')!.nines).toBe(2 + 1 + 3);
  });

  it('adds the leader fsyncs per put and the sequential fsync mean when they were scraped', () => {
    const withSyncs = { system: 'nines', error: null, phases: [{ ...phase(1, [1, 2, 3, 4], 1_000), leaderSyncs: { count: 8, perPut: 2, meanMs: 3 } }] };
    const rows = reportRows([1], [withSyncs], [etcd]);
    const perPut = rows.find((r) => r.metric === 'leader fsyncs/put, 1 in flight')!;
    expect([perPut.nines, perPut.etcd]).toEqual([2, null]);
    expect(rows.find((r) => r.metric === 'leader fsync mean (ms), 1 in flight')!.nines).toBe(3);
    expect(formatValue(perPut.metric, 2)).toBe('2.00');
  });

  it('omits the sequential latency rows when 1 in flight was not measured', () => {
    const rows = reportRows([16], [nines], [etcd]);
    expect(rows.some((r) => r.metric.startsWith('sequential'))).toBe(false);
  });

  it('formats a table with one line per row plus header and rule', () => {
    const rows = reportRows([1, 16], [nines], [etcd]);
    const lines = formatTable(rows).split('\n');
    expect(lines.length).toBe(rows.length + 2);
    expect(lines[0]).toMatch(/^metric\s+nines\s+etcd\s+nines\/etcd\s+better$/);
    expect(lines.find((l) => l.startsWith('puts/s, 16 in flight'))).toMatch(/6\s+3\s+2\.00×\s+higher$/);
  });
});

describe('formatValue and parseInflightList', () => {
  it('formats milliseconds with decimals and rates as whole numbers', () => {
    expect(formatValue('p50 (ms)', 2.345)).toBe('2.35');
    expect(formatValue('p99 (ms)', 123.45)).toBe('123.5');
    expect(formatValue('puts/s', 2045.6)).toBe('2,046');
    expect(formatValue('puts/s', null)).toBe('-');
  });

  it('parses a comma list, dropping duplicates and naming bad entries', () => {
    expect(parseInflightList('1,16, 64,256,16', 1024)).toEqual([1, 16, 64, 256]);
    expect(() => parseInflightList('1,0', 1024)).toThrow(/"0"/);
    expect(() => parseInflightList('1,x', 1024)).toThrow(/"x"/);
    expect(() => parseInflightList('2000', 1024)).toThrow(/1 to 1024/);
  });
});

describe('median', () => {
  it('is the middle value, or the mean of the middle two', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([])).toBeNull();
  });
});
