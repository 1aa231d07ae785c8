import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { normal, SeededRandom } from '../../src/core/random.js';
import { ArrivalFit } from '../../src/detect/arrival-fit.js';
import { ArrivalWindow } from '../../src/detect/expected-arrival.js';

describe('ArrivalFit', () => {
  it('is exact on a periodic stream, like the two-ended estimate', () => {
    fc.assert(
      fc.property(fc.double({ min: 0, max: 1e9, noNaN: true }), fc.double({ min: 1, max: 5000, noNaN: true }), fc.integer({ min: 2, max: 300 }), (t0, eta, n) => {
        const fit = new ArrivalFit(100);
        const ends = new ArrivalWindow(100);
        for (let i = 0; i < n; i++) {
          fit.add(t0 + i * eta);
          ends.add(t0 + i * eta);
        }
        const next = t0 + n * eta;
        expect(fit.expectedNextMs(1)).toBeCloseTo(next, 3);
        expect(ends.expectedNextMs(1)).toBeCloseTo(next, 3);
        expect(fit.intervalMs(1)).toBeCloseTo(eta, 6);
      }),
      { numRuns: 50 },
    );
  });

  it('uses the fallback interval with a single arrival', () => {
    const fit = new ArrivalFit(10);
    fit.add(500);
    expect(fit.expectedNextMs(100)).toBe(600);
    expect(() => new ArrivalFit(10).expectedNextMs(100)).toThrow(/needs an arrival/);
  });

  it('does not jump when a lost heartbeat leaves the window (the two-ended estimate does)', () => {
    const r = new SeededRandom(7);
    const fit = new ArrivalFit(1000);
    const ends = new ArrivalWindow(1000);
    let worstFit = 0;
    let worstEnds = 0;
    let previousFit = Number.NaN;
    let previousEnds = Number.NaN;
    for (let k = 0; k < 3000; k++) {
      if (k === 500) continue; // lost
      const t = k * 100 + Math.abs(normal(r, 0, 0.7));
      fit.add(t);
      ends.add(t);
      // the estimated arrival of the next heartbeat, relative to its true schedule slot
      const slot = (k + 1) * 100;
      const eFit = fit.expectedNextMs(100) - slot;
      const eEnds = ends.expectedNextMs(100) - slot;
      if (k > 1000) {
        worstFit = Math.max(worstFit, Math.abs(eFit - previousFit));
        worstEnds = Math.max(worstEnds, Math.abs(eEnds - previousEnds));
      }
      previousFit = eFit;
      previousEnds = eEnds;
    }
    expect(worstEnds).toBeGreaterThan(30); // about half an interval at once
    expect(worstFit).toBeLessThan(2);
  });

  it('never predicts before the last arrival after a stalled monitor releases a queue', () => {
    const fit = new ArrivalFit(1000);
    let last = 0;
    for (let k = 0; k < 4000; k++) {
      const sent = k * 100;
      // a 1 s monitor stall every 100 s: what was sent during it is seen when it ends
      const stallStart = Math.floor(sent / 100_000) * 100_000 + 50_000;
      last = sent >= stallStart && sent < stallStart + 1000 ? stallStart + 1000 : sent + 0.5;
      fit.add(last);
      if (k > 1000 && !(sent >= stallStart && sent < stallStart + 1000)) {
        expect(fit.expectedNextMs(100)).toBeGreaterThan(last + 50);
      }
    }
  });

  it('keeps its precision on a peer watched for a long time', () => {
    const fit = new ArrivalFit(1000);
    const t0 = 3e11; // about ten years in ms
    for (let k = 0; k < 25_000; k++) fit.add(t0 + k * 100);
    expect(fit.expectedNextMs(100) - (t0 + 25_000 * 100)).toBeCloseTo(0, 4);
    fit.clear();
    expect(fit.size).toBe(0);
  });
});
