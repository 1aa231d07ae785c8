import { assert } from '../core/errors.js';

/**
 * A fixed-capacity ring of numbers with a running sum and sum of squares, so the mean and
 * variance of the last `capacity` samples cost O(1). Memory is O(capacity).
 * Running sums drift with floating-point error; they are recomputed from the samples every
 * `capacity` pushes (amortised O(1)).
 */
export class StatsRing {
  readonly capacity: number;
  readonly #values: Float64Array;
  #start = 0;
  #size = 0;
  #sum = 0;
  #sumSquares = 0;
  #pushesSinceRecompute = 0;

  constructor(capacity: number) {
    assert(Number.isSafeInteger(capacity) && capacity >= 1, 'ring capacity is a positive integer');
    this.capacity = capacity;
    this.#values = new Float64Array(capacity);
  }

  get size(): number {
    return this.#size;
  }

  /** Appends a sample, evicting the oldest when full. Returns the evicted sample or undefined. */
  push(value: number): number | undefined {
    let evicted: number | undefined;
    if (this.#size === this.capacity) {
      evicted = this.#values[this.#start]!;
      this.#values[this.#start] = value;
      this.#start = (this.#start + 1) % this.capacity;
      this.#sum += value - evicted;
      this.#sumSquares += value * value - evicted * evicted;
    } else {
      this.#values[(this.#start + this.#size) % this.capacity] = value;
      this.#size++;
      this.#sum += value;
      this.#sumSquares += value * value;
    }
    if (++this.#pushesSinceRecompute >= this.capacity) this.#recompute();
    return evicted;
  }

  /** The i-th sample, 0 = oldest. */
  at(i: number): number {
    assert(i >= 0 && i < this.#size, 'ring index in range');
    return this.#values[(this.#start + i) % this.capacity]!;
  }

  /** The newest sample (ring must be non-empty). */
  last(): number {
    return this.at(this.#size - 1);
  }

  get sum(): number {
    return this.#sum;
  }

  mean(): number {
    assert(this.#size > 0, 'mean of a non-empty ring');
    return this.#sum / this.#size;
  }

  /** Population variance (>= 0). */
  variance(): number {
    assert(this.#size > 0, 'variance of a non-empty ring');
    const m = this.#sum / this.#size;
    return Math.max(0, this.#sumSquares / this.#size - m * m);
  }

  /** Copies the samples (oldest first) into `out`, which must hold `size` values. */
  copyTo(out: Float64Array): void {
    assert(out.length >= this.#size, 'copy target large enough');
    const firstLength = Math.min(this.#size, this.capacity - this.#start);
    out.set(this.#values.subarray(this.#start, this.#start + firstLength), 0);
    if (firstLength < this.#size) out.set(this.#values.subarray(0, this.#size - firstLength), firstLength);
  }

  clear(): void {
    this.#start = 0;
    this.#size = 0;
    this.#sum = 0;
    this.#sumSquares = 0;
    this.#pushesSinceRecompute = 0;
  }

  #recompute(): void {
    let sum = 0;
    let sumSquares = 0;
    for (let i = 0; i < this.#size; i++) {
      const v = this.#values[(this.#start + i) % this.capacity]!;
      sum += v;
      sumSquares += v * v;
    }
    this.#sum = sum;
    this.#sumSquares = sumSquares;
    this.#pushesSinceRecompute = 0;
  }
}
