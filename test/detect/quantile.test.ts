import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { quantileInPlace, selectKth } from '../../src/detect/quantile.js';
import { StatsRing } from '../../src/detect/ring.js';

describe('selectKth', () => {
  it('equals sorting, with duplicates', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 9 }), { minLength: 1, maxLength: 80 }), fc.nat(), (xs, k0) => {
        const k = k0 % xs.length;
        const sorted = [...xs].sort((a, b) => a - b);
        expect(selectKth(Float64Array.from(xs), xs.length, k)).toBe(sorted[k]);
      }),
    );
  });

  it('median of 1..5 is 3', () => {
    expect(quantileInPlace(Float64Array.from([5, 1, 4, 2, 3]), 5, 0.5)).toBe(3);
  });
});

describe('StatsRing', () => {
  it('keeps the mean and variance of the last n samples', () => {
    const r = new StatsRing(3);
    for (const v of [10, 1, 2, 3]) r.push(v);
    expect(r.size).toBe(3);
    expect(r.mean()).toBe(2);
    expect(r.variance()).toBeCloseTo(2 / 3, 12);
    expect(r.at(0)).toBe(1);
    expect(r.last()).toBe(3);
  });

  it('copies its samples oldest first across the wrap-around', () => {
    const r = new StatsRing(4);
    for (let v = 1; v <= 6; v++) r.push(v);
    const out = new Float64Array(4);
    r.copyTo(out);
    expect(Array.from(out)).toEqual([3, 4, 5, 6]);
  });
});
