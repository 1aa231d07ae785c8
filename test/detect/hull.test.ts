import { describe, expect, it } from 'vitest';
import { exponential, normal, SeededRandom } from '../../src/core/random.js';
import { type MixPlan, ResidualHull } from '../../src/detect/hull.js';

function hull(minSamples = 100): ResidualHull {
  return new ResidualHull({
    memoryHeartbeats: 1_000_000,
    resolutionMs: 0.05,
    rangeMs: 60_000,
    recomputeEvery: 1,
    minSamples,
    minGainCount: 2,
    minGainFraction: 0.1,
  });
}

/** Expected mistakes per heartbeat of a plan, read from the hull's own survival function. */
function mixedSurvival(h: ResidualHull, p: MixPlan): number {
  return p.lowWeight * h.survivalAt(p.lowMs) + (1 - p.lowWeight) * h.survivalAt(p.highMs);
}

function meanMargin(p: MixPlan): number {
  return p.lowWeight * p.lowMs + (1 - p.lowWeight) * p.highMs;
}

describe('ResidualHull', () => {
  it('learns the survival function of the residuals', () => {
    const h = hull();
    for (let i = 0; i < 990; i++) h.add((i % 10) / 10); // 0 … 0.9 ms
    for (let i = 0; i < 10; i++) h.add(100);
    expect(h.samples).toBe(1000);
    expect(h.survivalAt(50)).toBeCloseTo(0.01, 4); // decayed counts: the newest weigh a little more
    expect(h.survivalAt(-1)).toBeCloseTo(1, 12);
    expect(h.survivalAt(200)).toBe(0);
  });

  it('cuts the corner of a step: losses one interval late (seen)', () => {
    const h = hull();
    const r = new SeededRandom(1);
    for (let i = 0; i < 5000; i++) h.add(i % 100 === 0 ? 100 + normal(r, 0, 0.5) : normal(r, 0, 0.5));
    const p = h.plan(50, 100)!;
    expect(p).not.toBeNull();
    expect(p.lowMs).toBeLessThan(50);
    expect(p.highMs).toBeGreaterThan(100);
    expect(meanMargin(p)).toBeCloseTo(50, 9); // same mean margin, so the same mean detection time
    // the pure margin catches every loss; the mixture about half of them
    expect(mixedSurvival(h, p)).toBeLessThan(0.7 * h.survivalAt(50));
  });

  it('time-shares past a step it has not seen yet, above a tight bulk (a periodic sender can always lose one)', () => {
    const h = hull();
    const r = new SeededRandom(2);
    for (let i = 0; i < 3000; i++) h.add(normal(r, 0, 0.5));
    const p = h.plan(30, 100)!;
    expect(p).not.toBeNull();
    expect(p.lowMs).toBeGreaterThan(1); // headroom above the largest residual seen
    expect(p.lowMs).toBeLessThan(30);
    expect(p.highMs).toBeGreaterThanOrEqual(100);
    expect(meanMargin(p)).toBeCloseTo(30, 9);
    expect(h.plan(150, 100)).toBeNull(); // beyond one lost heartbeat: nothing to share
    expect(h.plan(-5, 100)).toBeNull(); // inside the bulk
  });

  it('keeps the margin on smooth, convex tails (exponential and lognormal residuals)', () => {
    const r = new SeededRandom(3);
    const exp = hull();
    const logn = hull();
    for (let i = 0; i < 20_000; i++) {
      exp.add(exponential(r, 20));
      logn.add(20 * Math.exp(normal(r, 0, 0.6)) - 20);
    }
    for (const m of [20, 40, 60, 90, 120, 200]) {
      expect(exp.plan(m, 100)).toBeNull();
      expect(logn.plan(m, 100)).toBeNull();
    }
  });

  it('refuses a stair of single outliers in a sparse tail', () => {
    const h = hull();
    const r = new SeededRandom(4);
    for (let i = 0; i < 2000; i++) h.add(5 * (1 - r.float()) ** (-1 / 1.5)); // Pareto, shape 1.5
    for (const m of [100, 200, 400, 800]) expect(h.plan(m, 100)).toBeNull();
  });

  it('waits for enough samples, and forgets everything on clear()', () => {
    const h = hull(500);
    for (let i = 0; i < 499; i++) h.add(0);
    expect(h.plan(30, 100)).toBeNull();
    h.add(0);
    expect(h.plan(30, 100)).not.toBeNull();
    h.clear();
    expect(h.samples).toBe(0);
    expect(h.plan(30, 100)).toBeNull();
    expect(h.survivalAt(0)).toBe(0);
  });

  it('stays finite over a long life (decayed weights are renormalised)', () => {
    const h = new ResidualHull({
      memoryHeartbeats: 10,
      resolutionMs: 0.05,
      rangeMs: 60_000,
      recomputeEvery: 64,
      minSamples: 0,
      minGainCount: 2,
      minGainFraction: 0.1,
    });
    for (let i = 0; i < 20_000; i++) h.add(i % 2 === 0 ? 0 : 1);
    const s = h.survivalAt(0.5);
    expect(Number.isFinite(s)).toBe(true);
    expect(s).toBeGreaterThan(0.3);
    expect(s).toBeLessThan(0.7);
  });
});
