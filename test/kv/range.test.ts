import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { prefixEnd } from '../../src/kv/bytes.js';
import type { SortTarget } from '../../src/kv/types.js';
import { b, Driver, keysOf, str } from './helpers.js';

const ALL = new Uint8Array([0]);

/** Keys a..e with distinct version / create / mod / value orders. */
function seeded(): Driver {
  const d = new Driver();
  d.put('c', 'zz'); // 2
  d.put('a', 'yy'); // 3
  d.put('e', 'xx'); // 4
  d.put('b', 'ww'); // 5
  d.put('d', 'vv'); // 6
  d.put('a', 'uu'); // 7  a: version 2, mod 7
  d.put('a', 'tt'); // 8  a: version 3, mod 8
  d.put('e', 'ss'); // 9  e: version 2, mod 9
  d.put('foo', 'x'); // 10
  d.put('foo/1', 'x'); // 11
  d.put('foo/2', 'x'); // 12
  d.put('fop', 'x'); // 13
  return d;
}

describe('range conventions', () => {
  it('single key, prefix, "\\0" and the empty key with "\\0"', () => {
    const d = seeded();
    expect(keysOf(d.store.range({ key: b('foo') }).kvs)).toEqual(['foo']);
    expect(keysOf(d.store.range({ key: b('foo'), rangeEnd: prefixEnd(b('foo')) }).kvs)).toEqual(['foo', 'foo/1', 'foo/2']);
    expect(keysOf(d.store.range({ key: b('e'), rangeEnd: ALL }).kvs)).toEqual(['e', 'foo', 'foo/1', 'foo/2', 'fop']);
    expect(d.store.range({ key: new Uint8Array(0), rangeEnd: ALL }).count).toBe(9);
    expect(d.store.range({ key: b('x'), rangeEnd: b('a') }).kvs).toEqual([]);
  });

  it('limit sets more; count is every key in the range', () => {
    const d = seeded();
    const r = d.store.range({ key: b('a'), rangeEnd: b('f'), limit: 2 });
    expect(keysOf(r.kvs)).toEqual(['a', 'b']);
    expect(r.more).toBe(true);
    expect(r.count).toBe(5);
    const all = d.store.range({ key: b('a'), rangeEnd: b('f'), limit: 5 });
    expect(all.more).toBe(false);
    expect(all.kvs).toHaveLength(5);
  });

  it('count-only and keys-only', () => {
    const d = seeded();
    const c = d.store.range({ key: b('a'), rangeEnd: ALL, countOnly: true });
    expect(c.kvs).toEqual([]);
    expect(c.count).toBe(9);
    const k = d.store.range({ key: b('a'), rangeEnd: b('c'), keysOnly: true });
    expect(keysOf(k.kvs)).toEqual(['a', 'b']);
    expect(k.kvs.every((kv) => kv.value.length === 0 && kv.modRevision > 0)).toBe(true);
  });

  const cases: [SortTarget, string[]][] = [
    ['key', ['a', 'b', 'c', 'd', 'e']],
    ['version', ['b', 'c', 'd', 'e', 'a']], // ties keep key order
    ['create', ['c', 'a', 'e', 'b', 'd']],
    ['mod', ['c', 'b', 'd', 'a', 'e']],
    ['value', ['e', 'a', 'd', 'b', 'c']],
  ];
  for (const [target, ascending] of cases) {
    it(`sorts by ${target} ascending and descending`, () => {
      const d = seeded();
      const asc = d.store.range({ key: b('a'), rangeEnd: b('f'), sortTarget: target, sortOrder: 'ascend' });
      expect(keysOf(asc.kvs)).toEqual(ascending);
      const desc = d.store.range({ key: b('a'), rangeEnd: b('f'), sortTarget: target, sortOrder: 'descend' });
      const got = keysOf(desc.kvs);
      // Descending reverses the target order (ties may keep key order).
      const rank = (k: string) => ascending.indexOf(k);
      const field = (k: string) => {
        const kv = desc.kvs.find((x) => str(x.key) === k)!;
        return target === 'key' ? k : target === 'value' ? str(kv.value) : target === 'version' ? kv.version : target === 'create' ? kv.createRevision : kv.modRevision;
      };
      for (let i = 1; i < got.length; i++) expect(field(got[i - 1]!) >= field(got[i]!)).toBe(true);
      expect(new Set(got)).toEqual(new Set(ascending.map((k) => ascending[rank(k)])));
    });
  }

  it('a non-key target with order none sorts ascending; sort happens before limit', () => {
    const d = seeded();
    const r = d.store.range({ key: b('a'), rangeEnd: b('f'), sortTarget: 'mod', limit: 2 });
    expect(keysOf(r.kvs)).toEqual(['c', 'b']);
    expect(r.more).toBe(true);
    const top = d.store.range({ key: b('a'), rangeEnd: b('f'), sortTarget: 'mod', sortOrder: 'descend', limit: 1 });
    expect(keysOf(top.kvs)).toEqual(['e']);
  });

  it('min/max mod and create revision filters', () => {
    const d = seeded();
    const span = { key: b('a'), rangeEnd: b('f') };
    expect(keysOf(d.store.range({ ...span, minModRevision: 7 }).kvs)).toEqual(['a', 'e']);
    expect(keysOf(d.store.range({ ...span, maxModRevision: 5 }).kvs)).toEqual(['b', 'c']);
    expect(keysOf(d.store.range({ ...span, minCreateRevision: 4 }).kvs)).toEqual(['b', 'd', 'e']);
    expect(keysOf(d.store.range({ ...span, maxCreateRevision: 3 }).kvs)).toEqual(['a', 'c']);
    const f = d.store.range({ ...span, minCreateRevision: 4, limit: 1 });
    expect(keysOf(f.kvs)).toEqual(['b']);
    expect(f.more).toBe(true);
    expect(f.count).toBe(5);
  });

  it('ranges at a past revision', () => {
    const d = seeded();
    const r = d.store.range({ key: b('a'), rangeEnd: b('f'), revision: 4 });
    expect(keysOf(r.kvs)).toEqual(['a', 'c', 'e']);
    expect(str(r.kvs[0]!.value)).toBe('yy');
    expect(r.revision).toBe(13);
  });

  it('agrees with a naive model for random limits and sorts (property)', () => {
    const d = seeded();
    const all = d.store.range({ key: new Uint8Array(0), rangeEnd: ALL }).kvs;
    fc.assert(
      fc.property(fc.nat(12), fc.constantFrom<SortTarget>('key', 'version', 'create', 'mod', 'value'), (limit, target) => {
        const r = d.store.range({ key: new Uint8Array(0), rangeEnd: ALL, limit, sortTarget: target });
        expect(r.count).toBe(all.length);
        expect(r.kvs.length).toBe(limit === 0 ? all.length : Math.min(limit, all.length));
        expect(r.more).toBe(limit > 0 && limit < all.length);
      }),
    );
  });
});
