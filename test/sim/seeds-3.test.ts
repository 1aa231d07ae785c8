import { describe, it } from 'vitest';
import { seedCount, sweepSeeds } from './seeds.js';

describe('swarm, 3 nodes', () => {
  it(`passes ${seedCount()} seeds (safety, linearizability, liveness)`, () => {
    sweepSeeds(1, seedCount(), 3);
  }, 120_000 + seedCount() * 1000);
});
