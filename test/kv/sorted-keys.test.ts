import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SortedKeys } from '../../src/kv/sorted-keys.js';

function keysFrom(set: SortedKeys<{ key: string }>, start: string): string[] {
  const out: string[] = [];
  set.walk(start, (e) => {
    out.push(e.key);
    return true;
  });
  return out;
}

describe('SortedKeys', () => {
  it('behaves like a sorted set across chunk splits (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ maxLength: 4 }), { maxLength: 3000 }), fc.string({ maxLength: 3 }), (keys, start) => {
        const set = new SortedKeys<{ key: string }>();
        const model = new Set<string>();
        for (const key of keys) {
          const fresh = !model.has(key);
          model.add(key);
          expect(set.insert({ key })).toBe(fresh);
        }
        const sorted = [...model].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
        expect(set.size).toBe(sorted.length);
        expect(set.toArray().map((e) => e.key)).toEqual(sorted);
        expect(keysFrom(set, start)).toEqual(sorted.filter((k) => k >= start));
        set.retain((e) => e.key.length % 2 === 0);
        expect(keysFrom(set, '')).toEqual(sorted.filter((k) => k.length % 2 === 0));
        expect(set.size).toBe(sorted.filter((k) => k.length % 2 === 0).length);
      }),
      { numRuns: 60 },
    );
  });

  it('stops a walk when the visitor returns false', () => {
    const set = new SortedKeys<{ key: string }>();
    for (const key of ['c', 'a', 'b', 'd']) set.insert({ key });
    const seen: string[] = [];
    set.walk('b', (e) => {
      seen.push(e.key);
      return e.key < 'c';
    });
    expect(seen).toEqual(['b', 'c']);
  });
});
