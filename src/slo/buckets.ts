import { assert, InvalidArgumentError, LimitExceededError } from '../core/errors.js';
import { SloLimits } from './limits.js';

const SECOND_MS = 1000;
const MINUTE_MS = 60 * SECOND_MS;
const HOUR_MS = 60 * MINUTE_MS;

/** Bucket widths tried, finest first. */
export const BUCKET_WIDTH_CANDIDATES_MS: readonly number[] = [
  10 * SECOND_MS,
  30 * SECOND_MS,
  MINUTE_MS,
  5 * MINUTE_MS,
  10 * MINUTE_MS,
  15 * MINUTE_MS,
  30 * MINUTE_MS,
  HOUR_MS,
  2 * HOUR_MS,
  6 * HOUR_MS,
  24 * HOUR_MS,
];

/** Ring slots needed to keep `retentionMs` of history in buckets of `widthMs`. */
export function slotsFor(retentionMs: number, widthMs: number): number {
  return Math.ceil(retentionMs / widthMs) + 1;
}

/**
 * The finest candidate width whose ring for `retentionMs` fits in `SloLimits.bucketsMax`
 * slots: 30 days → 1 minute (43 201 slots), 7 days → 30 s, 3 days → 10 s.
 */
export function chooseBucketWidthMs(retentionMs: number): number {
  for (const w of BUCKET_WIDTH_CANDIDATES_MS) {
    if (slotsFor(retentionMs, w) <= SloLimits.bucketsMax) return w;
  }
  throw new LimitExceededError('SloLimits.bucketsMax', slotsFor(retentionMs, HOUR_MS * 24), SloLimits.bucketsMax);
}

/**
 * Counts in fixed-width time buckets, kept in a ring of `slots` slots: bucket `b` covers
 * [b·widthMs, (b+1)·widthMs) and lives in slot `b mod slots`. Each bucket holds
 * `columns` counters. The ring keeps the newest `slots` buckets; older ones are forgotten
 * (a slot is reset when a newer bucket claims it).
 *
 * Invariants: `index[s]` is -1 (empty) or a bucket `b` with `b mod slots = s`;
 * every kept bucket is within `slots` of `newestBucket`.
 */
export class BucketRing {
  readonly widthMs: number;
  readonly slots: number;
  readonly columns: number;
  readonly #index: Float64Array;
  readonly #counts: Float64Array;
  #newestBucket = Number.NEGATIVE_INFINITY;

  constructor(widthMs: number, slots: number, columns: number) {
    if (!Number.isSafeInteger(widthMs) || widthMs < 1) {
      throw new InvalidArgumentError(`bucket width must be a whole number of ms >= 1, got ${widthMs}`);
    }
    if (!Number.isSafeInteger(slots) || slots < 2 || slots > SloLimits.bucketsMax) {
      throw new LimitExceededError('SloLimits.bucketsMax', slots, SloLimits.bucketsMax);
    }
    assert(Number.isSafeInteger(columns) && columns >= 1, 'bucket ring needs at least one column');
    this.widthMs = widthMs;
    this.slots = slots;
    this.columns = columns;
    this.#index = new Float64Array(slots).fill(-1);
    this.#counts = new Float64Array(slots * columns);
  }

  /** The bucket number holding time `atMs`. */
  bucketOf(atMs: number): number {
    return Math.floor(atMs / this.widthMs);
  }

  get newestBucket(): number {
    return this.#newestBucket;
  }

  /** Oldest bucket still kept (anything older is forgotten). */
  oldestKeptBucket(): number {
    return this.#newestBucket - this.slots + 1;
  }

  /**
   * Add `amounts` (one per column) to bucket `b`. Returns false (and adds nothing) when
   * `b` is older than the ring keeps.
   */
  add(b: number, amounts: ArrayLike<number>): boolean {
    assert(Number.isSafeInteger(b) && b >= 0, `bucket must be a non-negative integer, got ${b}`);
    assert(amounts.length === this.columns, 'one amount per column');
    if (b < this.oldestKeptBucket()) return false;
    const s = b % this.slots;
    const base = s * this.columns;
    if (this.#index[s] !== b) {
      assert((this.#index[s] ?? -1) < b, 'a slot is only ever reclaimed by a newer bucket');
      this.#index[s] = b;
      this.#counts.fill(0, base, base + this.columns);
    }
    for (let c = 0; c < this.columns; c++) this.#counts[base + c]! += amounts[c]!;
    if (b > this.#newestBucket) this.#newestBucket = b;
    return true;
  }

  /** Column `c` of bucket `b`, or 0 when the bucket is not kept. */
  get(b: number, c: number): number {
    const s = b % this.slots;
    return this.#index[s] === b ? this.#counts[s * this.columns + c]! : 0;
  }

  /** Whether bucket `b` is kept (it may still hold only zeros). */
  has(b: number): boolean {
    return b >= 0 && this.#index[b % this.slots] === b;
  }

  /** Kept buckets, oldest first: `[bucket, counts…]`. Bounded by `slots`. */
  entries(): number[][] {
    const out: number[][] = [];
    if (!Number.isFinite(this.#newestBucket)) return out;
    const first = Math.max(0, this.oldestKeptBucket());
    for (let b = first; b <= this.#newestBucket; b++) {
      if (!this.has(b)) continue;
      const row = [b];
      for (let c = 0; c < this.columns; c++) row.push(this.get(b, c));
      out.push(row);
    }
    return out;
  }
}
