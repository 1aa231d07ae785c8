import { describe, expect, it } from 'vitest';
import { runSim, SafetyViolation } from './cluster-sim.js';
import { timeoutDetector } from './harness.js';

const SEEDS = Number(process.env.NINES_RAFT_SEEDS ?? 300);

describe('raft paper properties under random drops, reorders, partitions and restarts', () => {
  it(`holds for ${SEEDS} seeds (3 and 5 nodes)`, () => {
    let committed = 0;
    let leaders = 0;
    for (let seed = 1; seed <= SEEDS; seed++) {
      // Every third seed hunts figure 8: one entry per message, leaders cut off after commits.
      const hunt = seed % 3 === 0 ? { maxSizePerMsgBytes: 1, isolateLeaderOnCommit: 0.3 } : {};
      // Every fifth seed runs adaptive detection (a 120 ms timeout detector, floor 150 ms).
      const adaptive = seed % 5 === 1 ? { detector: timeoutDetector(120) } : {};
      const r = runSim({ seed, nodes: seed % 2 === 0 ? 5 : 3, durationMs: 15_000, dropRate: 0.1, ...hunt, ...adaptive });
      expect(r.livenessOk, `seed ${seed}: no progress after healing`).toBe(true);
      committed += r.committed;
      leaders += r.leadersElected;
    }
    // The runs did real work: elections happened and entries committed.
    expect(leaders).toBeGreaterThan(SEEDS);
    expect(committed).toBeGreaterThan(SEEDS * 50);
  }, 30_000 + SEEDS * 200);

  // The checks can fail: two planted bugs are caught within a few seeds.
  for (const bug of ['noConflictTruncation', 'doubleVote'] as const) {
    it(`catches the planted bug ${bug} within 30 seeds`, () => {
      let caughtAt = -1;
      for (let seed = 1; seed <= 30 && caughtAt < 0; seed++) {
        try {
          runSim({ seed, nodes: seed % 2 === 0 ? 5 : 3, durationMs: 15_000, dropRate: 0.1, bugs: { [bug]: true } });
        } catch (err) {
          // A SafetyViolation, or an invariant assertion inside raft that the bug tripped.
          expect((err as Error).name).toMatch(/SafetyViolation|AssertionFailure/);
          caughtAt = seed;
        }
      }
      expect(caughtAt).toBeGreaterThan(0);
    });
  }

  it('catches the planted bug commitPreviousTermByCount within 60 seeds (figure-8 hunting faults)', () => {
    let caught: Error | undefined;
    for (let seed = 1; seed <= 60 && caught === undefined; seed++) {
      try {
        runSim({
          seed,
          nodes: 3,
          durationMs: 10_000,
          dropRate: 0.1,
          maxSizePerMsgBytes: 1,
          isolateLeaderOnCommit: 0.9,
          bugs: { commitPreviousTermByCount: true },
        });
      } catch (err) {
        caught = err as Error;
      }
    }
    expect(caught).toBeInstanceOf(SafetyViolation);
  });

  it('reports a SafetyViolation by name', () => {
    const v = new SafetyViolation('log matching', 'x');
    expect(v.message).toBe('log matching: x');
  });
});
