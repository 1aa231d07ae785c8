import { describe, expect, it } from 'vitest';
import { runBench } from '../../src/detect/bench.js';
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
