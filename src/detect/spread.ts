import { assert } from '../core/errors.js';
import { quantileInPlace } from './quantile.js';
import { StatsRing } from './ring.js';

/** The long-window median is recomputed every this many samples (amortised O(1)). */
const LONG_RECOMPUTE_EVERY = 256;
/** While the long window is this small, its median is recomputed at every sample. */
const LONG_WARMUP_SAMPLES = 64;
/** The short-window median is recomputed every this many samples once the short window is full. */
const SHORT_RECOMPUTE_EVERY = 16;

/**
 * A robust, low-noise spread estimate that still follows a regime change quickly: the median of
 * the last `longSize` samples (prediction errors, in ms), restarted from the last `shortSize`
 * samples when the short-window median differs from it by more than `changeRatio` either way.
 *
 * On a stationary stream the long median barely moves (low noise: a noisy margin costs accuracy),
 * and after a change (the network becomes 5× slower) the estimate is re-learned in about
 * `shortSize` samples instead of `longSize`. `add` reports whether a change was detected.
 */
export class ChangeAwareSpread {
  readonly changeRatio: number;
  readonly #long: StatsRing;
  readonly #short: StatsRing;
  readonly #scratch: Float64Array;
  #longMedian = 0;
  #sinceLong = 0;
  #sinceShort = 0;

  constructor(longSize: number, shortSize: number, changeRatio: number) {
    assert(Number.isSafeInteger(shortSize) && shortSize >= 1 && longSize >= 2 * shortSize, 'spread: 1 <= 2·shortSize <= longSize');
    assert(changeRatio > 1, 'spread: changeRatio > 1');
    this.changeRatio = changeRatio;
    this.#long = new StatsRing(longSize);
    this.#short = new StatsRing(shortSize);
    this.#scratch = new Float64Array(longSize);
  }

  /** The current spread: the long-window median (0 before any sample). */
  get valueMs(): number {
    return this.#longMedian;
  }

  /** Adds a sample (>= 0); returns true if it completed the evidence of a regime change. */
  add(sampleMs: number): boolean {
    assert(sampleMs >= 0, 'spread samples are >= 0');
    this.#long.push(sampleMs);
    this.#short.push(sampleMs);
    if (++this.#sinceLong >= LONG_RECOMPUTE_EVERY || this.#long.size < LONG_WARMUP_SAMPLES) this.#recomputeLong();
    const short = this.#short;
    if (short.size < short.capacity || ++this.#sinceShort < SHORT_RECOMPUTE_EVERY) return false;
    this.#sinceShort = 0;
    if (this.#long.size < 2 * short.capacity) return false;
    short.copyTo(this.#scratch);
    const shortMedian = quantileInPlace(this.#scratch, short.size, 0.5);
    const longMedian = this.#longMedian;
    if (shortMedian <= this.changeRatio * longMedian && shortMedian * this.changeRatio >= longMedian) return false;
    // A regime change: restart the long window from the short one.
    this.#long.clear();
    short.copyTo(this.#scratch);
    for (let i = 0; i < short.size; i++) this.#long.push(this.#scratch[i]!);
    this.#recomputeLong();
    return true;
  }

  clear(): void {
    this.#long.clear();
    this.#short.clear();
    this.#longMedian = 0;
    this.#sinceLong = 0;
    this.#sinceShort = 0;
  }

  #recomputeLong(): void {
    this.#sinceLong = 0;
    this.#long.copyTo(this.#scratch);
    this.#longMedian = quantileInPlace(this.#scratch, this.#long.size, 0.5);
  }
}
