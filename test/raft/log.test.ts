import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type LogIndex, logIndex, type Term } from '../../src/core/ids.js';
import { RaftLog } from '../../src/raft/log.js';
import { MemoryStorage } from '../../src/raft/memory-storage.js';
import type { Entry } from '../../src/raft/types.js';

const ent = (index: number, term: number): Entry => ({
  index: index as LogIndex,
  term: term as Term,
  type: 'normal',
  data: new Uint8Array([index % 256]),
});

/** Persist the unstable tail as the application would, then tell the log. */
function persist(log: RaftLog, storage: MemoryStorage): void {
  const ents = log.unstableEntries();
  const last = ents[ents.length - 1];
  if (last === undefined) return;
  storage.append([...ents]);
  log.stableTo(last.index, last.term);
}

type Op =
  | { kind: 'append'; prevBack: number; terms: number[]; commit: number }
  | { kind: 'persist' }
  | { kind: 'compact'; back: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({
    kind: fc.constant('append' as const),
    prevBack: fc.integer({ min: 0, max: 5 }),
    terms: fc.array(fc.integer({ min: 1, max: 6 }), { maxLength: 5 }),
    commit: fc.integer({ min: 0, max: 30 }),
  }),
  fc.record({ kind: fc.constant('persist' as const) }),
  fc.record({ kind: fc.constant('compact' as const), back: fc.integer({ min: 0, max: 5 }) }),
);

describe('RaftLog against an array model', () => {
  it('maybeAppend, persistence and compaction keep the log equal to the model (property)', () => {
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 40 }), (ops) => {
        const storage = new MemoryStorage();
        const log = new RaftLog(storage);
        /** model[i] = term at index i (index 0 = term 0). */
        let model: number[] = [0];
        let committed = 0;
        let maxTerm = 1;
        for (const op of ops) {
          if (op.kind === 'append') {
            // A leader's AppendEntries: prev = some index of our log, entries with terms >= prev's
            // term, non-decreasing (a valid leader log), never rewriting committed entries.
            const last = model.length - 1;
            const prev = Math.max(committed, last - op.prevBack);
            const prevTerm = model[prev]!;
            let t = Math.max(prevTerm, maxTerm);
            const ents: Entry[] = [];
            for (const [k, dt] of op.terms.entries()) {
              t = Math.max(t, dt);
              ents.push(ent(prev + 1 + k, t));
            }
            maxTerm = Math.max(maxTerm, t);
            const got = log.maybeAppend(logIndex(prev), prevTerm as Term, logIndex(op.commit), ents);
            expect(got).toBe(prev + ents.length);
            // Model: truncate at the first conflict, append the rest.
            for (const e of ents) {
              if (model[e.index] !== e.term) {
                model = model.slice(0, e.index);
                model.push(e.term);
              }
            }
            committed = Math.max(committed, Math.min(op.commit, prev + ents.length));
          } else if (op.kind === 'persist') {
            persist(log, storage);
          } else {
            persist(log, storage);
            const at = Math.min(committed, storage.lastIndex()) - op.back;
            if (at > storage.firstIndex() - 1) {
              storage.compact(logIndex(at), new Uint8Array(), { voters: [], learners: [], votersOutgoing: [] });
            }
          }
          expect(log.lastIndex()).toBe(model.length - 1);
          expect(log.committed).toBe(committed);
          for (let i = log.firstIndex() - 1; i < model.length; i++) expect(log.term(logIndex(i))).toBe(model[i]);
          if (log.firstIndex() <= log.lastIndex()) {
            const all = log.slice(log.firstIndex(), logIndex(log.lastIndex() + 1), Number.MAX_SAFE_INTEGER);
            expect(all.map((e) => e.term)).toEqual(model.slice(log.firstIndex()));
          }
        }
      }),
      { numRuns: 300 },
    );
  });

  it('findConflictByTerm returns the largest index whose term is <= the given term', () => {
    const storage = new MemoryStorage();
    storage.append([ent(1, 1), ent(2, 1), ent(3, 3), ent(4, 3), ent(5, 5)]);
    const log = new RaftLog(storage);
    expect(log.findConflictByTerm(logIndex(5), 4 as Term)).toEqual({ index: 4, term: 3 });
    expect(log.findConflictByTerm(logIndex(5), 2 as Term)).toEqual({ index: 2, term: 1 });
    expect(log.findConflictByTerm(logIndex(5), 0 as Term)).toEqual({ index: 0, term: 0 });
    expect(log.findConflictByTerm(logIndex(4), 9 as Term)).toEqual({ index: 4, term: 3 });
  });

  it('isUpToDate compares last term, then last index', () => {
    const storage = new MemoryStorage();
    storage.append([ent(1, 1), ent(2, 2)]);
    const log = new RaftLog(storage);
    expect(log.isUpToDate(logIndex(1), 3 as Term)).toBe(true);
    expect(log.isUpToDate(logIndex(9), 1 as Term)).toBe(false);
    expect(log.isUpToDate(logIndex(2), 2 as Term)).toBe(true);
    expect(log.isUpToDate(logIndex(1), 2 as Term)).toBe(false);
  });
});
