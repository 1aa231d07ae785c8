import { assert } from '../core/errors.js';
import type { LogIndex } from '../core/ids.js';

/**
 * The sliding window of AppendEntries sent to one follower and not yet acknowledged,
 * bounded by a message count and (optionally) a byte total.
 */
export class Inflights {
  readonly #sizeMax: number;
  readonly #bytesMax: number;
  #items: { index: LogIndex; bytes: number }[] = [];
  #bytes = 0;

  constructor(sizeMax: number, bytesMax: number) {
    assert(sizeMax > 0, 'inflight window needs room for one message');
    this.#sizeMax = sizeMax;
    this.#bytesMax = bytesMax;
  }

  get count(): number {
    return this.#items.length;
  }

  get bytes(): number {
    return this.#bytes;
  }

  add(index: LogIndex, bytes: number): void {
    assert(!this.full(), 'cannot add to a full inflight window');
    const last = this.#items[this.#items.length - 1];
    assert(last === undefined || index > last.index, 'inflight indexes must grow');
    this.#items.push({ index, bytes });
    this.#bytes += bytes;
  }

  /** Acknowledge everything up to and including `to`. */
  freeLE(to: LogIndex): void {
    let n = 0;
    while (n < this.#items.length && this.#items[n]!.index <= to) {
      this.#bytes -= this.#items[n]!.bytes;
      n++;
    }
    if (n > 0) this.#items = this.#items.slice(n);
  }

  freeFirstOne(): void {
    const first = this.#items[0];
    if (first !== undefined) this.freeLE(first.index);
  }

  full(): boolean {
    return this.#items.length >= this.#sizeMax || (this.#bytesMax > 0 && this.#bytes >= this.#bytesMax);
  }

  reset(): void {
    this.#items = [];
    this.#bytes = 0;
  }
}
