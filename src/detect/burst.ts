import { assert } from '../core/errors.js';

/** Weight of the prior "long gaps are independent" in long gaps. */
const PRIOR_LONG_GAPS = 2;

/**
 * Learns whether long gaps (lost heartbeats, pauses) come in bursts, and keeps a short memory of
 * extra patience only when they do.
 *
 * With decayed counts (memory ≈ `memory` gaps) it estimates P(long) and P(long | previous long);
 * the stream is *bursty* when P(long | long) > `burstRatio` · P(long). P(long | long) is shrunk
 * towards P(long) (a prior worth two long gaps), so a few long gaps do not make a stream bursty:
 * it takes long gaps seen following each other. After a long gap of a bursty stream the boost is set to
 * gain · (gap − typical gap) and decays by `decay` per heartbeat; on a stream whose long gaps are
 * independent (heavy-tailed delays, isolated GC pauses) or anti-correlated the boost stays 0, so
 * the detector keeps a steady deadline there (extra patience after an isolated event only costs
 * detection time).
 */
export class BurstMemory {
  readonly #forget: number;
  readonly #burstRatio: number;
  readonly #gain: number;
  readonly #decay: number;
  #gaps = 0;
  #long = 0;
  #longAfterLong = 0;
  #previousLong = false;
  #boostMs = 0;

  constructor(memory: number, burstRatio: number, gain: number, decay: number) {
    assert(memory >= 1 && burstRatio > 0 && gain >= 0 && decay > 0 && decay < 1, 'burst memory parameters in range');
    this.#forget = 1 - 1 / memory;
    this.#burstRatio = burstRatio;
    this.#gain = gain;
    this.#decay = decay;
  }

  /** The current extra patience (ms). */
  get boostMs(): number {
    return this.#boostMs;
  }

  /** Whether long gaps currently look clustered. */
  bursty(): boolean {
    const pLong = (this.#long + 1) / (this.#gaps + 2);
    const pLongAfterLong = (this.#longAfterLong + PRIOR_LONG_GAPS * pLong) / (this.#long + PRIOR_LONG_GAPS);
    return pLongAfterLong > this.#burstRatio * pLong;
  }

  /** Records a gap; `typicalGapMs` is the usual inter-arrival (a gap > 1.5× it is long). */
  observe(gapMs: number, typicalGapMs: number): void {
    const isLong = gapMs > 1.5 * typicalGapMs;
    this.#gaps = this.#gaps * this.#forget + 1;
    this.#long *= this.#forget;
    this.#longAfterLong *= this.#forget;
    if (isLong) {
      this.#long++;
      if (this.#previousLong) this.#longAfterLong++;
    }
    this.#previousLong = isLong;
    if (!this.bursty()) {
      this.#boostMs = 0;
      return;
    }
    this.#boostMs = Math.max(this.#boostMs * this.#decay, isLong ? this.#gain * (gapMs - typicalGapMs) : 0);
  }

  clear(): void {
    this.#gaps = 0;
    this.#long = 0;
    this.#longAfterLong = 0;
    this.#previousLong = false;
    this.#boostMs = 0;
  }
}
