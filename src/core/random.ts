import { uniformFloat64 } from 'pure-rand/distribution/uniformFloat64';
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';
import { InvalidArgumentError } from './errors.js';

/**
 * Randomness, injected. Pure layers draw only from a `Random` they are given, so a seed
 * reproduces a run. `SeededRandom` wraps pure-rand's xoroshiro128+.
 */
export interface Random {
  /** Uniform in [0, 1). */
  float(): number;
  /** Uniform integer in [min, max] (both inclusive). */
  int(min: number, max: number): number;
  /** A new independent stream derived from this one (for giving each node its own). */
  fork(): Random;
}

export class SeededRandom implements Random {
  readonly seed: number;
  readonly #rng: ReturnType<typeof xoroshiro128plus>;

  constructor(seed: number) {
    if (!Number.isSafeInteger(seed)) throw new InvalidArgumentError(`seed must be an integer, got ${seed}`);
    this.seed = seed;
    // xoroshiro128plus takes a 32-bit seed; fold the high bits in so large seeds differ.
    this.#rng = xoroshiro128plus((seed ^ Math.floor(seed / 2 ** 32)) | 0);
  }

  float(): number {
    return uniformFloat64(this.#rng);
  }

  int(min: number, max: number): number {
    if (!Number.isSafeInteger(min) || !Number.isSafeInteger(max) || max < min) {
      throw new InvalidArgumentError(`int(${min}, ${max}): need integers with min <= max`);
    }
    return min + Math.floor(this.float() * (max - min + 1));
  }

  fork(): Random {
    return new SeededRandom(this.int(0, 2 ** 31 - 1) * 2 ** 20 + this.int(0, 2 ** 20 - 1));
  }
}

/** Standard normal draw (Box–Muller), from any `Random`. */
export function normal(random: Random, mean = 0, stdDev = 1): number {
  let u = random.float();
  while (u === 0) u = random.float();
  const v = random.float();
  return mean + stdDev * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

/** Exponential draw with the given mean. */
export function exponential(random: Random, mean: number): number {
  return -mean * Math.log(1 - random.float());
}
