import { assert } from '../core/errors.js';

/**
 * How many times larger than the largest recent pause the campaign wait is made
 * (a pause of the same length again must not look like a crash).
 */
export const PAUSE_MARGIN_RATIO = 1.25;

/**
 * Random spread of the penalty wait: a node waits penalty × (1 + spread × u), u in [0, 1)
 * (the same u as its floor draw), so that nodes with the same penalty do not campaign at
 * the same moment.
 */
export const PAUSE_PENALTY_SPREAD = 0.25;

/** Halvings after which a penalty is treated as gone (2^-40 of anything here is < 1 µs). */
const HALVINGS_MAX = 40;

/**
 * The penalty `peakMs` set `elapsedMs` ago, halved once per full `halfLifeMs` since.
 * Pure; table-tested.
 */
export function decayedPenaltyMs(peakMs: number, elapsedMs: number, halfLifeMs: number): number {
  assert(peakMs >= 0 && halfLifeMs > 0, 'decayedPenaltyMs: peak >= 0 and half-life > 0');
  if (peakMs === 0) return 0;
  const halvings = Math.floor(Math.max(0, elapsedMs) / halfLifeMs);
  return halvings >= HALVINGS_MAX ? 0 : peakMs / 2 ** halvings;
}

/**
 * A node's memory of how long processes of its cluster have recently stalled (a leader's
 * GC pause that looked like a crash). Per node, not per leader: pauses are a property of
 * the processes and the next one will be a different leader's.
 *
 * penaltyMs(now) = the largest penalty adopted, halved every `halfLifeMs` (virtual time,
 * as passed to tick) since it was adopted, where a pause of p ms adopts
 * min(p × PAUSE_MARGIN_RATIO, penaltyMaxMs). A smaller value never replaces a larger
 * current one; a larger one replaces it and restarts the decay.
 *
 * Invariant: 0 <= penaltyMs(now) <= penaltyMaxMs.
 */
export class PauseMemory {
  readonly #penaltyMaxMs: number;
  readonly #halfLifeMs: number;
  #peakMs = 0;
  #sinceMs = 0;

  constructor(penaltyMaxMs: number, halfLifeMs: number) {
    assert(penaltyMaxMs > 0 && Number.isFinite(penaltyMaxMs), 'PauseMemory: penaltyMaxMs > 0');
    assert(halfLifeMs > 0 && Number.isFinite(halfLifeMs), 'PauseMemory: halfLifeMs > 0');
    this.#penaltyMaxMs = penaltyMaxMs;
    this.#halfLifeMs = halfLifeMs;
  }

  get penaltyMaxMs(): number {
    return this.#penaltyMaxMs;
  }

  /** The current penalty at `nowMs` (0 when nothing was learnt or it decayed away). */
  penaltyMs(nowMs: number): number {
    const p = decayedPenaltyMs(this.#peakMs, nowMs - this.#sinceMs, this.#halfLifeMs);
    assert(p >= 0 && p <= this.#penaltyMaxMs, 'penalty within [0, max]');
    return p;
  }

  /** A process was seen to stall for `pauseMs` at `nowMs`. Returns true if the penalty grew. */
  recordPause(pauseMs: number, nowMs: number): boolean {
    return this.adopt(pauseMs * PAUSE_MARGIN_RATIO, nowMs);
  }

  /**
   * Adopt a penalty learnt locally (`ageMs` 0) or gossiped by a peer that learnt it
   * `ageMs` ago, if its decayed value now is larger than the current one. The decay keeps
   * the original schedule (learnt at nowMs − ageMs), so two nodes gossiping the same
   * observation back and forth cannot keep it alive. Values that are not finite numbers
   * (penalty > 0, age >= 0) are ignored: they come from the network.
   */
  adopt(penaltyMs: number, nowMs: number, ageMs = 0): boolean {
    if (!Number.isFinite(penaltyMs) || penaltyMs <= 0 || !Number.isFinite(ageMs) || ageMs < 0) return false;
    const peak = Math.min(penaltyMs, this.#penaltyMaxMs);
    if (decayedPenaltyMs(peak, ageMs, this.#halfLifeMs) <= this.penaltyMs(nowMs)) return false;
    this.#peakMs = peak;
    this.#sinceMs = nowMs - ageMs;
    return true;
  }

  /** For gossip: the penalty as learnt (before decay) and how long ago, or undefined when gone. */
  gossip(nowMs: number): { readonly peakMs: number; readonly ageMs: number } | undefined {
    if (this.penaltyMs(nowMs) === 0) return undefined;
    return { peakMs: this.#peakMs, ageMs: Math.max(0, nowMs - this.#sinceMs) };
  }
}
