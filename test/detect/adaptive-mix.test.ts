import { describe, expect, it } from 'vitest';
import { AdaptiveDetector } from '../../src/detect/adaptive.js';
import { crashProbes } from '../../src/detect/bench.js';
import { replayTrace } from '../../src/detect/qos.js';
import { generateTrace } from '../../src/detect/traces.js';

/** Mean T_D over the crashes and the bench's probes, and the mistake count. */
function qos(trace: ReturnType<typeof generateTrace>, d: AdaptiveDetector): { detectionMs: number; mistakes: number } {
  const q = replayTrace(trace, d, { crashProbesMs: crashProbes(trace) });
  const all = [...q.detectionTimesMs, ...q.probeDetectionTimesMs];
  return { detectionMs: all.reduce((a, b) => a + b, 0) / all.length, mistakes: q.mistakes };
}

describe('adaptive: time-sharing between two margins', () => {
  const lan = generateTrace('lan', { seed: 11, epochs: 8, epochUpMs: 300_000 });

  it('shares the margin between a step’s two sides on a LAN, keeping the mean margin', () => {
    const d = new AdaptiveDetector({ safetyMarginMs: 40 });
    const offsets = new Set<number>();
    const arrivals = lan.arrivalsMs;
    for (let i = 0; i < 2000; i++) {
      d.heartbeat(arrivals[i]!);
      if (i > 500) offsets.add(Math.round(d.suspectAtMs() - arrivals[i]!));
    }
    const plan = d.mixPlan()!;
    expect(plan).not.toBeNull();
    expect(plan.lowMs).toBeLessThan(40);
    expect(plan.highMs).toBeGreaterThan(90);
    expect(plan.lowWeight * plan.lowMs + (1 - plan.lowWeight) * plan.highMs).toBeCloseTo(40, 9);
    // both sides are really used: short and long deadlines after the last arrival
    expect(Math.min(...offsets)).toBeLessThan(140);
    expect(Math.max(...offsets)).toBeGreaterThan(190);
  });

  it('makes fewer mistakes than one margin at the same mean detection time on a lossy LAN', () => {
    const mixed = qos(lan, new AdaptiveDetector({ safetyMarginMs: 40 }));
    // the single margin with the same mean detection time (T_D grows 1 ms per ms of margin)
    const pure = qos(lan, new AdaptiveDetector({ safetyMarginMs: 40, mixMemory: 0 }));
    expect(Math.abs(mixed.detectionMs - pure.detectionMs) / pure.detectionMs).toBeLessThan(0.05);
    expect(pure.mistakes).toBeGreaterThan(5); // every loss is a mistake for the single margin
    expect(mixed.mistakes).toBeLessThan(0.8 * pure.mistakes);
  });

  it('leaves heavy-tailed delays alone (no step: the single margin is already on the hull)', () => {
    const logn = generateTrace('lognormal', { seed: 12, epochs: 2, epochUpMs: 300_000 });
    for (const m of [40, 80, 150]) {
      const mixed = qos(logn, new AdaptiveDetector({ safetyMarginMs: m }));
      const pure = qos(logn, new AdaptiveDetector({ safetyMarginMs: m, mixMemory: 0 }));
      expect(mixed.mistakes).toBeLessThanOrEqual(Math.ceil(pure.mistakes * 1.05));
      expect(mixed.detectionMs).toBeLessThanOrEqual(pure.detectionMs * 1.02);
    }
  });

  it('never suspects at the very arrival of a heartbeat on a healthy stream after monitor stalls', () => {
    // Regression: the two-ended expected-arrival estimate jumped half an interval per queued
    // heartbeat when a stall's queue left its window, which put the deadline at the last arrival.
    const stalls = generateTrace('monitor-stalls', { seed: 2, epochs: 2, epochUpMs: 300_000 });
    const d = new AdaptiveDetector({ safetyMarginMs: 18, mixMemory: 0 });
    const epoch = stalls.epochs[0]!;
    let seen = 0;
    for (const t of stalls.arrivalsMs) {
      if (t >= epoch.endMs) break;
      d.heartbeat(t);
      if (++seen > 100) expect(d.suspectAtMs() - t).toBeGreaterThan(50);
    }
    expect(seen).toBeGreaterThan(2000);
  });

  it('rejects a bad mixMemory', () => {
    expect(() => new AdaptiveDetector({ mixMemory: -1 })).toThrow(/adaptive: mixMemory/);
    expect(() => new AdaptiveDetector({ mixMemory: 1.5 })).toThrow(/adaptive: mixMemory/);
    expect(new AdaptiveDetector({ mixMemory: 0 }).mixPlan()).toBeNull();
  });
});
