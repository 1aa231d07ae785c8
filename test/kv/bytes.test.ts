import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { compareBytes, fromBinary, keySpan, prefixEnd, spanContains, toBinary } from '../../src/kv/bytes.js';
import { b } from './helpers.js';

describe('prefixEnd', () => {
  it('adds one to the last byte below 0xff', () => {
    expect([...prefixEnd(b('foo'))]).toEqual([...b('fop')]);
    expect([...prefixEnd(new Uint8Array([1, 0xff, 0xff]))]).toEqual([2]);
  });
  it('is "\\0" (every key) for all-0xff and empty prefixes', () => {
    expect([...prefixEnd(new Uint8Array([0xff, 0xff]))]).toEqual([0]);
    expect([...prefixEnd(new Uint8Array([]))]).toEqual([0]);
  });
  it('bounds exactly the keys with the prefix (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 4 }), fc.uint8Array({ maxLength: 6 }), (prefix, key) => {
        const span = keySpan(prefix.length === 0 ? new Uint8Array([0]) : prefix, prefixEnd(prefix));
        const has = key.length >= prefix.length && prefix.every((x, i) => key[i] === x);
        if (prefix.length > 0) expect(spanContains(span, toBinary(key))).toBe(has);
      }),
    );
  });
});

describe('binary strings', () => {
  it('order like bytes and round-trip', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 8 }), fc.uint8Array({ maxLength: 8 }), (x, y) => {
        const sx = toBinary(x);
        const sy = toBinary(y);
        expect(Math.sign(compareBytes(x, y))).toBe(sx < sy ? -1 : sx > sy ? 1 : 0);
        expect([...fromBinary(sx)]).toEqual([...x]);
      }),
    );
  });
});

describe('keySpan', () => {
  it('follows etcd range conventions', () => {
    const single = keySpan(b('a'), undefined);
    expect(spanContains(single, 'a')).toBe(true);
    expect(spanContains(single, 'a\0')).toBe(false);
    const all = keySpan(b('m'), new Uint8Array([0]));
    expect(spanContains(all, 'zzz')).toBe(true);
    expect(spanContains(all, 'l')).toBe(false);
    const empty = keySpan(b('m'), b('a'));
    expect(spanContains(empty, 'm')).toBe(false);
  });
});
