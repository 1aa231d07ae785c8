import { describe, expect, it } from 'vitest';
import { histogramTotals, syncsBetween } from '../../bench/lib/prom-text.js';

const text = [
  '# HELP etcd_disk_wal_fsync_duration_seconds The latency distributions of fsync called by WAL.',
  '# TYPE etcd_disk_wal_fsync_duration_seconds histogram',
  'etcd_disk_wal_fsync_duration_seconds_bucket{le="0.001"} 3',
  'etcd_disk_wal_fsync_duration_seconds_sum 0.25',
  'etcd_disk_wal_fsync_duration_seconds_count 40',
  'etcd_disk_wal_fsync_duration_seconds_total_other 99',
  'nines_disk_fsync_duration_seconds_sum{member="node1"} 1.5',
  'nines_disk_fsync_duration_seconds_count{member="node1"} 300',
  'nines_disk_fsync_duration_seconds_sum{member="node1",x="a b"} 0.5',
  'nines_disk_fsync_duration_seconds_count{member="node1",x="a b"} 100',
  '',
].join('\n');

describe('histogramTotals', () => {
  it('reads _count and _sum of a histogram, summed over label sets, ignoring look-alike names', () => {
    expect(histogramTotals(text, 'etcd_disk_wal_fsync_duration_seconds')).toEqual({ count: 40, sum: 0.25 });
    expect(histogramTotals(text, 'nines_disk_fsync_duration_seconds')).toEqual({ count: 400, sum: 2 });
  });

  it('is null for a metric that is not there', () => {
    expect(histogramTotals(text, 'etcd_disk_backend_commit_duration_seconds')).toBeNull();
    expect(histogramTotals('', 'x')).toBeNull();
  });
});

describe('syncsBetween', () => {
  it('divides the syncs between two scrapes by the puts acknowledged in between', () => {
    const s = syncsBetween({ count: 100, sum: 0.5 }, { count: 300, sum: 1.5 }, 100);
    expect(s.count).toBe(200);
    expect(s.perPut).toBe(2);
    expect(s.meanMs).toBeCloseTo(5, 9);
  });

  it('has no ratio without puts or syncs', () => {
    const s = syncsBetween({ count: 10, sum: 1 }, { count: 10, sum: 1 }, 0);
    expect(s).toEqual({ count: 0, perPut: null, meanMs: null });
  });
});
