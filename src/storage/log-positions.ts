import { assert } from '../core/errors.js';
import type { EntrySpan } from './wal-codec.js';

/**
 * Where every live log entry is on disk (WAL segment and byte span) and its term, so `term()` needs
 * no disk read and `entries()` reads exactly one record per entry missing from the tail cache.
 * Covers the contiguous run `first..last`. A slot with segment 0 is a placeholder (the term of the
 * position just before a reset log, or of the compaction point) with no record on disk.
 *
 * Invariant: terms.length === seqs.length === spans.length === last - first + 1.
 */
export class LogPositions {
  #first = 1;
  #terms: number[] = [];
  #seqs: number[] = [];
  #spans: EntrySpan[] = [];

  get first(): number {
    return this.#first;
  }
  /** first - 1 when empty. */
  get last(): number {
    return this.#first + this.#terms.length - 1;
  }
  get isEmpty(): boolean {
    return this.#terms.length === 0;
  }

  has(index: number): boolean {
    return index >= this.#first && index <= this.last;
  }

  term(index: number): number | undefined {
    return this.has(index) ? this.#terms[index - this.#first] : undefined;
  }

  /** Segment and span of the record of `index`; undefined for a placeholder or an absent index. */
  location(index: number): { seq: number; span: EntrySpan } | undefined {
    if (!this.has(index)) return undefined;
    const seq = this.#seqs[index - this.#first]!;
    return seq === 0 ? undefined : { seq, span: this.#spans[index - this.#first]! };
  }

  /** Empty the run; the next `push` may start anywhere. */
  reset(first: number): void {
    this.#first = first;
    this.#terms = [];
    this.#seqs = [];
    this.#spans = [];
  }

  /** Append `index` (must be last + 1, or anything when empty). seq 0 marks a placeholder. */
  push(index: number, term: number, seq: number, span: EntrySpan): void {
    if (this.isEmpty) this.#first = index;
    assert(index === this.last + 1, 'log positions must stay contiguous');
    this.#terms.push(term);
    this.#seqs.push(seq);
    this.#spans.push(span);
  }

  /** Drop every index >= `index`. */
  truncateFrom(index: number): void {
    const keep = Math.max(0, index - this.#first);
    if (keep >= this.#terms.length) return;
    this.#terms.length = keep;
    this.#seqs.length = keep;
    this.#spans.length = keep;
  }

  /** Drop every index <= `index`. */
  dropThrough(index: number): void {
    const drop = Math.min(this.#terms.length, index - this.#first + 1);
    if (drop <= 0) return;
    this.#terms.splice(0, drop);
    this.#seqs.splice(0, drop);
    this.#spans.splice(0, drop);
    this.#first += drop;
  }
}
