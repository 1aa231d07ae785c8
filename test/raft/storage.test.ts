import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ErrorCodes } from '../../src/core/errors.js';
import { type LogIndex, logIndex, type Term } from '../../src/core/ids.js';
import { LogUnavailableError } from '../../src/raft/errors.js';
import { MemoryStorage } from '../../src/raft/memory-storage.js';
import type { Entry } from '../../src/raft/types.js';

const ent = (index: number, term: number, data = ''): Entry => ({
  index: index as LogIndex,
  term: term as Term,
  type: 'normal',
  data: new TextEncoder().encode(data),
});
const conf = { voters: [], learners: [], votersOutgoing: [] };

describe('MemoryStorage', () => {
  it('starts empty with a dummy entry at 0', () => {
    const s = new MemoryStorage();
    expect(s.firstIndex()).toBe(1);
    expect(s.lastIndex()).toBe(0);
    expect(s.term(logIndex(0))).toBe(0);
  });

  it('replaces an overlapping suffix on append', () => {
    const s = new MemoryStorage();
    s.append([ent(1, 1), ent(2, 1), ent(3, 1)]);
    s.append([ent(2, 2)]);
    expect(s.lastIndex()).toBe(2);
    expect(s.term(logIndex(2))).toBe(2);
    expect(() => s.append([ent(5, 2)])).toThrow(/gap/);
  });

  it('answers term() errors with stable codes', () => {
    const s = new MemoryStorage();
    s.append([ent(1, 1), ent(2, 1), ent(3, 2)]);
    s.compact(logIndex(2), new Uint8Array([1]), conf);
    expect(s.term(logIndex(2))).toBe(1);
    const below = (() => {
      try {
        s.term(logIndex(1));
      } catch (e) {
        return e;
      }
    })();
    expect(below).toBeInstanceOf(LogUnavailableError);
    expect((below as LogUnavailableError).code).toBe(ErrorCodes.COMPACTED);
    const above = (() => {
      try {
        s.term(logIndex(9));
      } catch (e) {
        return e;
      }
    })();
    expect((above as LogUnavailableError).code).toBe(ErrorCodes.NOT_FOUND);
    expect(() => s.entries(logIndex(2), logIndex(3), 100)).toThrow(LogUnavailableError);
  });

  it('refuses to compact past its snapshot without snapshot data', () => {
    const s = new MemoryStorage();
    s.append([ent(1, 1), ent(2, 1)]);
    expect(() => s.compact(logIndex(2))).toThrow(/snapData/);
    s.createSnapshot(logIndex(2), conf, new Uint8Array());
    s.compact(logIndex(2));
    expect(s.firstIndex()).toBe(3);
  });

  it('applySnapshot replaces the log and the ConfState', () => {
    const s = new MemoryStorage();
    s.append([ent(1, 1)]);
    const cs = { voters: [1, 2], learners: [], votersOutgoing: [] } as never;
    s.applySnapshot({ metadata: { index: logIndex(10), term: 3 as Term, confState: cs }, data: new Uint8Array() });
    expect(s.firstIndex()).toBe(11);
    expect(s.lastIndex()).toBe(10);
    expect(s.term(logIndex(10))).toBe(3);
    expect(s.initialState().confState).toBe(cs);
  });

  it('entries() returns at least one entry and stops before maxBytes (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 20 }), { minLength: 1, maxLength: 30 }), fc.integer({ min: 0, max: 100 }), (sizes, max) => {
        const s = new MemoryStorage();
        s.append(sizes.map((n, i) => ent(i + 1, 1, 'x'.repeat(n))));
        const got = s.entries(logIndex(1), logIndex(sizes.length + 1), max);
        expect(got.length).toBeGreaterThanOrEqual(1);
        const total = got.reduce((a, e) => a + e.data.length, 0);
        if (got.length > 1) expect(total).toBeLessThanOrEqual(max);
        if (got.length < sizes.length) expect(total + sizes[got.length]!).toBeGreaterThan(max);
      }),
    );
  });
});
