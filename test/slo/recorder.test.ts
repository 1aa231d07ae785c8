import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BURN_RATE_WINDOWS_MS } from '../../src/slo/alerts.js';
import { SliRecorder } from '../../src/slo/recorder.js';
import { buildSloSpec, defaultSloSpec, type SloSpec } from '../../src/slo/spec.js';

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
/** A start time far from 0 and on a day boundary, like a wall clock. */
const T0 = 20_000 * DAY;

/**
 * Every minute of [fromMs, toMs): `perMinute` requests of which `bad(minute)` failed
 * (the rest good and fast, 10 ms).
 */
function stream(r: SliRecorder, fromMs: number, toMs: number, perMinute: number, bad: (atMs: number) => number): void {
  for (let t = fromMs; t < toMs; t += MIN) {
    const b = bad(t);
    if (perMinute - b > 0) r.record({ method: 'range', outcome: 'good', latencyMs: 10, atMs: t, count: perMinute - b });
    if (b > 0) r.record({ method: 'range', outcome: 'bad', latencyMs: 10, atMs: t, count: b });
  }
}

function burnAt(snapshotObjective: { burnRates: readonly { windowMs: number; burnRate: number; valid: number; bad: number }[] }, windowMs: number) {
  const w = snapshotObjective.burnRates.find((b) => b.windowMs === windowMs);
  if (!w) throw new Error(`no window ${windowMs}`);
  return w;
}

describe('SliRecorder budget maths', () => {
  it('picks 1-minute buckets for 30 days and 30-second ones for 7 days', () => {
    expect(new SliRecorder(defaultSloSpec()).bucketWidthMs).toBe(MIN);
    expect(new SliRecorder(buildSloSpec({ periodMs: 7 * DAY })).bucketWidthMs).toBe(30_000);
  });

  it('a steady 0.1% error rate burns a 99.9% budget at exactly 1', () => {
    const r = new SliRecorder(defaultSloSpec());
    stream(r, T0, T0 + 30 * DAY, 1000, () => 1);
    const s = r.snapshot(T0 + 30 * DAY);
    const [avail, latency] = s.objectives;
    expect(avail!.valid).toBe(30 * 1440 * 1000);
    expect(avail!.bad).toBe(30 * 1440);
    expect(avail!.sli).toBeCloseTo(0.999, 12);
    expect(avail!.budget.totalRequests).toBeCloseTo(30 * 1440, 6);
    expect(avail!.budget.consumedFraction).toBeCloseTo(1, 9);
    expect(avail!.budget.remainingFraction).toBeCloseTo(0, 9);
    for (const w of BURN_RATE_WINDOWS_MS) expect(burnAt(avail!, w).burnRate).toBeCloseTo(1, 9);
    // The latency objective (99% < 100 ms): only the failures are bad, 0.1% of a 1% budget.
    expect(latency!.budget.consumedFraction).toBeCloseTo(0.1, 9);
    expect(s.firing).toEqual([]);
  });

  it('a 5-minute spike fires the 1h/5m page and the 3d/6h ticket, as computed by hand', () => {
    const r = new SliRecorder(defaultSloSpec());
    const end = T0 + 30 * DAY;
    stream(r, T0, end, 1000, (t) => (t >= end - 5 * MIN ? 200 : 1));
    const avail = r.snapshot(end).objectives[0]!;
    // By hand: w minutes hold w×1000 requests, (w−5)×1 + 5×200 bad.
    const hand = (minutes: number) => (minutes - 5 + 1000) / (minutes * 1000) / 0.001;
    expect(burnAt(avail, 5 * MIN).burnRate).toBeCloseTo(200, 6);
    expect(burnAt(avail, 30 * MIN).burnRate).toBeCloseTo(hand(30), 6);
    expect(burnAt(avail, HOUR).burnRate).toBeCloseTo(hand(60), 6); // 17.58 > 14.4
    expect(burnAt(avail, 6 * HOUR).burnRate).toBeCloseTo(hand(360), 6); // 3.76 < 6
    expect(burnAt(avail, DAY).burnRate).toBeCloseTo(hand(1440), 6); // 1.69 < 3
    expect(burnAt(avail, 3 * DAY).burnRate).toBeCloseTo(hand(4320), 6); // 1.23 > 1
    const firing = avail.alerts.filter((a) => a.firing).map((a) => `${a.severity} ${a.longWindowMs / HOUR}h`);
    expect(firing).toEqual(['page 1h', 'ticket 72h']);
    const s = r.snapshot(end);
    expect(s.firing.map((f) => f.objective)).toContain('availability');
    expect(s.firing[0]!.severity).toBe('page');
    // Budget over 30 days: 43195 + 1000 bad of an allowance of 43200.
    expect(avail.budget.consumedRequests).toBe(30 * 1440 - 5 + 1000);
    expect(avail.budget.remainingFraction).toBeCloseTo(1 - (30 * 1440 - 5 + 1000) / (30 * 1440), 9);
    // An hour of clean traffic later the page stops (short window clean), budget unchanged.
    stream(r, end, end + HOUR, 1000, () => 0);
    const later = r.snapshot(end + HOUR).objectives[0]!;
    expect(later.alerts.find((a) => a.longWindowMs === HOUR)!.firing).toBe(false);
  });

  it('latency objective counts slow successes and failures as bad, client errors as good', () => {
    const r = new SliRecorder(defaultSloSpec());
    r.record({ method: 'put', outcome: 'good', latencyMs: 50, atMs: T0, count: 90 });
    r.record({ method: 'put', outcome: 'good', latencyMs: 150, atMs: T0, count: 5 });
    r.record({ method: 'put', outcome: 'client_error', latencyMs: 1, atMs: T0, count: 3 });
    r.record({ method: 'put', outcome: 'bad', latencyMs: 1, atMs: T0, count: 2 });
    const [avail, latency] = r.snapshot(T0 + MIN).objectives;
    expect(avail!.valid).toBe(100);
    expect(avail!.bad).toBe(2);
    expect(avail!.sli).toBeCloseTo(0.98, 12);
    expect(latency!.bad).toBe(7);
    expect(latency!.sli).toBeCloseTo(0.93, 12);
  });

  it('applies method filters', () => {
    const spec = buildSloSpec({
      objectives: [{ name: 'writes', kind: 'availability', target: 0.99, methods: ['put', 'txn'] }],
    });
    const r = new SliRecorder(spec);
    r.record({ method: 'put', outcome: 'bad', latencyMs: 1, atMs: T0 });
    r.record({ method: 'range', outcome: 'bad', latencyMs: 1, atMs: T0 });
    r.record({ method: 'txn', outcome: 'good', latencyMs: 1, atMs: T0 });
    const o = r.snapshot(T0 + MIN).objectives[0]!;
    expect([o.valid, o.bad]).toEqual([2, 1]);
  });

  it('reports null SLI and a full budget with no traffic', () => {
    const o = new SliRecorder(defaultSloSpec()).snapshot(T0).objectives[0]!;
    expect(o.sli).toBeNull();
    expect(o.budget.remainingFraction).toBe(1);
    expect(o.burnRates.every((b) => b.burnRate === 0)).toBe(true);
  });

  it('drops requests older than the history and rejects malformed records', () => {
    const r = new SliRecorder(buildSloSpec({ periodMs: 7 * DAY }));
    expect(r.record({ method: 'put', outcome: 'good', latencyMs: 1, atMs: T0 + 10 * DAY })).toBe(true);
    expect(r.record({ method: 'put', outcome: 'good', latencyMs: 1, atMs: T0, count: 4 })).toBe(false);
    expect(r.droppedTooOld).toBe(4);
    expect(() => r.record({ method: '', outcome: 'good', latencyMs: 1, atMs: T0 })).toThrow(/method/);
    expect(() => r.record({ method: 'x', outcome: 'weird' as 'good', latencyMs: 1, atMs: T0 })).toThrow(/outcome/);
    expect(() => r.record({ method: 'x', outcome: 'good', latencyMs: -1, atMs: T0 })).toThrow(/latencyMs/);
    expect(() => r.record({ method: 'x', outcome: 'good', latencyMs: 1, atMs: T0, count: 0 })).toThrow(/count/);
  });

  it('windows count the buckets overlapping (now − L, now] (property, against brute force)', () => {
    const spec = buildSloSpec({ periodMs: 2 * HOUR });
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            atMs: fc.integer({ min: 0, max: 4 * DAY }),
            outcome: fc.constantFrom('good' as const, 'bad' as const, 'client_error' as const),
            latencyMs: fc.integer({ min: 0, max: 300 }),
          }),
          { maxLength: 60 },
        ),
        fc.integer({ min: 0, max: 4 * DAY }),
        (records, nowOffsetMs) => {
          const r = new SliRecorder(spec);
          const sorted = [...records].sort((a, b) => a.atMs - b.atMs);
          for (const rec of sorted) r.record({ method: 'm', ...rec, atMs: T0 + rec.atMs });
          // Snapshots are taken at or after the latest record (time does not run backwards):
          // history older than the period behind the latest record is already gone.
          const latestMs = sorted.length === 0 ? 0 : sorted[sorted.length - 1]!.atMs;
          const now = T0 + Math.max(nowOffsetMs, latestMs);
          const w = r.bucketWidthMs;
          const s = r.snapshot(now);
          for (const windowMs of [...BURN_RATE_WINDOWS_MS, spec.periodMs]) {
            const lo = Math.floor((now - windowMs) / w);
            const hi = Math.floor(now / w);
            const inside = sorted.filter((x) => {
              const b = Math.floor((T0 + x.atMs) / w);
              return b >= lo && b <= hi;
            });
            const badAvail = inside.filter((x) => x.outcome === 'bad').length;
            const badLatency = inside.filter((x) => x.outcome === 'bad' || x.latencyMs > 100).length;
            const [a, l] = s.objectives;
            const aw = windowMs === spec.periodMs ? { valid: a!.valid, bad: a!.bad } : burnAt(a!, windowMs);
            const lw = windowMs === spec.periodMs ? { valid: l!.valid, bad: l!.bad } : burnAt(l!, windowMs);
            expect([aw.valid, aw.bad]).toEqual([inside.length, badAvail]);
            expect([lw.valid, lw.bad]).toEqual([inside.length, badLatency]);
          }
        },
      ),
      { numRuns: 150 },
    );
  });
});

describe('SliRecorder persistence', () => {
  function build(spec: SloSpec, spikeFrom: number, end: number): SliRecorder {
    const r = new SliRecorder(spec);
    stream(r, T0, end, 1000, (t) => (t >= spikeFrom ? 2 : 0));
    return r;
  }

  it('restores the same snapshot after a restart with the same spec (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ atMs: fc.integer({ min: 0, max: 31 * DAY }), bad: fc.boolean(), latencyMs: fc.integer({ min: 0, max: 200 }) }), {
          maxLength: 80,
        }),
        (records) => {
          const spec = defaultSloSpec();
          const r = new SliRecorder(spec);
          for (const x of [...records].sort((a, b) => a.atMs - b.atMs)) {
            r.record({ method: 'm', outcome: x.bad ? 'bad' : 'good', latencyMs: x.latencyMs, atMs: T0 + x.atMs });
          }
          const restored = SliRecorder.restore(spec, JSON.parse(JSON.stringify(r.serialize())));
          const now = T0 + 31 * DAY;
          expect(restored.snapshot(now)).toEqual(r.snapshot(now));
        },
      ),
      { numRuns: 40 },
    );
  });

  it('keeps the month across a restart that also changes the period (30d → 7d) and continues', () => {
    const end = T0 + 30 * DAY;
    const spikeFrom = T0 + 23 * DAY; // the last 7 days have 2 bad per 1000
    const before = build(defaultSloSpec(), spikeFrom, end);
    const a30 = before.snapshot(end).objectives[0]!;
    expect(a30.bad).toBe(7 * 1440 * 2);
    expect(a30.budget.consumedFraction).toBeCloseTo((7 * 1440 * 2) / (30 * 1440), 9);

    const saved = JSON.stringify(before.serialize());
    const spec7 = buildSloSpec({
      periodMs: 7 * DAY,
      objectives: [
        { name: 'avail', kind: 'availability', target: 0.999 },
        { name: 'slow', kind: 'latency', target: 0.99, latencyThresholdMs: 250 }, // new threshold: no history
      ],
    });
    const after = SliRecorder.restore(spec7, JSON.parse(saved));
    const a7 = after.snapshot(end).objectives[0]!;
    expect(a7.valid).toBe(7 * 1440 * 1000);
    expect(a7.bad).toBe(7 * 1440 * 2);
    expect(a7.sli).toBeCloseTo(0.998, 12);
    expect(a7.budget.consumedFraction).toBeCloseTo(2, 9); // overspent: 0.2% errors on a 0.1% budget
    expect(a7.budget.remainingFraction).toBeCloseTo(-1, 9);
    expect(after.snapshot(end).objectives[1]!.sli).toBeNull();

    // One clean hour after the restart: 60 spiky minutes leave the 7-day window.
    stream(after, end, end + HOUR, 1000, () => 0);
    const next = after.snapshot(end + HOUR).objectives[0]!;
    expect(next.valid).toBe(7 * 1440 * 1000);
    expect(next.bad).toBe(7 * 1440 * 2 - 60 * 2);
    expect(burnAt(next, HOUR).burnRate).toBe(0);
    expect(burnAt(next, 2 * HOUR).burnRate).toBeCloseTo(1, 9); // half clean, half at 2x
  });

  it('re-buckets onto a coarser width exactly', () => {
    const spec = buildSloSpec({ periodMs: 3 * DAY });
    const fine = new SliRecorder(spec);
    expect(fine.bucketWidthMs).toBe(10_000);
    stream(fine, T0, T0 + 2 * DAY, 10, (t) => (t % HOUR === 0 ? 1 : 0));
    const coarse = SliRecorder.restore(spec, fine.serialize(), { bucketWidthMs: 5 * MIN });
    expect(coarse.bucketWidthMs).toBe(5 * MIN);
    const now = T0 + 2 * DAY;
    expect(coarse.snapshot(now).objectives[0]!.bad).toBe(48);
    expect(burnAt(coarse.snapshot(now).objectives[0]!, DAY)).toEqual(burnAt(fine.snapshot(now).objectives[0]!, DAY));
  });

  it('rejects corrupt history', () => {
    const spec = defaultSloSpec();
    expect(() => SliRecorder.restore(spec, null)).toThrow(/NINES|SLO history/);
    expect(() => SliRecorder.restore(spec, { format: 'nines-slo-history', version: 2 })).toThrow(/version/);
    const good = new SliRecorder(spec).serialize();
    expect(() => SliRecorder.restore(spec, { ...good, buckets: [[0, 1]] })).toThrow(/bucket row/);
    expect(() =>
      SliRecorder.restore(spec, { ...good, buckets: [[0, 1, 2, 1, 0]] }),
    ).toThrow(/more bad than valid/);
  });
});
