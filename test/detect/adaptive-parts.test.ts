import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BurstMemory } from '../../src/detect/burst.js';
import { coversWithinNoise, undominatedWithinNoise } from '../../src/detect/pareto.js';
import { ChangeAwareSpread } from '../../src/detect/spread.js';

describe('ChangeAwareSpread', () => {
  it('is the median of the long window on a stationary stream', () => {
    const s = new ChangeAwareSpread(100, 10, 2);
    for (let i = 0; i < 300; i++) s.add(i % 2 === 0 ? 1 : 3); // alternating 1, 3: median in [1, 3]
    expect(s.valueMs).toBeGreaterThanOrEqual(1);
    expect(s.valueMs).toBeLessThanOrEqual(3);
  });

  it('restarts from the short window when recent samples are more than changeRatio away', () => {
    const s = new ChangeAwareSpread(100, 10, 2);
    for (let i = 0; i < 100; i++) s.add(2);
    expect(s.valueMs).toBe(2);
    let changed = false;
    for (let i = 0; i < 26 && !changed; i++) changed = s.add(10);
    expect(changed).toBe(true);
    expect(s.valueMs).toBe(10); // not the long median (still 2 with 26 of 100 samples at 10)
    s.clear();
    expect(s.valueMs).toBe(0);
  });

  it('never reports a change on a constant stream', () => {
    fc.assert(
      fc.property(fc.double({ min: 0.01, max: 1e4, noNaN: true }), fc.integer({ min: 1, max: 500 }), (v, n) => {
        const s = new ChangeAwareSpread(60, 20, 1.5);
        for (let i = 0; i < n; i++) expect(s.add(v)).toBe(false);
        expect(s.valueMs).toBe(v);
      }),
      { numRuns: 30 },
    );
  });
});

describe('BurstMemory', () => {
  it('stays calm with isolated long gaps, boosts after clustered ones, and decays', () => {
    const calm = new BurstMemory(1000, 3, 1, 0.5);
    for (let i = 0; i < 3000; i++) calm.observe(i % 40 === 0 ? 300 : 100, 100);
    expect(calm.bursty()).toBe(false);
    expect(calm.boostMs).toBe(0);
    const bursty = new BurstMemory(1000, 3, 1, 0.5);
    for (let i = 0; i < 3000; i++) bursty.observe(i % 40 < 3 ? 200 : 100, 100);
    // the last gaps: i = 2999 → 2999 % 40 = 39 (normal); replay one burst
    for (const g of [300, 200]) bursty.observe(g, 100);
    expect(bursty.bursty()).toBe(true);
    expect(bursty.boostMs).toBe(Math.max(200 * 0.5, 100)); // max(decayed 200, 1 × (200 − 100))
    bursty.observe(100, 100);
    expect(bursty.boostMs).toBe(50);
    bursty.clear();
    expect(bursty.boostMs).toBe(0);
  });
});

describe('dominance within noise', () => {
  const p = (detectionMs: number, mistakes: number) => ({ detectionMs, mistakesPerHour: mistakes, mistakes });
  it('treats mistake counts within one standard error as ties, but not detection time', () => {
    expect(coversWithinNoise(p(100, 3), p(100, 2), 0.02, 1)).toBe(true); // 1 <= √5
    expect(coversWithinNoise(p(100, 1), p(100, 0), 0.02, 1)).toBe(true); // 1 <= √1
    expect(coversWithinNoise(p(100, 2), p(100, 0), 0.02, 1)).toBe(false); // 2 > √2
    expect(coversWithinNoise(p(100, 120), p(100, 100), 0.02, 1)).toBe(false); // 20 > √220
    expect(coversWithinNoise(p(100, 110), p(100, 100), 0.02, 1)).toBe(true); // 10 <= √210
    expect(coversWithinNoise(p(103, 0), p(100, 5), 0.02, 1)).toBe(false); // T_D beyond 2%
    expect(undominatedWithinNoise([p(100, 3)], [p(100, 2), p(50, 2)], 0.02, 1)).toEqual([p(50, 2)]);
  });
});
