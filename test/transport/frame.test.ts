import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LimitExceededError } from '../../src/core/errors.js';
import { FrameDecoder, frameOf, packFrame, packr } from '../../src/transport/frame.js';

const valueArb = fc.record({
  from: fc.integer({ min: 1, max: 1000 }),
  to: fc.integer({ min: 1, max: 1000 }),
  type: fc.string(),
  term: fc.nat(),
  ok: fc.boolean(),
  entries: fc.array(fc.record({ index: fc.nat(), data: fc.uint8Array({ maxLength: 40 }) }), { maxLength: 4 }),
});

describe('frames', () => {
  it('decode identically whatever the split points (property)', () => {
    fc.assert(
      fc.property(fc.array(valueArb, { minLength: 1, maxLength: 5 }), fc.array(fc.nat(), { maxLength: 12 }), (values, cuts) => {
        const stream = Buffer.concat(values.map((v) => packFrame(v, 1 << 20)));
        const points = [...new Set(cuts.map((c) => c % (stream.length + 1)))].sort((a, b) => a - b);
        const decoder = new FrameDecoder(1 << 20);
        const bodies: Buffer[] = [];
        let prev = 0;
        for (const p of [...points, stream.length]) {
          bodies.push(...decoder.push(stream.subarray(prev, p)));
          prev = p;
        }
        expect(bodies.map((b) => packr.unpack(b))).toEqual(values.map((v) => packr.unpack(packr.pack(v))));
        expect(decoder.bufferedBytes).toBe(0);
      }),
    );
  });

  it('decode when split at every single byte boundary', () => {
    const values = [{ a: 1 }, { b: 'two', c: new Uint8Array([1, 2, 3]) }, { d: [] }];
    const stream = Buffer.concat(values.map((v) => packFrame(v, 1024)));
    for (let cut = 0; cut <= stream.length; cut++) {
      const decoder = new FrameDecoder(1024);
      const bodies = [...decoder.push(stream.subarray(0, cut)), ...decoder.push(stream.subarray(cut))];
      expect(bodies.map((b) => packr.unpack(b))).toEqual(values.map((v) => packr.unpack(packr.pack(v))));
    }
    const bytewise = new FrameDecoder(1024);
    const bodies: Buffer[] = [];
    for (let i = 0; i < stream.length; i++) bodies.push(...bytewise.push(stream.subarray(i, i + 1)));
    expect(bodies.length).toBe(3);
  });

  it('refuse a frame above the limit from its header, before buffering the body', () => {
    const decoder = new FrameDecoder(100);
    const header = Buffer.alloc(4);
    header.writeUInt32BE(101);
    expect(() => decoder.push(header)).toThrow(LimitExceededError);
    expect(() => frameOf(new Uint8Array(101), 100)).toThrow(/frameBytesMax/);
    expect(new FrameDecoder(100).push(frameOf(new Uint8Array(100), 100))[0]!.length).toBe(100);
  });
});
