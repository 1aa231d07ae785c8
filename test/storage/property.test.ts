import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import type { LogIndex, NodeId, Term } from '../../src/core/ids.js';
import type { DiskStorage } from '../../src/storage/disk-storage.js';
import { openStorage, removeTempDirs, tempDir } from './helpers.js';
import { ModelStorage } from './model.js';

afterAll(removeTempDirs);

type Op =
  | { kind: 'append'; back: number; count: number; termStep: number; size: number }
  | { kind: 'leaderSnapshot'; ahead: number }
  | { kind: 'compact'; frac: number }
  | { kind: 'hardState'; frac: number }
  | { kind: 'reopen' };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant('append' as const),
      back: fc.integer({ min: 0, max: 6 }),
      count: fc.integer({ min: 1, max: 6 }),
      termStep: fc.integer({ min: 0, max: 1 }),
      size: fc.integer({ min: 0, max: 120 }),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('leaderSnapshot' as const), ahead: fc.integer({ min: 1, max: 5 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('compact' as const), frac: fc.double({ min: 0, max: 1, noNaN: true }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('hardState' as const), frac: fc.double({ min: 0, max: 1, noNaN: true }) }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'reopen' as const }) },
);

const conf = { voters: [1 as NodeId], learners: [], votersOutgoing: [] };

function compare(disk: DiskStorage, model: ModelStorage): void {
  expect(disk.firstIndex()).toBe(model.firstIndex());
  expect(disk.lastIndex()).toBe(model.lastIndex());
  expect(disk.initialState().hardState).toEqual(model.hardState);
  expect(disk.snapshot().metadata.index).toBe(model.snap.metadata.index);
  expect([...disk.snapshot().data]).toEqual([...model.snap.data]);
  for (let i = model.firstIndex() - 1; i <= model.lastIndex(); i++) {
    expect(disk.term(i as LogIndex)).toBe(model.term(i as LogIndex));
  }
  const lo = model.firstIndex();
  const hi = (model.lastIndex() + 1) as LogIndex;
  for (const maxBytes of [0, 150, 1e9]) {
    const a = disk.entries(lo, hi, maxBytes);
    const b = model.entries(lo, hi, maxBytes);
    expect(a.map((e) => [e.index, e.term, [...e.data]])).toEqual(b.map((e) => [e.index, e.term, [...e.data]]));
  }
}

describe('DiskStorage against an in-memory model', () => {
  it('agrees after any sequence of appends, snapshots, compactions, hard states and restarts', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { minLength: 1, maxLength: 14 }), fc.integer({ min: 1, max: 600 }), async (ops, cacheBytesMax) => {
        const dir = tempDir();
        let disk = await openStorage(dir, { cacheBytesMax, probe: false });
        const model = new ModelStorage();
        let currentTerm = 1;
        let seq = 0;
        try {
          for (const op of ops) {
            switch (op.kind) {
              case 'append': {
                // Raft never replaces committed entries: a conflicting append starts after commit.
                const start = Math.max(model.firstIndex() - 2, model.lastIndex() + 1 - op.back, model.hardState.commit + 1, 1);
                currentTerm += op.termStep;
                const entries = Array.from({ length: op.count }, (_, k) => ({
                  index: (start + k) as LogIndex,
                  term: currentTerm as Term,
                  type: 'normal' as const,
                  data: new Uint8Array(op.size).fill((seq++ % 250) + 1),
                }));
                model.append(entries);
                await disk.save({ entries });
                break;
              }
              case 'leaderSnapshot': {
                const snapshot = {
                  metadata: { index: (model.lastIndex() + op.ahead) as LogIndex, term: currentTerm as Term, confState: conf },
                  data: new Uint8Array([seq++ % 256, 7]),
                };
                model.applySnapshot(snapshot);
                await disk.save({ snapshot });
                break;
              }
              case 'compact': {
                const span = model.lastIndex() - model.firstIndex() + 1;
                if (span <= 0) break;
                const index = (model.firstIndex() + Math.floor(op.frac * span)) as LogIndex;
                const data = new Uint8Array([index % 256]);
                model.createSnapshot(index, data);
                await disk.saveSnapshot({ metadata: model.snap.metadata, data });
                model.compact(index);
                await disk.compact(index);
                break;
              }
              case 'hardState': {
                const commit = Math.floor(op.frac * model.lastIndex()) as LogIndex;
                model.hardState = { term: currentTerm as Term, vote: 1 as NodeId, commit };
                await disk.save({ hardState: model.hardState });
                break;
              }
              case 'reopen':
                await disk.close();
                disk = await openStorage(dir, { cacheBytesMax, probe: false });
                break;
            }
            compare(disk, model);
          }
          await disk.close();
          disk = await openStorage(dir, { probe: false });
          compare(disk, model);
        } finally {
          await disk.close();
        }
      }),
      { numRuns: 60 },
    );
  });
});
