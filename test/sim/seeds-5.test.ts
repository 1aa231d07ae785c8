import { describe, it } from 'vitest';
import { seedCount, sweepSeeds } from './seeds.js';

describe('swarm, 5 nodes', () => {
  it(`passes ${seedCount()} seeds (safety, linearizability, liveness)`, () => {
    sweepSeeds(100_001, seedCount(), 5);
  }, 120_000 + seedCount() * 1000);
});
