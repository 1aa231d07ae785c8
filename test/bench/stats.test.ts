import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { percentileSorted, ratio, summarizeLatencies, throughputPerSec } from '../../bench/lib/stats.js';

const samples = fc.array(fc.double({ min: 0, max: 1e6, noNaN: true }), { minLength: 1, maxLength: 300 });
const percent = fc.double({ min: 0.001, max: 100, noNaN: true });

describe('percentileSorted (nearest rank)', () => {
  it('picks the sample at rank ceil(p/100·n) on a small table', () => {
    const sorted = [10, 20, 30, 40, 50, 60, 70, 80, 90, 100];
    expect(percentileSorted(sorted, 50)).toBe(50);
    expect(percentileSorted(sorted, 51)).toBe(60);
    expect(percentileSorted(sorted, 99)).toBe(100);
    expect(percentileSorted(sorted, 100)).toBe(100);
    expect(percentileSorted(sorted, 1)).toBe(10);
    expect(percentileSorted([7], 99)).toBe(7);
    expect(percentileSorted([], 50)).toBeNaN();
  });

  it('rejects percentiles outside (0, 100]', () => {
    expect(() => percentileSorted([1, 2], 0)).toThrow(RangeError);
    expect(() => percentileSorted([1, 2], 100.5)).toThrow(RangeError);
    expect(() => percentileSorted([1, 2], Number.NaN)).toThrow(RangeError);
  });

  it('is an observed sample with at least p% of samples at or below it and fewer than p% strictly below', () => {
    fc.assert(
      fc.property(samples, percent, (xs, p) => {
        const sorted = [...xs].sort((a, b) => a - b);
        const v = percentileSorted(sorted, p);
        expect(sorted).toContain(v);
        const atOrBelow = sorted.filter((x) => x <= v).length;
        const below = sorted.filter((x) => x < v).length;
        expect(atOrBelow / sorted.length).toBeGreaterThanOrEqual(p / 100 - 1e-12);
        expect(below / sorted.length).toBeLessThan(p / 100 + 1e-12);
      }),
    );
  });

  it('does not decrease as p grows', () => {
    fc.assert(
      fc.property(samples, percent, percent, (xs, a, b) => {
        const sorted = [...xs].sort((x, y) => x - y);
        const [lo, hi] = a <= b ? [a, b] : [b, a];
        expect(percentileSorted(sorted, lo)).toBeLessThanOrEqual(percentileSorted(sorted, hi));
      }),
    );
  });
});

describe('summarizeLatencies', () => {
  it('sorts a copy and reports count, mean, percentiles and max', () => {
    const input = [5, 1, 4, 2, 3];
    const s = summarizeLatencies(input);
    expect(input).toEqual([5, 1, 4, 2, 3]);
    expect(s).toEqual({ count: 5, meanMs: 3, p50Ms: 3, p90Ms: 5, p99Ms: 5, maxMs: 5 });
  });

  it('orders p50 ≤ p90 ≤ p99 ≤ max and keeps the mean within [min, max]', () => {
    fc.assert(
      fc.property(samples, (xs) => {
        const s = summarizeLatencies(xs);
        expect(s.count).toBe(xs.length);
        expect(s.p50Ms).toBeLessThanOrEqual(s.p90Ms);
        expect(s.p90Ms).toBeLessThanOrEqual(s.p99Ms);
        expect(s.p99Ms).toBeLessThanOrEqual(s.maxMs);
        expect(s.maxMs).toBe(Math.max(...xs));
        expect(s.meanMs).toBeGreaterThanOrEqual(Math.min(...xs) * (1 - 1e-9));
        expect(s.meanMs).toBeLessThanOrEqual(s.maxMs * (1 + 1e-9));
      }),
    );
  });

  it('gives NaN statistics for no samples', () => {
    const s = summarizeLatencies([]);
    expect(s.count).toBe(0);
    expect(s.p50Ms).toBeNaN();
    expect(s.maxMs).toBeNaN();
  });
});

describe('throughput and ratio', () => {
  it('counts operations per second of elapsed time', () => {
    expect(throughputPerSec(500, 2_000)).toBe(250);
    expect(throughputPerSec(10, 0)).toBe(0);
  });

  it('divides nines by etcd, and is null when a side is missing or zero', () => {
    expect(ratio(300, 200)).toBe(1.5);
    expect(ratio(null, 200)).toBeNull();
    expect(ratio(300, null)).toBeNull();
    expect(ratio(300, 0)).toBeNull();
    expect(ratio(Number.NaN, 2)).toBeNull();
  });
});
