import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import { formatDurationMs, parseDurationMs } from '../../src/core/duration.js';
import { AssertionFailure, assert, ErrorCodes, InvalidArgumentError, isNinesError, LimitExceededError } from '../../src/core/errors.js';
import { logIndex, nodeId, revision, term } from '../../src/core/ids.js';
import { exponential, normal, SeededRandom } from '../../src/core/random.js';

describe('ids', () => {
  it('accepts non-negative safe integers and rejects the rest', () => {
    expect(term(0)).toBe(0);
    expect(logIndex(42)).toBe(42);
    expect(revision(1)).toBe(1);
    expect(nodeId(7)).toBe(7);
    expect(() => nodeId(0)).toThrow(/reserved/);
    for (const bad of [-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53]) {
      expect(() => term(bad)).toThrow(RangeError);
    }
  });
});

describe('errors', () => {
  it('carry stable codes and are recognisable', () => {
    const e = new InvalidArgumentError('bad flag');
    expect(e.code).toBe(ErrorCodes.INVALID_ARGUMENT);
    expect(isNinesError(e)).toBe(true);
    expect(isNinesError(new Error('x'))).toBe(false);
    const l = new LimitExceededError('requestBytesMax', 10, 5);
    expect(l.code).toBe('NINES_ERR_LIMIT_EXCEEDED');
    expect(l.message).toBe('requestBytesMax exceeded: 10 > 5');
  });
  it('assert throws an AssertionFailure only when the condition is false', () => {
    expect(() => assert(true, 'fine')).not.toThrow();
    expect(() => assert(false, 'applied <= committed')).toThrow(AssertionFailure);
    expect(() => assert(0, 'zero')).toThrow(/invariant violated: zero/);
  });
});

describe('ManualClock', () => {
  it('moves only forward and only when told', () => {
    const c = new ManualClock(100);
    expect(c.nowMs()).toBe(100);
    c.advance(50);
    expect(c.nowMs()).toBe(150);
    c.set(200);
    expect(c.nowMs()).toBe(200);
    expect(() => c.set(199)).toThrow(/backwards/);
    expect(() => c.advance(-1)).toThrow(InvalidArgumentError);
    expect(() => c.advance(Number.NaN)).toThrow(InvalidArgumentError);
  });
});

describe('SeededRandom', () => {
  it('same seed, same stream; different seeds differ', () => {
    const a = new SeededRandom(123);
    const b = new SeededRandom(123);
    const c = new SeededRandom(124);
    const xs = Array.from({ length: 20 }, () => a.float());
    expect(Array.from({ length: 20 }, () => b.float())).toEqual(xs);
    expect(Array.from({ length: 20 }, () => c.float())).not.toEqual(xs);
  });
  it('seeds above 2^32 are distinguished', () => {
    expect(new SeededRandom(2 ** 40 + 5).float()).not.toBe(new SeededRandom(5).float());
  });
  it('int stays in [min, max] and reaches both ends', () => {
    fc.assert(
      fc.property(fc.integer(), fc.integer({ min: -50, max: 50 }), fc.integer({ min: 0, max: 20 }), (seed, min, span) => {
        const r = new SeededRandom(seed);
        for (let i = 0; i < 50; i++) {
          const v = r.int(min, min + span);
          if (v < min || v > min + span || !Number.isInteger(v)) return false;
        }
        return true;
      }),
    );
    const r = new SeededRandom(1);
    const seen = new Set(Array.from({ length: 500 }, () => r.int(0, 3)));
    expect([...seen].sort()).toEqual([0, 1, 2, 3]);
    expect(() => r.int(3, 2)).toThrow(InvalidArgumentError);
  });
  it('forks are deterministic and independent of later draws of the parent', () => {
    const p1 = new SeededRandom(9);
    const p2 = new SeededRandom(9);
    expect(p1.fork().float()).toBe(p2.fork().float());
  });
  it('normal and exponential draws have the right mean', () => {
    const r = new SeededRandom(5);
    const n = 20_000;
    let sumN = 0;
    let sumE = 0;
    for (let i = 0; i < n; i++) {
      sumN += normal(r, 10, 2);
      sumE += exponential(r, 3);
    }
    expect(sumN / n).toBeCloseTo(10, 1);
    expect(Math.abs(sumE / n - 3)).toBeLessThan(0.1);
  });
});

describe('durations', () => {
  it.each([
    ['250ms', 250],
    ['1.5s', 1500],
    ['30m', 1_800_000],
    ['6h', 21_600_000],
    ['30d', 2_592_000_000],
    ['2w', 1_209_600_000],
    ['1h30m', 5_400_000],
    ['100', 100],
  ])('parses %s', (text, ms) => {
    expect(parseDurationMs(text)).toBe(ms);
  });
  it.each(['', 'abc', '10x', '5 m', '1h-2m', 's'])('rejects %j with a clear error', (text) => {
    expect(() => parseDurationMs(text)).toThrow(/cannot parse duration/);
  });
  it('formats for people', () => {
    expect(formatDurationMs(850)).toBe('850ms');
    expect(formatDurationMs(12_340)).toBe('12.3s');
    expect(formatDurationMs(250_000)).toBe('4m 10s');
    expect(formatDurationMs(7_500_000)).toBe('2h 5m');
    expect(formatDurationMs(3 * 86_400_000 + 4 * 3_600_000)).toBe('3d 4h');
  });
});
