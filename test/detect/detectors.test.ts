import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../../src/core/errors.js';
import { normal, SeededRandom } from '../../src/core/random.js';
import { AdaptiveDetector } from '../../src/detect/adaptive.js';
import { BertierDetector } from '../../src/detect/bertier.js';
import { ChenDetector } from '../../src/detect/chen.js';
import { EventuallyPerfectDetector } from '../../src/detect/eventually-perfect.js';
import { FixedTimeoutDetector } from '../../src/detect/fixed-timeout.js';
import { PhiExponentialDetector } from '../../src/detect/phi-exponential.js';
import { PhiNormalDetector } from '../../src/detect/phi-normal.js';
import { createDetector, detectorFactory, detectorNames } from '../../src/detect/registry.js';

describe('fixed timeout', () => {
  it('suspects exactly timeoutMs after the last heartbeat', () => {
    const d = new FixedTimeoutDetector({ timeoutMs: 250 });
    d.heartbeat(1000);
    expect(d.suspectAtMs()).toBe(1250);
    expect(d.suspected(1249.9)).toBe(false);
    expect(d.suspected(1250)).toBe(true);
    expect(d.suspicion(1249)).toBe(0);
    expect(d.suspicion(1250)).toBe(Number.POSITIVE_INFINITY);
  });
});

describe('eventually perfect', () => {
  it.each([
    [0, 1000],
    [1, 1500],
    [2, 2000],
    [5, 3500],
  ])('after %i mistakes the timeout is %i ms', (k, expectedMs) => {
    const d = new EventuallyPerfectDetector({ initialTimeoutMs: 1000, stepMs: 500 });
    let t = 0;
    d.heartbeat(t);
    for (let i = 0; i < k; i++) {
      t = d.suspectAtMs() + 1; // each heartbeat arrives after the deadline: a mistake
      d.heartbeat(t);
    }
    d.heartbeat(t + 10); // on time: not a mistake
    expect(d.mistakes).toBe(k);
    expect(d.timeoutMs()).toBe(expectedMs);
    expect(d.suspectAtMs()).toBe(t + 10 + expectedMs);
  });

  it('caps the timeout at maxTimeoutMs', () => {
    const d = new EventuallyPerfectDetector({ initialTimeoutMs: 100, stepMs: 100, maxTimeoutMs: 250 });
    let t = 0;
    d.heartbeat(t);
    for (let i = 0; i < 5; i++) d.heartbeat((t = d.suspectAtMs() + 1));
    expect(d.timeoutMs()).toBe(250);
  });
});

describe('phi-normal (Akka)', () => {
  // Heartbeats at 0, 1000, 2000 with firstHeartbeatEstimate 1000: the history is
  // [750, 1250] (the seed, estimate ± estimate/4) + [1000, 1000]: mean 1000,
  // variance (250² + 250² + 0 + 0) / 4 = 31250, σ = 176.7767 (> the 100 ms floor).
  const make = () => {
    const d = new PhiNormalDetector({ firstHeartbeatEstimateMs: 1000 });
    for (const t of [0, 1000, 2000]) d.heartbeat(t);
    return d;
  };
  const sigma = Math.sqrt(31250);

  it.each([
    [0, 0.30103], // φ(mean) = -log10(1/2)
    [1, 0.79954], // Q(1) = 0.158655
    [2, 1.64302], // Q(2) = 0.0227501
    [3, 2.8697], // Q(3) = 0.0013499
    [-1, 0.07503], // Q(-1) = 0.841345
  ])('φ at %i σ beyond the mean is %f', (z, phi) => {
    const d = make();
    expect(d.meanMs()).toBeCloseTo(1000, 9);
    expect(d.stdDeviationMs()).toBeCloseTo(sigma, 6);
    expect(d.suspicion(2000 + 1000 + z * sigma)).toBeCloseTo(phi, 4);
  });

  it('floors σ at minStdDeviationMs and adds the acceptable pause to the mean', () => {
    const d = new PhiNormalDetector({ firstHeartbeatEstimateMs: 100, acceptableHeartbeatPauseMs: 500 });
    for (let t = 0; t <= 100 * 1000; t += 100) d.heartbeat(t);
    expect(d.stdDeviationMs()).toBe(100);
    expect(d.meanMs()).toBeCloseTo(600, 6);
  });

  it('keeps growing far in the tail instead of saturating', () => {
    const d = make();
    const phi40 = d.suspicion(3000 + 40 * sigma);
    const phi80 = d.suspicion(3000 + 80 * sigma);
    expect(Number.isFinite(phi80)).toBe(true);
    expect(phi80).toBeGreaterThan(phi40);
    expect(phi40).toBeGreaterThan(340); // ≈ 40²/(2 ln 10) + …
  });

  it('its deadline is where φ reaches the threshold', () => {
    const d = make();
    expect(d.suspicion(d.suspectAtMs())).toBeCloseTo(8, 6);
    expect(d.suspected(d.suspectAtMs() - 1)).toBe(false);
  });
});

describe('phi-exponential (Cassandra)', () => {
  it('φ = silence / (mean · ln 10), with the initial interval in the window', () => {
    const d = new PhiExponentialDetector();
    for (const t of [0, 100, 200]) d.heartbeat(t);
    // window [2000 (initial), 100, 100]: mean 733.33 ms
    expect(d.meanMs()).toBeCloseTo(733.3333, 3);
    expect(d.suspicion(1200)).toBeCloseTo(1000 / (733.3333 * Math.LN10), 4);
    expect(d.suspectAtMs()).toBeCloseTo(200 + 8 * Math.LN10 * 733.3333, 2);
  });

  it('ignores intervals above maxIntervalMs', () => {
    const d = new PhiExponentialDetector({ initialIntervalMs: 100, maxIntervalMs: 500 });
    for (const t of [0, 100, 5000]) d.heartbeat(t);
    expect(d.meanMs()).toBe(100);
  });
});

describe('chen', () => {
  it('expected arrival = mean(A) + (n+1)/2 · η over the window', () => {
    const d = new ChenDetector({ windowSize: 4, safetyMarginMs: 50 });
    for (const t of [0, 100, 210, 300]) d.heartbeat(t);
    // mean 152.5, η = 300 / 3 = 100 → EA = 152.5 + 2.5 · 100 = 402.5
    expect(d.expectedArrivalMs()).toBeCloseTo(402.5, 9);
    expect(d.suspectAtMs()).toBeCloseTo(452.5, 9);
    d.heartbeat(420); // window now 100, 210, 300, 420: mean 257.5, η = 320/3
    expect(d.expectedArrivalMs()).toBeCloseTo(257.5 + 2.5 * (320 / 3), 9);
  });
});

describe('bertier', () => {
  it('adds the Jacobson margin β·delay + φ·var', () => {
    const d = new BertierDetector({ firstHeartbeatEstimateMs: 1000 });
    d.heartbeat(0); // EA = 0 + 1 · 1000 = 1000
    expect(d.expectedArrivalMs()).toBe(1000);
    d.heartbeat(100); // error = 100 − 1000 − 0 = −900 → delay −90, var 90; EA = 50 + 1.5 · 100 = 200
    expect(d.expectedArrivalMs()).toBeCloseTo(200, 9);
    expect(d.safetyMarginMs()).toBeCloseTo(-90 + 4 * 90, 9);
    expect(d.suspectAtMs()).toBeCloseTo(470, 9);
  });
});

describe('adaptive', () => {
  it('predicts last + median gap on a regular stream and adds the margin', () => {
    const d = new AdaptiveDetector({ safetyMarginMs: 30 });
    for (let t = 0; t <= 10_000; t += 100) d.heartbeat(t);
    expect(d.medianGapMs()).toBe(100);
    expect(d.expectedArrivalMs()).toBeCloseTo(10_100, 6);
    expect(d.suspectAtMs()).toBeCloseTo(10_130, 6);
  });

  it('is patient after a loss only when losses come in bursts, and forgets it', () => {
    // isolated long gaps (one lost heartbeat every 5 s): not bursty, no boost
    const isolated = new AdaptiveDetector({ safetyMarginMs: 30 });
    for (let k = 0; k <= 2000; k++) if (k % 50 !== 25) isolated.heartbeat(k * 100);
    expect(isolated.bursty()).toBe(false);
    expect(isolated.boostMs()).toBe(0);
    // bursts: three heartbeats lost in a row every 5 s → long gaps follow long gaps
    const bursty = new AdaptiveDetector({ safetyMarginMs: 30 });
    const lost = (k: number) => k % 50 === 25 || k % 50 === 27 || k % 50 === 29;
    for (let k = 0; k <= 2026; k++) if (!lost(k)) bursty.heartbeat(k * 100);
    expect(bursty.bursty()).toBe(true);
    expect(bursty.boostMs()).toBeCloseTo(100, 6); // after the gap of 200 ms: gain 1 × (200 − 100)
    expect(bursty.marginMs()).toBeCloseTo(30 + 2.5 * bursty.spreadMs() + 100, 6);
    for (let k = 2027; k <= 2035; k++) bursty.heartbeat(k * 100);
    expect(bursty.boostMs()).toBeLessThan(1); // halves per heartbeat
  });

  it('re-learns its spread after a regime change (the network becomes 5× slower)', () => {
    const d = new AdaptiveDetector({ safetyMarginMs: 0 });
    const random = new SeededRandom(7);
    let lastMs = 0;
    const send = (k: number, medianDelayMs: number) => {
      lastMs = Math.max(lastMs, k * 100 + medianDelayMs * Math.exp(normal(random, 0, 0.4)));
      d.heartbeat(lastMs);
    };
    for (let k = 0; k < 3000; k++) send(k, 10);
    const fastSpreadMs = d.spreadMs();
    for (let k = 3000; k < 3100; k++) send(k, 50);
    expect(fastSpreadMs).toBeGreaterThan(0);
    expect(d.spreadMs()).toBeGreaterThan(2.5 * fastSpreadMs); // within 100 heartbeats, not 1000
  });

  it('its learned state does not depend on the margin: deadline(m) = max(last, base + m), m of any sign', () => {
    const farMs = 1e7;
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: 0, max: 500, noNaN: true }), { minLength: 1, maxLength: 300 }),
        fc.double({ min: -1e4, max: 1e4, noNaN: true }),
        (gaps, marginMs) => {
          const far = new AdaptiveDetector({ safetyMarginMs: farMs });
          const b = new AdaptiveDetector({ safetyMarginMs: marginMs });
          let t = 0;
          for (const g of gaps) {
            t += g;
            far.heartbeat(t);
            b.heartbeat(t);
            const baseMs = far.suspectAtMs() - farMs;
            expect(b.suspectAtMs()).toBeCloseTo(Math.max(t, baseMs + marginMs), 5);
          }
        },
      ),
      { numRuns: 50 },
    );
  });
});

describe('every detector', () => {
  it.each(detectorNames)('%s: nothing before the first heartbeat; suspicion never falls while silence grows', (name) => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: 0, max: 3000, noNaN: true }), { minLength: 1, maxLength: 60 }),
        fc.array(fc.double({ min: 0, max: 20_000, noNaN: true }), { minLength: 1, maxLength: 20 }),
        (gaps, queryOffsets) => {
          const d = createDetector(name);
          expect(d.suspicion(0)).toBe(0);
          expect(d.suspected(12_345)).toBe(false);
          expect(d.suspectAtMs()).toBe(Number.POSITIVE_INFINITY);
          let t = 0;
          for (const g of gaps) {
            t += g;
            d.heartbeat(t);
          }
          const offsets = [...queryOffsets].sort((x, y) => x - y);
          let previous = Number.NEGATIVE_INFINITY;
          for (const o of offsets) {
            const s = d.suspicion(t + o);
            expect(s).toBeGreaterThanOrEqual(previous);
            expect(d.suspected(t + o)).toBe(t + o >= d.suspectAtMs());
            previous = s;
          }
          expect(d.suspectAtMs()).toBeGreaterThanOrEqual(t);
          d.reset();
          expect(d.suspicion(t + 1e6)).toBe(0);
        },
      ),
      { numRuns: 40 },
    );
  });

  it.each(detectorNames)('%s: rejects negative, non-finite and backwards times', (name) => {
    const d = createDetector(name);
    expect(() => d.heartbeat(-1)).toThrow(InvalidArgumentError);
    expect(() => d.heartbeat(Number.NaN)).toThrow(/finite time/);
    expect(() => d.heartbeat(Number.POSITIVE_INFINITY)).toThrow(InvalidArgumentError);
    d.heartbeat(100);
    expect(() => d.heartbeat(99)).toThrow(/backwards/);
    expect(() => d.suspicion(50)).toThrow(/before the last heartbeat/);
    expect(() => d.suspected(Number.NaN)).toThrow(InvalidArgumentError);
  });
});

describe('registry and config validation', () => {
  it('names an unknown detector and lists the known ones', () => {
    expect(() => createDetector('timeout')).toThrow(/unknown failure detector "timeout": choose one of adaptive, fixed/);
  });

  it.each([
    ['fixed', { timeoutMs: 0 }, /fixed: timeoutMs must be a finite number > 0/],
    ['fixed', { timeout: 5 }, /fixed: unknown parameter "timeout"/],
    ['phi-normal', { threshold: -1 }, /phi-normal: threshold/],
    ['phi-normal', { maxSampleSize: 5000 }, /phi-normal: maxSampleSize must be an integer from 2 to 1000/],
    ['phi-exponential', { windowSize: 1.5 }, /phi-exponential: windowSize/],
    ['chen', { safetyMarginMs: Number.NaN }, /chen: safetyMarginMs/],
    ['bertier', { gain: 1 }, /bertier: gain must be a number in \(0, 1\)/],
    ['eventually-perfect', { initialTimeoutMs: 2000, maxTimeoutMs: 1000 }, /maxTimeoutMs must be >= initialTimeoutMs/],
    ['adaptive', { boostDecay: 0 }, /adaptive: boostDecay/],
    ['adaptive', { errorWindowSize: 0 }, /adaptive: errorWindowSize/],
  ] as const)('%s %o is rejected', (name, params, message) => {
    expect(() => createDetector(name, params)).toThrow(message);
    expect(() => detectorFactory(name, params)).toThrow(InvalidArgumentError);
  });

  it('a factory makes independent detectors', () => {
    const make = detectorFactory('fixed', { timeoutMs: 10 });
    const a = make();
    const b = make();
    a.heartbeat(5);
    expect(a.suspected(20)).toBe(true);
    expect(b.suspected(20)).toBe(false);
  });
});
