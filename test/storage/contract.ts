import { describe, expect, it } from 'vitest';
import { ErrorCodes } from '../../src/core/errors.js';
import type { LogIndex, NodeId, Term } from '../../src/core/ids.js';
import { LogUnavailableError } from '../../src/raft/errors.js';
import type { RaftStorage } from '../../src/raft/storage.js';
import type { Entry, HardState, Snapshot } from '../../src/raft/types.js';

/**
 * The RaftStorage contract (src/raft/storage.ts), as a reusable suite. Any implementation runs
 * it by supplying a subject: the storage plus adapters for its write side.
 */
export interface ContractSubject {
  readonly storage: RaftStorage;
  append(entries: readonly Entry[]): Promise<void>;
  /** A snapshot from the leader: replaces the whole log. */
  applySnapshot(snapshot: Snapshot): Promise<void>;
  /** Drop entries <= index (taking a snapshot there first if the implementation needs one). */
  compact(index: LogIndex): Promise<void>;
  setHardState(hardState: HardState): Promise<void>;
  close(): Promise<void>;
}

export function entry(index: number, termValue: number, data = `e${index}`): Entry {
  return { index: index as LogIndex, term: termValue as Term, type: 'normal', data: new TextEncoder().encode(data) };
}

export function run(from: number, to: number, termValue: number): Entry[] {
  const out: Entry[] = [];
  for (let i = from; i <= to; i++) out.push(entry(i, termValue));
  return out;
}

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return (err as { code?: string }).code;
  }
  return undefined;
}

const idx = (n: number) => n as LogIndex;

export function raftStorageContract(name: string, make: () => Promise<ContractSubject>): void {
  describe(`RaftStorage contract: ${name}`, () => {
    async function withSubject(body: (s: ContractSubject) => Promise<void>): Promise<void> {
      const subject = await make();
      try {
        await body(subject);
      } finally {
        await subject.close();
      }
    }

    it('starts empty', () =>
      withSubject(async ({ storage }) => {
        expect(storage.firstIndex()).toBe(1);
        expect(storage.lastIndex()).toBe(0);
        expect(storage.term(idx(0))).toBe(0);
        expect(storage.entries(idx(1), idx(1), 1000)).toEqual([]);
        expect(storage.snapshot().metadata.index).toBe(0);
        expect(storage.initialState().hardState).toEqual({ term: 0, vote: 0, commit: 0 });
        expect(codeOf(() => storage.term(idx(1)))).toBe(ErrorCodes.NOT_FOUND);
      }));

    it('appends and reads back entries and terms', () =>
      withSubject(async (s) => {
        await s.append([...run(1, 3, 1), ...run(4, 5, 2)]);
        expect(s.storage.lastIndex()).toBe(5);
        expect(s.storage.firstIndex()).toBe(1);
        expect([1, 2, 3, 4, 5].map((i) => s.storage.term(idx(i)))).toEqual([1, 1, 1, 2, 2]);
        const got = s.storage.entries(idx(2), idx(5), Number.MAX_SAFE_INTEGER);
        expect(got.map((e) => e.index)).toEqual([2, 3, 4]);
        expect(new TextDecoder().decode(got[0]!.data)).toBe('e2');
        expect(codeOf(() => s.storage.term(idx(6)))).toBe(ErrorCodes.NOT_FOUND);
        expect(() => s.storage.term(idx(6))).toThrow(LogUnavailableError);
        expect(codeOf(() => s.storage.entries(idx(1), idx(7), 100))).toBe(ErrorCodes.NOT_FOUND);
      }));

    it('limits entries by maxBytes but returns at least one', () =>
      withSubject(async (s) => {
        await s.append(run(1, 5, 1).map((e) => ({ ...e, data: new Uint8Array(10) })));
        expect(s.storage.entries(idx(1), idx(6), 25).length).toBe(2);
        expect(s.storage.entries(idx(1), idx(6), 30).length).toBe(3);
        expect(s.storage.entries(idx(1), idx(6), 0).length).toBe(1);
      }));

    it('a conflicting append replaces the suffix', () =>
      withSubject(async (s) => {
        await s.append(run(1, 5, 1));
        await s.append(run(3, 4, 2));
        expect(s.storage.lastIndex()).toBe(4);
        expect([1, 2, 3, 4].map((i) => s.storage.term(idx(i)))).toEqual([1, 1, 2, 2]);
        expect(codeOf(() => s.storage.term(idx(5)))).toBe(ErrorCodes.NOT_FOUND);
        await s.append(run(5, 7, 3));
        expect(s.storage.lastIndex()).toBe(7);
        expect(s.storage.entries(idx(4), idx(6), 1e9).map((e) => e.term)).toEqual([2, 3]);
      }));

    it('rejects an append that would leave a gap', () =>
      withSubject(async (s) => {
        await s.append(run(1, 2, 1));
        await expect(s.append(run(4, 5, 1))).rejects.toThrow();
        expect(s.storage.lastIndex()).toBe(2);
      }));

    it('compacts: entries below firstIndex are gone, term(firstIndex-1) still answers', () =>
      withSubject(async (s) => {
        await s.append(run(1, 10, 1).map((e) => (e.index > 5 ? { ...e, term: 2 as Term } : e)));
        await s.compact(idx(6));
        expect(s.storage.firstIndex()).toBe(7);
        expect(s.storage.lastIndex()).toBe(10);
        expect(s.storage.term(idx(6))).toBe(2);
        expect(codeOf(() => s.storage.term(idx(5)))).toBe(ErrorCodes.COMPACTED);
        expect(() => s.storage.term(idx(5))).toThrow(LogUnavailableError);
        expect(codeOf(() => s.storage.entries(idx(6), idx(8), 1e9))).toBe(ErrorCodes.COMPACTED);
        expect(s.storage.entries(idx(7), idx(11), 1e9).map((e) => e.index)).toEqual([7, 8, 9, 10]);
        // Appending entries that overlap the compacted prefix keeps only the live part.
        await s.append(run(5, 12, 2));
        expect(s.storage.firstIndex()).toBe(7);
        expect(s.storage.lastIndex()).toBe(12);
      }));

    it('applying a snapshot replaces the log', () =>
      withSubject(async (s) => {
        await s.append(run(1, 5, 1));
        const conf = { voters: [1, 2, 3] as NodeId[], learners: [], votersOutgoing: [] };
        const snap: Snapshot = {
          metadata: { index: idx(20), term: 3 as Term, confState: conf },
          data: new TextEncoder().encode('state at 20'),
        };
        await s.applySnapshot(snap);
        expect(s.storage.firstIndex()).toBe(21);
        expect(s.storage.lastIndex()).toBe(20);
        expect(s.storage.term(idx(20))).toBe(3);
        expect(codeOf(() => s.storage.term(idx(5)))).toBe(ErrorCodes.COMPACTED);
        expect(s.storage.snapshot().metadata.index).toBe(20);
        expect(new TextDecoder().decode(s.storage.snapshot().data)).toBe('state at 20');
        expect(s.storage.initialState().confState.voters).toEqual([1, 2, 3]);
        await s.append(run(21, 22, 3));
        expect(s.storage.lastIndex()).toBe(22);
      }));

    it('keeps the hard state', () =>
      withSubject(async (s) => {
        await s.append(run(1, 3, 2));
        await s.setHardState({ term: 2 as Term, vote: 1 as NodeId, commit: idx(3) });
        expect(s.storage.initialState().hardState).toEqual({ term: 2, vote: 1, commit: 3 });
      }));
  });
}
