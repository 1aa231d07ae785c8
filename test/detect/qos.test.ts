import { describe, expect, it } from 'vitest';
import { solveMarginMs } from '../../src/detect/bench.js';
import { FixedTimeoutDetector } from '../../src/detect/fixed-timeout.js';
import { paretoFront, strictlyBeatsSomewhere, undominated } from '../../src/detect/pareto.js';
import { replayTrace } from '../../src/detect/qos.js';
import type { Trace } from '../../src/detect/trace.js';

function trace(arrivals: number[], epochs: Trace['epochs']): Trace {
  return { name: 'hand', intervalMs: 100, arrivalsMs: Float64Array.from(arrivals), epochs, stalls: [] };
}

describe('replayTrace (hand-computed)', () => {
  it('one mistake and one crash', () => {
    // Fixed 250 ms. Deadlines: 100→350, 200→450, 300→550 (< 700: mistake 550..700 = 150 ms),
    // 700→950, 800→1050. Crash at 1000: T_D = 50. Up 1000 ms.
    const t = trace([100, 200, 300, 700, 800], [{ startMs: 0, crashMs: 1000, endMs: 5000 }]);
    const q = replayTrace(t, new FixedTimeoutDetector({ timeoutMs: 250 }), { recordMistakes: true });
    expect(q.crashes).toBe(1);
    expect(q.detectionTimesMs).toEqual([50]);
    expect(q.meanDetectionTimeMs).toBe(50);
    expect(q.mistakes).toBe(1);
    expect(q.mistakeStartsMs).toEqual([550]);
    expect(q.upTimeMs).toBe(1000);
    expect(q.mistakeRatePerHour).toBeCloseTo(3600, 9);
    expect(q.meanMistakeDurationMs).toBe(150);
    expect(q.meanMistakeRecurrenceMs).toBeNaN();
    expect(q.queryAccuracy).toBeCloseTo(0.85, 12);
  });

  it('two epochs: recurrence, a mistake cut by the crash, detection already at the crash, in-flight arrivals', () => {
    // Epoch 1 [0, crash 2000): arrivals 0, 500, 1200, 1300. Fixed 300.
    //   0→300 < 500: mistake 300..500 (200); 500→800 < 1200: mistake 800..1200 (400);
    //   1200→1500; 1300→1600 < crash 2000: mistake 1600..2000 (400), T_D = 0.
    // Epoch 2 [3000, crash 4000, end 6000): arrivals 3000, 3100, 4050 (in flight after the crash).
    //   3000→3300 < 3100? no. 3100→3400 < 4050: mistake 3400..4000 (600, cut by the crash);
    //   4050→4350: T_D = 350.
    const t = trace(
      [0, 500, 1200, 1300, 3000, 3100, 4050],
      [
        { startMs: 0, crashMs: 2000, endMs: 3000 },
        { startMs: 3000, crashMs: 4000, endMs: 6000 },
      ],
    );
    const q = replayTrace(t, new FixedTimeoutDetector({ timeoutMs: 300 }), { recordMistakes: true });
    expect(q.mistakeStartsMs).toEqual([300, 800, 1600, 3400]);
    expect(q.detectionTimesMs).toEqual([0, 350]);
    expect(q.deadlineMinusCrashMs).toEqual([-400, 350]);
    expect(q.meanDetectionTimeMs).toBe(175);
    expect(q.upTimeMs).toBe(3000);
    expect(q.mistakeRatePerHour).toBeCloseTo((4 / 3000) * 3_600_000, 9);
    expect(q.meanMistakeDurationMs).toBe((200 + 400 + 400 + 600) / 4);
    // recurrences within an epoch only: 800−300, 1600−800
    expect(q.meanMistakeRecurrenceMs).toBe((500 + 800) / 2);
    expect(q.queryAccuracy).toBeCloseTo(1 - 1600 / 3000, 12);
  });

  it('an epoch without a crash counts up time to its end and no detection', () => {
    const t = trace([0, 100, 200], [{ startMs: 0, crashMs: null, endMs: 1000 }]);
    const q = replayTrace(t, new FixedTimeoutDetector({ timeoutMs: 500 }));
    expect(q.crashes).toBe(0);
    expect(q.meanDetectionTimeMs).toBeNaN();
    expect(q.mistakes).toBe(1); // 700..1000: silence while up
    expect(q.meanMistakeDurationMs).toBe(300);
  });
});

describe('Pareto fronts and dominance', () => {
  const p = (detectionMs: number, mistakesPerHour: number) => ({ detectionMs, mistakesPerHour });

  it('keeps only undominated points, sorted by detection time', () => {
    const front = paretoFront([p(100, 10), p(200, 5), p(150, 20), p(300, 0), p(400, 0), p(Number.POSITIVE_INFINITY, 0)]);
    expect(front).toEqual([p(100, 10), p(200, 5), p(300, 0)]);
  });

  it('weak dominance uses the relative tolerance on both axes', () => {
    expect(undominated([p(101, 10.1)], [p(100, 10)], 0.02)).toEqual([]);
    expect(undominated([p(103, 10)], [p(100, 10)], 0.02)).toEqual([p(100, 10)]);
    expect(undominated([p(50, 1)], [p(100, 0)], 0.02)).toEqual([p(100, 0)]); // zero needs zero
  });

  it('strictly beats needs a margin beyond the tolerance somewhere', () => {
    expect(strictlyBeatsSomewhere([p(100, 10)], [p(100, 10)], 0.02)).toBe(false);
    expect(strictlyBeatsSomewhere([p(90, 10)], [p(100, 10)], 0.02)).toBe(true);
  });

  it('solves the margin for a wanted mean detection time', () => {
    const none = [-1e9, -1e9, -1e9]; // last arrivals far before the crashes: no clamping
    // base − crash: −100, 50, 250 → mean max(0, b+m) = target
    expect(solveMarginMs(none, [-100, 50, 250], 100)).toBeCloseTo(0, 6); // (0 + 50 + 250)/3 = 100
    // for m >= 100 all three count: (m − 100 + 50 + m + 250 + m)/3 = 200 → m = 400/3
    expect(solveMarginMs(none, [-100, 50, 250], 200)).toBeCloseTo(400 / 3, 6);
    // a negative margin: only the third counts, (250 + m)/3 = 50 → m = −100 (50 − 100 < 0)
    expect(solveMarginMs(none, [-100, 50, 250], 50)).toBeCloseTo(-100, 6);
    // the clamp: a heartbeat still in flight at the crash (last − crash = 120) bounds T_D below
    expect(solveMarginMs([120, -1e9], [0, 0], 50)).toBeNaN(); // T_D >= 120/2 for every margin
    expect(solveMarginMs([120, -1e9], [0, 0], 100)).toBeCloseTo(80, 6); // (120 + 80)/2
  });
});

describe('dominanceGap', () => {
  it('is the relative excess of our closest point', async () => {
    const { dominanceGap } = await import('../../src/detect/pareto.js');
    const p = (detectionMs: number, mistakesPerHour: number) => ({ detectionMs, mistakesPerHour });
    expect(dominanceGap([p(100, 10)], p(100, 10))).toBe(0);
    expect(dominanceGap([p(110, 5), p(90, 12)], p(100, 10))).toBeCloseTo(0.1, 12);
    expect(dominanceGap([p(50, 1)], p(100, 0))).toBe(Number.POSITIVE_INFINITY);
  });
});
