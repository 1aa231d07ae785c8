import { describe, expect, it } from 'vitest';
import { drawParams, formatParams, mixSeed } from '../../src/sim/params.js';

describe('drawParams', () => {
  it('is a function of the seed', () => {
    expect(drawParams({ seed: 42 })).toEqual(drawParams({ seed: 42 }));
    expect(formatParams(drawParams({ seed: 42 }))).not.toEqual(formatParams(drawParams({ seed: 43 })));
  });

  it('fixing an option does not shift the other draws', () => {
    const drawn = drawParams({ seed: 7 });
    const fixed = drawParams({ seed: 7, nodes: drawn.nodes === 3 ? 5 : 3, detector: 'fixed' });
    expect({ ...fixed, nodes: drawn.nodes, detector: drawn.detector, faults: drawn.faults }).toEqual(drawn);
  });

  it('draws both cluster sizes, both detectors and both profiles over a few seeds', () => {
    const ps = Array.from({ length: 60 }, (_, i) => drawParams({ seed: i }));
    expect(new Set(ps.map((p) => p.nodes))).toEqual(new Set([3, 5]));
    expect(new Set(ps.map((p) => p.detector))).toEqual(new Set(['fixed', 'adaptive']));
    expect(new Set(ps.map((p) => p.profile))).toEqual(new Set(['mixed', 'election-storm']));
    for (const p of ps) {
      expect(p.faults.downNodesMax).toBeLessThanOrEqual(p.nodes);
      expect(p.fsyncMsMax).toBeGreaterThanOrEqual(p.fsyncMsMin);
      expect(p.lossRate).toBeLessThan(1);
    }
  });

  it('rejects bad options with a clear message', () => {
    expect(() => drawParams({ seed: -1 })).toThrow(/seed/);
    expect(() => drawParams({ seed: 1, nodes: 4 })).toThrow(/nodes must be 3 or 5/);
    expect(() => drawParams({ seed: 1, detector: 'phi' as never })).toThrow(/detector/);
    expect(() => drawParams({ seed: 1, plantBug: 'nope' as never })).toThrow(/planted bug/);
  });

  it('mixes neighbouring seeds apart', () => {
    expect(mixSeed(1)).not.toBe(mixSeed(2));
    expect(mixSeed(1)).toBeGreaterThanOrEqual(0);
    expect(mixSeed(2 ** 40)).not.toBe(mixSeed(0));
  });
});
