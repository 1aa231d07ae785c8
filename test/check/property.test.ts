import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkHistory, checkWhole } from '../../src/check/checker.js';
import { eventsToOperations, generateLinearizableHistory, injectStaleRead, toJsonLines } from '../../src/check/generate.js';
import { kvModel } from '../../src/check/models.js';
import { parseHistory } from '../../src/check/parse.js';
import { SeededRandom } from '../../src/core/random.js';

const shape = fc.record({
  seed: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
  ops: fc.integer({ min: 1, max: 300 }),
  processes: fc.integer({ min: 1, max: 8 }),
  keys: fc.integer({ min: 1, max: 4 }),
  infoRate: fc.constantFrom(0, 0.05, 0.2),
  cas: fc.boolean(),
});

describe('properties over simulated correct stores', () => {
  it('histories from a sequential execution with overlapping intervals are linearizable', () => {
    fc.assert(
      fc.property(shape, (s) => {
        const ops = eventsToOperations(generateLinearizableHistory(new SeededRandom(s.seed), s));
        const r = checkHistory(ops, { model: s.cas ? 'cas-register' : 'register', stepsMax: 2_000_000 });
        expect(r.valid).toBe(true);
        expect(r.opsChecked).toBe(ops.length);
      }),
      { numRuns: 150 },
    );
  });

  it('injecting a stale read makes them not linearizable, and the failure names that key', () => {
    let injected = 0;
    fc.assert(
      fc.property(shape, (s) => {
        const random = new SeededRandom(s.seed);
        const ops = eventsToOperations(generateLinearizableHistory(random, { ...s, ops: s.ops + 50 }));
        const stale = injectStaleRead(ops, random);
        fc.pre(stale !== null);
        injected++;
        const changed = stale.find((op, i) => op !== ops[i])!;
        const r = checkHistory(stale, { stepsMax: 2_000_000 });
        expect(r.valid).toBe(false);
        expect(r.failure?.key).toBe(changed.key);
      }),
      { numRuns: 150 },
    );
    expect(injected).toBeGreaterThan(50);
  });

  it('per-key checking agrees with the whole-map kv model (P-compositionality)', () => {
    fc.assert(
      fc.property(shape, fc.boolean(), (s, corrupt) => {
        const random = new SeededRandom(s.seed);
        const small = { ...s, ops: Math.min(s.ops, 20), keys: Math.min(s.keys, 3) };
        let ops = eventsToOperations(generateLinearizableHistory(random, small));
        if (corrupt) ops = injectStaleRead(ops, random) ?? ops;
        const perKey = checkHistory(ops, { model: 'kv' }).valid;
        const whole = checkWhole(ops, kvModel, { stepsMax: 5_000_000 });
        fc.pre(whole !== 'unknown');
        expect(perKey).toBe(whole === 'linearizable');
      }),
      { numRuns: 100 },
    );
  });

  it('JSON lines round-trip: parsing the rendered events gives the same operations', () => {
    fc.assert(
      fc.property(shape, (s) => {
        const events = generateLinearizableHistory(new SeededRandom(s.seed), { ...s, ops: Math.min(s.ops, 100) });
        const parsed = parseHistory(toJsonLines(events));
        expect(parsed.errors).toEqual([]);
        const strip = (o: object) => {
          const { line: _line, ...rest } = o as { line?: number };
          return rest;
        };
        expect(parsed.operations.map(strip)).toEqual(eventsToOperations(events).map(strip));
      }),
      { numRuns: 50 },
    );
  });
});
