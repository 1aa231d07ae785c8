import { describe, expect, it } from 'vitest';
import { createDetector, detectorNames } from '../../src/detect/registry.js';
import { replayTrace } from '../../src/detect/qos.js';
import { IntervalStallSource, stalledMsBetween, withStallAwareness } from '../../src/detect/stall.js';
import { NodeStallMonitor } from '../../src/server/stall-monitor.js';
import type { Trace } from '../../src/detect/trace.js';
import { generateTrace } from '../../src/detect/traces.js';

/** 100 ms heartbeats from 0; a 10 s monitor stall at [30 s, 40 s] (heartbeats queue to 40 s); crash at 60 s. */
function stallTrace(): Trace {
  const arrivals: number[] = [];
  for (let t = 0; t < 60_000; t += 100) arrivals.push(t >= 30_000 && t < 40_000 ? 40_000 : t);
  return {
    name: 'stall-10s',
    intervalMs: 100,
    arrivalsMs: Float64Array.from(arrivals),
    epochs: [{ startMs: 0, crashMs: 60_000, endMs: 80_000 }],
    stalls: [{ startMs: 30_000, endMs: 40_000 }],
  };
}

describe('stall sources', () => {
  it('sums the stalled time overlapping an interval', () => {
    const s = new IntervalStallSource([
      { startMs: 10, endMs: 20 },
      { startMs: 50, endMs: 100 },
    ]);
    expect(stalledMsBetween(s, 0, 200)).toBe(60);
    expect(stalledMsBetween(s, 15, 60)).toBe(15);
    expect(s.stallsBetween(21, 49)).toEqual([]);
  });

  it('rejects unsorted or inverted intervals', () => {
    expect(() => new IntervalStallSource([{ startMs: 10, endMs: 5 }])).toThrow(/ends \(5\) before it starts/);
    expect(
      () =>
        new IntervalStallSource([
          { startMs: 10, endMs: 50 },
          { startMs: 40, endMs: 60 },
        ]),
    ).toThrow(/sorted and disjoint/);
  });
});

describe('withStallAwareness', () => {
  it('does not suspect during a 10 s monitor stall, and still detects the crash', () => {
    const trace = stallTrace();
    const stalls = new IntervalStallSource(trace.stalls);
    for (const name of detectorNames) {
      const plain = replayTrace(trace, createDetector(name));
      const aware = replayTrace(trace, withStallAwareness(createDetector(name), stalls));
      expect(plain.mistakes, `${name} without stall awareness`).toBeGreaterThan(0);
      expect(aware.mistakes, `${name} with stall awareness`).toBe(0);
      expect(aware.detectionTimesMs[0], name).toBeLessThan(30_000);
      expect(Number.isFinite(aware.meanDetectionTimeMs)).toBe(true);
    }
  });

  it('skips stalls when computing the deadline and queries in monitor-running time', () => {
    const stalls = new IntervalStallSource([{ startMs: 1100, endMs: 1600 }]);
    const d = withStallAwareness(createDetector('fixed', { timeoutMs: 300 }), stalls);
    d.heartbeat(1000);
    // 100 ms run, 500 ms stalled, then 200 more ms of silence: 1800
    expect(d.suspectAtMs()).toBe(1800);
    expect(d.suspected(1799)).toBe(false);
    expect(d.suspected(1800)).toBe(true);
    expect(d.name).toBe('fixed+stall-aware');
  });

  it('makes no false suspicion from the generated monitor-stall family (stalls up to 10 s)', () => {
    const trace = generateTrace('monitor-stalls', { seed: 11, epochs: 2, epochUpMs: 300_000 });
    const aware = replayTrace(trace, withStallAwareness(createDetector('adaptive'), new IntervalStallSource(trace.stalls)));
    const plain = replayTrace(trace, createDetector('adaptive'));
    expect(plain.mistakes).toBeGreaterThanOrEqual(trace.stalls.length);
    expect(aware.mistakes).toBe(0);
    expect(aware.detectionTimesMs.every((t) => t < 2000)).toBe(true);
  });

  it('rejects backwards arrivals and queries before the last heartbeat', () => {
    const d = withStallAwareness(createDetector('fixed'), new IntervalStallSource([]));
    d.heartbeat(10);
    expect(() => d.heartbeat(5)).toThrow(/backwards/);
    expect(() => d.suspicion(5)).toThrow(/before the last heartbeat/);
  });
});

describe('NodeStallMonitor (injected clock)', () => {
  it('records a stall when a tick comes late, and reports an ongoing one', () => {
    let now = 0;
    const m = new NodeStallMonitor({ tickMs: 20, stallThresholdMs: 50, nowMs: () => now });
    now = 20;
    m.tick();
    now = 40;
    m.tick();
    now = 1040; // the tick due at 60 ran at 1040: a stall [60, 1040]
    m.tick();
    expect(m.stallsBetween(0, 2000)).toEqual([{ startMs: 60, endMs: 1040 }]);
    expect(m.stallsBetween(1041, 2000)).toEqual([]);
    m.stop();
  });
});
