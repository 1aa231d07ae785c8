import { describe, expect, it } from 'vitest';
import { SliRecorder } from '../../src/slo/recorder.js';
import { combineSnapshots } from '../../src/slo/snapshot.js';
import { buildSloSpec, defaultSloSpec } from '../../src/slo/spec.js';

const MIN = 60_000;
const T0 = 20_000 * 86_400_000;

describe('cluster snapshot', () => {
  it('sums the nodes’ counts and recomputes SLI, budget and alerts', () => {
    const spec = defaultSloSpec();
    const a = new SliRecorder(spec);
    const b = new SliRecorder(spec);
    // Node a: 1000 good. Node b (lost its leader): 900 good, 100 bad, in the last 5 minutes.
    a.record({ method: 'put', outcome: 'good', latencyMs: 5, atMs: T0 + 2 * MIN, count: 1000 });
    b.record({ method: 'put', outcome: 'good', latencyMs: 5, atMs: T0 + 2 * MIN, count: 900 });
    b.record({ method: 'put', outcome: 'bad', latencyMs: 5, atMs: T0 + 3 * MIN, count: 100 });
    const now = T0 + 5 * MIN;
    const cluster = combineSnapshots(spec, [a.snapshot(now), b.snapshot(now)]);
    const avail = cluster.objectives[0]!;
    expect([avail.valid, avail.bad]).toEqual([2000, 100]);
    expect(avail.sli).toBeCloseTo(0.95, 12);
    expect(avail.budget.consumedFraction).toBeCloseTo(0.05 / 0.001, 6);
    expect(avail.burnRates.find((w) => w.windowMs === 5 * MIN)!.burnRate).toBeCloseTo(50, 6);
    expect(cluster.firing.map((f) => [f.objective, f.severity])).toContainEqual(['availability', 'page']);
    // Node a alone is healthy.
    expect(a.snapshot(now).firing).toEqual([]);
  });

  it('refuses snapshots of different specs', () => {
    const spec = defaultSloSpec();
    const other = new SliRecorder(buildSloSpec({ periodMs: 7 * 86_400_000 }));
    expect(() => combineSnapshots(spec, [other.snapshot(T0)])).toThrow(/different SLO specs/);
    expect(() => combineSnapshots(spec, [])).toThrow(/no snapshots/);
  });
});
