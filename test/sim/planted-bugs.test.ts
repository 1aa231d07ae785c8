import { describe, expect, it } from 'vitest';
import { PLANTED_BUGS, type PlantedBug } from '../../src/sim/params.js';
import { runSim } from '../../src/sim/run.js';
import type { ViolationKind } from '../../src/sim/safety.js';

/** Seeds tried per bug before the test gives up. */
const SEEDS_MAX = 150;

/** The violations each bug can show up as (the first one found is what a run reports). */
const EXPECTED: Record<PlantedBug, readonly ViolationKind[]> = {
  // Raft figure 8: an old-term entry committed by count is later overwritten.
  commitPreviousTermByCount: ['leader-completeness', 'state-machine-safety', 'divergent-state', 'lost-write', 'linearizability'],
  // A stale suffix survives after a conflicting append: logs stop matching.
  noConflictTruncation: ['log-matching', 'state-machine-safety', 'leader-completeness', 'divergent-state', 'linearizability'],
  // Two votes in one term: two leaders in one term (or raft's own assertion that a leader
  // received an append from another leader of its term).
  doubleVote: ['election-safety', 'invariant'],
};

describe('planted bugs are caught', () => {
  for (const bug of PLANTED_BUGS) {
    it(`${bug}: some seed in the first ${SEEDS_MAX} fails with an expected violation`, () => {
      let caught: { seed: number; kind: ViolationKind; message: string } | undefined;
      for (let seed = 1; seed <= SEEDS_MAX && caught === undefined; seed++) {
        const r = runSim({ seed, plantBug: bug });
        const v = r.violations[0];
        if (!r.ok && v !== undefined) caught = { seed, kind: v.kind, message: v.message };
      }
      expect(caught, `${bug} was not caught in ${SEEDS_MAX} seeds`).toBeDefined();
      expect(EXPECTED[bug]).toContain(caught!.kind);
      // The same seed without the bug passes: the violation is the bug's doing.
      const control = runSim({ seed: caught!.seed });
      expect(control.violations).toEqual([]);
      expect(runSim({ seed: caught!.seed, plantBug: bug }).violations[0]?.message).toBe(caught!.message);
    }, 300_000);
  }
});
