import { assert, InvalidArgumentError } from '../core/errors.js';
import { ProbeLimits } from './probe-limits.js';

/** Where every prober keeps its keys: `nines-probe/<id>/<slot>`. */
export const PROBE_KEY_ROOT = 'nines-probe/';

/** A write of the prober's next sequence number to its slot key. */
export interface ProbeWrite {
  readonly kind: 'write';
  readonly seq: number;
  readonly key: string;
  /** The decimal sequence number. */
  readonly value: string;
}

/**
 * A linearizable read of the key of the newest acknowledged write. It must return a
 * sequence number of the same slot that is at least `minSeq` (the acknowledged one, or a
 * later write whose outcome was unknown); anything else — an older value, a missing key —
 * is a stale read.
 */
export interface ProbeRead {
  readonly kind: 'read';
  readonly key: string;
  readonly minSeq: number;
}

export type ProbeStep = ProbeWrite | ProbeRead;

/** The verdict on a read's answer. */
export type ReadCheck = { readonly ok: true } | { readonly ok: false; readonly error: 'STALE_READ'; readonly message: string };

const ID_RE = /^[A-Za-z0-9_.-]+$/;

/** Check a prober id: letters, digits, `_ . -`, 1 to `ProbeLimits.idCharsMax` characters. */
export function checkProbeId(id: string): string {
  if (id.length === 0 || id.length > ProbeLimits.idCharsMax || !ID_RE.test(id)) {
    throw new InvalidArgumentError(
      `--id "${id}" is not a valid prober id (1 to ${ProbeLimits.idCharsMax} letters, digits, _ . -)`,
    );
  }
  return id;
}

/**
 * What a prober sends and how it judges the answers. Pure: the caller does the I/O.
 * Each cycle is `nextWrite()` then, once some write has been acknowledged, `nextRead()`.
 * Writes go to `keySlots` keys in turn (`seq mod keySlots`), so the prober's footprint is
 * bounded; values are the sequence numbers, so a read can tell an old value from a new one.
 *
 * Invariant: `ackedSeq < nextSeq` (an acknowledged write was issued before).
 */
export class ProbeSession {
  readonly id: string;
  readonly keyPrefix: string;
  readonly keySlots: number;
  #nextSeq = 1;
  #ackedSeq = 0;

  constructor(id: string, keySlots: number = ProbeLimits.keySlots) {
    this.id = checkProbeId(id);
    assert(Number.isSafeInteger(keySlots) && keySlots >= 1, 'keySlots must be a positive integer');
    this.keySlots = keySlots;
    this.keyPrefix = `${PROBE_KEY_ROOT}${id}/`;
  }

  keyOf(seq: number): string {
    return `${this.keyPrefix}${seq % this.keySlots}`;
  }

  /** The newest acknowledged write's sequence number (0: none yet). */
  get ackedSeq(): number {
    return this.#ackedSeq;
  }

  nextWrite(): ProbeWrite {
    const seq = this.#nextSeq++;
    return { kind: 'write', seq, key: this.keyOf(seq), value: String(seq) };
  }

  /** Report a write's fate: acknowledged (2xx) or not. */
  writeDone(w: ProbeWrite, acknowledged: boolean): void {
    assert(w.seq < this.#nextSeq, 'writeDone for a write that was never issued');
    if (acknowledged && w.seq > this.#ackedSeq) this.#ackedSeq = w.seq;
    assert(this.#ackedSeq < this.#nextSeq, 'acked < next');
  }

  /** A read of the newest acknowledged write's key, or undefined before any was acknowledged. */
  nextRead(): ProbeRead | undefined {
    if (this.#ackedSeq === 0) return undefined;
    return { kind: 'read', key: this.keyOf(this.#ackedSeq), minSeq: this.#ackedSeq };
  }

  /** Judge a read's value (`undefined`: the key was not found). */
  checkRead(r: ProbeRead, value: string | undefined): ReadCheck {
    const slot = r.minSeq % this.keySlots;
    const seq = value !== undefined && /^\d+$/.test(value) ? Number(value) : Number.NaN;
    if (Number.isSafeInteger(seq) && seq >= r.minSeq && seq < this.#nextSeq && seq % this.keySlots === slot) {
      return { ok: true };
    }
    const got = value === undefined ? 'no value (key not found)' : `"${value.slice(0, 40)}"`;
    return {
      ok: false,
      error: 'STALE_READ',
      message: `read of ${r.key} returned ${got}, expected write #${r.minSeq} or a later one of that key`,
    };
  }
}

/**
 * Whether a probe attempt that failed on one endpoint with HTTP `status` (0: no answer —
 * refused, reset, timed out) goes on to the next endpoint. Every probe request is
 * idempotent (a write re-puts the same value to the same key), so any server-side failure
 * may be retried elsewhere; a client error (4xx other than 429) would fail everywhere.
 */
export function failsOver(status: number): boolean {
  return status === 0 || status === 429 || status >= 500;
}

/** The order in which one attempt tries `count` endpoints, starting with `preferred`. */
export function failoverOrder(preferred: number, count: number): number[] {
  assert(Number.isSafeInteger(count) && count >= 1 && preferred >= 0 && preferred < count, 'preferred endpoint in range');
  return Array.from({ length: count }, (_, i) => (preferred + i) % count);
}
