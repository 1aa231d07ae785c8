import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { LogIndex, Term } from '../../src/core/ids.js';
import { decodeEntry, decodeRecord, encodeEntry, encodeRecord } from '../../src/storage/codec.js';
import { LogTailCache } from '../../src/storage/tail-cache.js';

describe('record codec', () => {
  it('round-trips entries and detects any single flipped bit (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 2 ** 40 }),
        fc.integer({ min: 0, max: 2 ** 40 }),
        fc.boolean(),
        fc.uint8Array({ maxLength: 200 }),
        fc.nat(),
        (index, termValue, conf, data, bitSeed) => {
          const e = { index: index as LogIndex, term: termValue as Term, type: conf ? ('confChange' as const) : ('normal' as const), data };
          const record = encodeEntry(e);
          expect(decodeEntry(index, record)).toEqual({ ...e, data: new Uint8Array(data) });
          const bit = bitSeed % (record.length * 8);
          const flipped = new Uint8Array(record);
          flipped[bit >> 3] = flipped[bit >> 3]! ^ (1 << (bit & 7));
          expect(decodeEntry(index, flipped)).toBeUndefined();
          expect(decodeEntry(index + 1, record)).toBeUndefined();
        },
      ),
    );
  });

  it('named records are bound to their name', () => {
    const record = encodeRecord('hardState', { term: 3, vote: 1, commit: 9 });
    expect(decodeRecord('hardState', record)).toEqual({ term: 3, vote: 1, commit: 9 });
    expect(decodeRecord('confState', record)).toBeUndefined();
  });
});

describe('LogTailCache', () => {
  const e = (i: number, bytes: number) => ({ index: i as LogIndex, term: 1 as Term, type: 'normal' as const, data: new Uint8Array(bytes) });

  it('evicts from the front to stay within its byte budget and truncates suffixes', () => {
    const cache = new LogTailCache(3 * (100 + 48));
    cache.append([1, 2, 3, 4, 5].map((i) => e(i, 100)));
    expect(cache.firstIndex).toBe(3);
    expect(cache.length).toBe(3);
    expect(cache.sizeBytes).toBeLessThanOrEqual(cache.bytesMax);
    expect(cache.get(2)).toBeUndefined();
    expect(cache.get(5)?.index).toBe(5);
    cache.truncateFrom(4);
    expect(cache.get(4)).toBeUndefined();
    cache.append([e(4, 10)]);
    expect(cache.get(4)?.data.length).toBe(10);
    cache.dropThrough(3);
    expect(cache.firstIndex).toBe(4);
    cache.append([e(9, 1)]);
    expect([cache.firstIndex, cache.length]).toEqual([9, 1]);
  });
});
