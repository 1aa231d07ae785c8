import { describe, expect, it } from 'vitest';
import { benchTraces, refineMatched, runBench } from '../../src/detect/bench.js';
import { poolFamily } from '../../src/detect/pooled.js';
import { renderFamilySvg } from '../../src/detect/svg.js';
import { geometric, sweeps } from '../../src/detect/sweep.js';
import { detectorNames } from '../../src/detect/registry.js';

describe('sweeps', () => {
  it('are geometric and cover every detector', () => {
    const g = geometric(1, 1000, 4);
    expect(g[0]).toBe(1);
    expect(g[3]).toBeCloseTo(1000, 9);
    expect(g[1]! / g[0]!).toBeCloseTo(10, 9);
    expect(sweeps(5).map((s) => s.detector).sort()).toEqual([...detectorNames].sort());
  });
});

describe('runBench (in process, one family)', () => {
  // The CLI's `detect bench --quick --json` runs all 7 families (~15 s); this is the same function on two.
  const report = runBench({ seed: 3, quick: true, families: ['lan', 'monitor-stalls'] });

  it('reports points, fronts and verdicts per family', () => {
    expect(report.families.map((f) => f.name)).toEqual(['lan', 'monitor-stalls']);
    for (const f of report.families) {
      expect(typeof f.dominates).toBe('boolean');
      expect(Object.keys(f.strictlyBeats).sort()).toEqual(detectorNames.filter((n) => n !== 'adaptive').sort());
      expect(f.dominates).toBe(Object.values(f.dominatesEach).every(Boolean));
      expect(f.points.length).toBeGreaterThan(30 * detectorNames.length - 1);
      // the noise-aware verdict is never stricter than the strict one
      if (f.dominates) expect(f.withinNoise.dominates).toBe(true);
      for (const [name, missed] of Object.entries(f.withinNoise.undominated)) {
        expect(missed.length === 0).toBe(f.withinNoise.dominatesEach[name]);
        expect(missed.length).toBeLessThanOrEqual(f.undominated[name]!.length);
      }
      for (const p of f.points) {
        expect(p.mistakesPerHour).toBeGreaterThanOrEqual(0);
        expect(p.detectionMs).toBeGreaterThanOrEqual(0);
      }
      // every undominated point listed really is undominated by the default's front
      for (const [name, missed] of Object.entries(f.undominated)) {
        expect(missed.length === 0).toBe(f.dominatesEach[name]);
      }
    }
    expect(report.families[1]!.fronts['adaptive+stall-aware']!.length).toBeGreaterThan(0);
  });

  it('reports the stall-aware comparison: no false suspicion from stalls, crashes still detected', () => {
    const s = report.stall!;
    expect(s.longestStallMs).toBe(10_000);
    expect(s.plain.mistakesDuringStalls).toBeGreaterThan(0);
    expect(s.stallAware.mistakesDuringStalls).toBe(0);
    expect(s.stallAware.crashesDetected).toBe(s.stallAware.crashes);
  });

  it('draws an SVG chart with axes and a legend entry per detector', () => {
    const svg = renderFamilySvg(report.families[0]!, 'lan <test>');
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg).toContain('mean detection time T_D');
    expect(svg).toContain('lan &#60;test&#62;');
    for (const name of detectorNames) expect(svg).toContain(`>${name}</text>`);
    expect(svg.trim().endsWith('</svg>')).toBe(true);
  });
});

describe('matched points', () => {
  it('refineMatched corrects the margin until the detection time is at most the target', () => {
    // T_D = margin + 100, mistakes fall as the margin grows: the secant lands on the target at once.
    const linear = refineMatched(10, 150, (m) => ({ detectionMs: m + 100, mistakes: Math.max(0, 100 - m) }));
    expect(linear!.detectionMs).toBeCloseTo(150, 6);
    // A detection time with a plateau the secant cannot cross: the downward fallback still finds one.
    const plateau = refineMatched(5, 50, (m) => ({ detectionMs: m < -1000 ? 0 : 100, mistakes: 1 }));
    expect(plateau).not.toBeNull();
    expect(plateau!.detectionMs).toBeLessThanOrEqual(50);
    expect(refineMatched(5, 50, () => ({ detectionMs: 100, mistakes: 1 }))).toBeNull();
  });

  it('every matched point of the default is within the tolerance of a competitor front point', () => {
    const r = runBench({ seed: 5, quick: true, families: ['lan'] });
    const f = r.families[0]!;
    const matched = f.points.filter((p) => p.matched === true);
    expect(matched.length).toBeGreaterThan(0);
    const theirs = Object.entries(f.fronts)
      .filter(([n]) => !n.startsWith('adaptive'))
      .flatMap(([, front]) => front);
    for (const p of matched) expect(theirs.some((q) => p.detectionMs <= q.detectionMs * (1 + r.tolerance) + 1e-9)).toBe(true);
  });
});

describe('poolFamily', () => {
  it('pools the same sweep values over seeds and asks the default for each pooled point', () => {
    const reports = [1, 2].map((seed) => runBench({ seed, quick: true, families: ['lan'] }));
    const traces = [1, 2].map((seed) => benchTraces(seed, true, ['lan'])[0]!);
    const pooled = poolFamily('lan', reports, traces);
    expect(pooled.seeds).toBe(2);
    expect(pooled.upHours).toBeCloseTo(reports[0]!.families[0]!.upHours + reports[1]!.families[0]!.upHours, 9);
    expect(Object.keys(pooled.worstRatio).sort()).toEqual(detectorNames.filter((n) => n !== 'adaptive').sort());
    for (const [name, ratio] of Object.entries(pooled.worstRatio)) expect(pooled.dominatesEach[name]).toBe(ratio <= 1.02);
    for (const z of Object.values(pooled.worstZ)) expect(Number.isNaN(z)).toBe(false);
    // a pooled fixed-timeout point sums the two seeds' mistakes at the same timeout
    const p = pooled.fronts.fixed![0]!;
    const perSeed = reports.map((r) => r.families[0]!.points.find((q) => q.detector === 'fixed' && q.value === p.value)!.mistakes);
    expect(p.mistakes).toBe(perSeed[0]! + perSeed[1]!);
    // our matched point at a competitor's pooled T_D is no slower than it (+2 %)
    for (const w of Object.values(pooled.worst)) {
      if (w !== null && Number.isFinite(w.ourDetectionMs)) expect(w.ourDetectionMs).toBeLessThanOrEqual(w.detectionMs * 1.02 + 1e-9);
    }
  });
});
