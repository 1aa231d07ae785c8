import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { utf8 } from '../../src/kv/bytes.js';
import { crc32c, crc32cUpdate } from '../../src/kv/crc32c.js';

/** Bit-at-a-time reference, straight from the definition. */
function reference(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const byte of bytes) {
    c ^= byte;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
  }
  return ~c >>> 0;
}

describe('crc32c', () => {
  it('matches the published check value', () => {
    expect(crc32c(utf8('123456789'))).toBe(0xe3069283);
    expect(crc32c(new Uint8Array(0))).toBe(0);
  });
  it('matches the bitwise definition and can be continued in pieces (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 100 }), fc.nat(100), (bytes, cut) => {
        expect(crc32c(bytes)).toBe(reference(bytes));
        const at = Math.min(cut, bytes.length);
        expect(crc32cUpdate(crc32cUpdate(0, bytes.subarray(0, at)), bytes.subarray(at))).toBe(crc32c(bytes));
      }),
    );
  });
});
