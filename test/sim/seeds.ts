import { expect } from 'vitest';
import { runSim } from '../../src/sim/run.js';
import { formatResult } from '../../src/sim/format.js';

/** Seeds per cluster size in the normal suite; NINES_SIM_SEEDS (total) overrides. */
export function seedCount(): number {
  const env = process.env.NINES_SIM_SEEDS;
  const total = env === undefined ? 300 : Number(env);
  if (!Number.isSafeInteger(total) || total < 2) throw new Error(`NINES_SIM_SEEDS must be an integer >= 2, got ${env}`);
  return Math.ceil(total / 2);
}

/** Run `count` seeds from `first` with `nodes` nodes; every one must pass. */
export function sweepSeeds(first: number, count: number, nodes: 3 | 5): void {
  const failures: string[] = [];
  let ops = 0;
  let faults = 0;
  for (let seed = first; seed < first + count; seed++) {
    const r = runSim({ seed, nodes });
    ops += r.stats.ops.ok;
    faults += r.stats.faults.crashes + r.stats.faults.pauses + r.stats.faults.partitions;
    if (!r.ok) failures.push(formatResult(r, { nodes }));
  }
  expect(failures, failures.join('\n\n')).toEqual([]);
  // The runs did real work under real faults (a broken harness would do neither).
  expect(ops).toBeGreaterThan(count * 10);
  expect(faults).toBeGreaterThan(count);
}
