import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Limits } from '../../src/core/limits.js';
import { formatTrace, parseTrace } from '../../src/detect/trace-file.js';
import { generateTrace, traceFamilyNames } from '../../src/detect/traces.js';

const small = { epochs: 2, epochUpMs: 60_000, downMs: 5000 };

describe('trace families', () => {
  it('same seed → same trace, for every family', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 40 }), fc.constantFrom(...traceFamilyNames), (seed, family) => {
        const a = generateTrace(family, { seed, ...small });
        const b = generateTrace(family, { seed, ...small });
        expect(Array.from(a.arrivalsMs)).toEqual(Array.from(b.arrivalsMs));
        expect(a.epochs).toEqual(b.epochs);
        expect(a.stalls).toEqual(b.stalls);
      }),
      { numRuns: 15 },
    );
  });

  it('different seeds give different traces', () => {
    const a = generateTrace('lan', { seed: 1, ...small });
    const b = generateTrace('lan', { seed: 2, ...small });
    expect(Array.from(a.arrivalsMs)).not.toEqual(Array.from(b.arrivalsMs));
  });

  it.each(traceFamilyNames)('%s: crashes at known times, heartbeats ~every 100 ms while up, nothing sent after the crash', (family) => {
    const t = generateTrace(family, { seed: 7, ...small });
    expect(t.epochs).toHaveLength(2);
    for (const e of t.epochs) {
      expect(e.crashMs).not.toBeNull();
      const crashMs = e.crashMs!;
      expect(crashMs - e.startMs).toBeGreaterThanOrEqual(45_000);
      expect(e.endMs - crashMs).toBe(5000);
      const inEpoch = Array.from(t.arrivalsMs).filter((a) => a >= e.startMs && a < e.endMs);
      const upSeconds = (crashMs - e.startMs) / 1000;
      expect(inEpoch.length).toBeGreaterThan(upSeconds * 10 * 0.7);
      expect(inEpoch.length).toBeLessThanOrEqual(upSeconds * 10 + 1);
      // in-flight heartbeats may land after the crash, but not seconds later (except the heavy tail)
      const late = inEpoch.filter((a) => a > crashMs + 1000);
      expect(late.length).toBeLessThanOrEqual(family === 'pareto' ? 2 : 0);
    }
    for (let i = 1; i < t.arrivalsMs.length; i++) expect(t.arrivalsMs[i]!).toBeGreaterThanOrEqual(t.arrivalsMs[i - 1]!);
  });

  it('monitor-stalls carries its 1/5/10 s stall intervals, and heartbeats queue until each ends', () => {
    const t = generateTrace('monitor-stalls', { seed: 3, epochs: 2, epochUpMs: 300_000 });
    expect(t.stalls.length).toBeGreaterThan(2);
    expect(new Set(t.stalls.map((s) => s.endMs - s.startMs))).toEqual(new Set([1000, 5000, 10_000].slice(0, Math.min(3, t.stalls.length))));
    for (const s of t.stalls) {
      const inside = Array.from(t.arrivalsMs).filter((a) => a > s.startMs && a < s.endMs);
      expect(inside).toEqual([]);
      expect(Array.from(t.arrivalsMs).filter((a) => a === s.endMs).length).toBeGreaterThan(5);
    }
  });

  it('gc-pauses contains silences of up to 2 s and regime-change gets 5× slower', () => {
    const gc = generateTrace('gc-pauses', { seed: 5, epochs: 1, epochUpMs: 600_000 });
    let maxGap = 0;
    for (let i = 1; i < gc.arrivalsMs.length; i++) maxGap = Math.max(maxGap, gc.arrivalsMs[i]! - gc.arrivalsMs[i - 1]!);
    expect(maxGap).toBeGreaterThan(500);
    expect(maxGap).toBeLessThan(2200);
    const rc = generateTrace('regime-change', { seed: 5, epochs: 1, epochUpMs: 600_000 });
    const e = rc.epochs[0]!;
    const midMs = (e.startMs + e.crashMs!) / 2;
    const jitter = (from: number, to: number) => {
      const a = Array.from(rc.arrivalsMs).filter((x) => x >= from && x < to);
      const gaps = a.slice(1).map((x, i) => x - a[i]!);
      const mean = gaps.reduce((s, g) => s + g, 0) / gaps.length;
      return Math.sqrt(gaps.reduce((s, g) => s + (g - mean) ** 2, 0) / gaps.length);
    };
    expect(jitter(midMs + 1000, e.crashMs!)).toBeGreaterThan(3 * jitter(e.startMs, midMs - 1000));
  });

  it('rejects bad options', () => {
    expect(() => generateTrace('lan', { seed: 1.5 })).toThrow(/seed must be an integer/);
    expect(() => generateTrace('lan', { seed: 1, epochs: 0 })).toThrow(/epochs must be an integer/);
    expect(() => generateTrace('wan' as never, { seed: 1 })).toThrow(/unknown trace family "wan"/);
  });
});

describe('trace files', () => {
  it('round-trips a generated trace', () => {
    const t = generateTrace('monitor-stalls', { seed: 9, ...small });
    const back = parseTrace(formatTrace(t), 'x.jsonl');
    expect(Array.from(back.arrivalsMs)).toEqual(Array.from(t.arrivalsMs));
    expect(back.epochs).toEqual(t.epochs);
    expect(back.stalls).toEqual(t.stalls);
    expect(back.name).toBe('monitor-stalls');
  });

  const header = '{"format":"nines-detect-trace","version":1,"name":"r","intervalMs":100,"epochs":[{"startMs":0,"crashMs":500,"endMs":1000}],"stalls":[]}';

  it.each([
    ['', /t.jsonl:1: empty file/],
    ['{"format":"other"}', /t.jsonl:1: not a nines trace/],
    ['{nope', /t.jsonl:1: not valid JSON/],
    [header.replace('"version":1', '"version":9'), /unsupported trace version 9/],
    [header.replace('"intervalMs":100', '"intervalMs":"x"'), /t.jsonl:1: intervalMs must be a finite number/],
    [`${header}\n{"atMs":10}\n{"atMs":5}`, /t.jsonl:3: heartbeat at 5 ms goes backwards/],
    [`${header}\n{"atMs":10}\n\n{"at":5}`, /t.jsonl:4: expected a heartbeat/],
    [`${header}\n{"atMs":-1}`, /t.jsonl:2: expected a heartbeat/],
    [`${header}\n{"atMs":2000}`, /arrival 0 \(2000 ms\) is outside every epoch/],
    [header.replace('"crashMs":500', '"crashMs":5000'), /crashMs 5000 is outside/],
  ])('reports %j clearly', (text, message) => {
    expect(() => parseTrace(text, 't.jsonl')).toThrow(message);
  });

  it('has a named limit on events', () => {
    expect(Limits.traceEventsMax).toBe(10_000_000);
  });
});
