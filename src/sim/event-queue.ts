import { LimitExceededError } from '../core/errors.js';
import { assert } from '../core/errors.js';

/**
 * A priority queue of timed events: a binary min-heap ordered by (timeMs, seq), where `seq`
 * is the insertion number. Two events at the same virtual time leave in the order they were
 * scheduled, so a run never depends on heap internals: the basis of determinism.
 */
export class EventQueue<T> {
  readonly #times: number[] = [];
  readonly #seqs: number[] = [];
  readonly #items: T[] = [];
  #nextSeq = 0;
  readonly #sizeMax: number;

  constructor(sizeMax: number) {
    this.#sizeMax = sizeMax;
  }

  get size(): number {
    return this.#items.length;
  }

  /** Schedule `item` at `timeMs` (finite, >= 0). Throws LimitExceededError when full. */
  push(timeMs: number, item: T): void {
    assert(Number.isFinite(timeMs) && timeMs >= 0, `event time must be finite and >= 0, got ${timeMs}`);
    if (this.#items.length >= this.#sizeMax) {
      throw new LimitExceededError('queuedEventsMax', this.#items.length + 1, this.#sizeMax);
    }
    this.#times.push(timeMs);
    this.#seqs.push(this.#nextSeq++);
    this.#items.push(item);
    this.#up(this.#items.length - 1);
  }

  /** Time of the earliest event, or undefined when empty. */
  peekTimeMs(): number | undefined {
    return this.#times[0];
  }

  /** Remove and return the earliest event, or undefined when empty. */
  pop(): { timeMs: number; item: T } | undefined {
    const n = this.#items.length;
    if (n === 0) return undefined;
    const timeMs = this.#times[0]!;
    const item = this.#items[0]!;
    const last = n - 1;
    if (last > 0) this.#move(last, 0);
    this.#times.pop();
    this.#seqs.pop();
    this.#items.pop();
    if (last > 0) this.#down(0);
    return { timeMs, item };
  }

  #less(i: number, j: number): boolean {
    const ti = this.#times[i]!;
    const tj = this.#times[j]!;
    return ti < tj || (ti === tj && this.#seqs[i]! < this.#seqs[j]!);
  }

  #move(from: number, to: number): void {
    this.#times[to] = this.#times[from]!;
    this.#seqs[to] = this.#seqs[from]!;
    this.#items[to] = this.#items[from]!;
  }

  #swap(i: number, j: number): void {
    const t = this.#times[i]!;
    const s = this.#seqs[i]!;
    const x = this.#items[i]!;
    this.#move(j, i);
    this.#times[j] = t;
    this.#seqs[j] = s;
    this.#items[j] = x;
  }

  #up(i: number): void {
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.#less(i, parent)) return;
      this.#swap(i, parent);
      i = parent;
    }
  }

  #down(i: number): void {
    const n = this.#items.length;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < n && this.#less(l, m)) m = l;
      if (r < n && this.#less(r, m)) m = r;
      if (m === i) return;
      this.#swap(i, m);
      i = m;
    }
  }
}
