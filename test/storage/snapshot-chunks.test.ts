import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CorruptError, InvalidArgumentError, LimitExceededError } from '../../src/core/errors.js';
import type { LogIndex, Term } from '../../src/core/ids.js';
import type { Snapshot } from '../../src/raft/types.js';
import { chunkSnapshot, rechunk, SnapshotAssembler } from '../../src/storage/snapshot-chunks.js';

const meta = { index: 7 as LogIndex, term: 2 as Term, confState: { voters: [], learners: [], votersOutgoing: [] } };

describe('snapshot chunks', () => {
  it('rechunk yields exact pieces whatever the input split (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 50 }), { maxLength: 8 }), fc.integer({ min: 1, max: 40 }), (parts, size) => {
        const out = [...rechunk(parts, size)];
        const joined = Buffer.concat(out);
        expect(Buffer.compare(joined, Buffer.concat(parts))).toBe(0);
        for (const c of out.slice(0, -1)) expect(c.length).toBe(size);
        if (out.length > 0) expect(out[out.length - 1]!.length).toBeLessThanOrEqual(size);
      }),
    );
  });

  it('chunks reassemble to the original, including an empty snapshot', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 3000 }), fc.integer({ min: 1, max: 700 }), (data, size) => {
        const assembler = new SnapshotAssembler();
        let result: Snapshot | undefined;
        for (const chunk of chunkSnapshot({ metadata: meta, data }, size)) result = assembler.add(chunk);
        expect(result?.metadata).toEqual(meta);
        expect([...result!.data]).toEqual([...data]);
      }),
    );
  });

  it('rejects damaged, reordered, foreign and oversized chunks', () => {
    const data = new Uint8Array(1000).map((_, i) => i % 256);
    const chunks = [...chunkSnapshot({ metadata: meta, data }, 300)];
    const damaged = new SnapshotAssembler();
    damaged.add(chunks[0]!);
    damaged.add(chunks[1]!);
    damaged.add(chunks[2]!);
    const bad = { ...chunks[3]!, bytes: chunks[3]!.bytes.map((b) => b ^ 1) };
    expect(() => damaged.add(bad)).toThrow(CorruptError);

    const reordered = new SnapshotAssembler();
    reordered.add(chunks[0]!);
    expect(() => reordered.add(chunks[2]!)).toThrow(InvalidArgumentError);
    expect(() => new SnapshotAssembler().add(chunks[1]!)).toThrow(/before the first chunk/);

    const foreign = new SnapshotAssembler();
    foreign.add(chunks[0]!);
    expect(() => foreign.add({ ...chunks[1]!, metadata: { ...meta, index: 8 as LogIndex } })).toThrow(/different snapshot/);

    expect(() => new SnapshotAssembler({ snapshotBytesMax: 999 }).add(chunks[0]!)).toThrow(LimitExceededError);
    expect(() => new SnapshotAssembler({ chunkBytesMax: 299 }).add(chunks[0]!)).toThrow(LimitExceededError);
  });
});
