import { assert } from '../core/errors.js';
import type { KvRecord } from './key-index.js';

/** One key's change at one revision, with the version it replaced (if the key was live). */
export interface Change {
  readonly record: KvRecord;
  readonly prev: KvRecord | undefined;
}

/**
 * The change log by revision (what watches replay). Holds every revision from `first` to
 * `last`; each mutating revision has at least one change. Compaction at C keeps revision C
 * itself, so a watch may resume from the compacted revision without missing an event.
 *
 * Invariant: `#revs[i]` holds the changes of revision `#first + i`, in the order applied.
 */
export class History {
  #first = 2;
  #revs: (readonly Change[])[] = [];

  /** Oldest revision held. */
  get first(): number {
    return this.#first;
  }

  /** Newest revision held (first - 1 when empty). */
  get last(): number {
    return this.#first + this.#revs.length - 1;
  }

  push(revision: number, changes: readonly Change[]): void {
    if (this.#revs.length === 0) this.#first = revision;
    assert(revision === this.last + 1, 'history revisions are consecutive');
    assert(changes.length > 0, 'a mutating revision has changes');
    this.#revs.push(changes);
  }

  /** Changes at `revision`; empty outside [first, last]. */
  at(revision: number): readonly Change[] {
    return this.#revs[revision - this.#first] ?? [];
  }

  /** Drops revisions below `revision`. */
  compact(revision: number): void {
    const drop = Math.min(Math.max(0, revision - this.#first), this.#revs.length);
    if (drop > 0) this.#revs = this.#revs.slice(drop);
    this.#first = Math.max(this.#first, revision);
  }

  /** Every held revision with its changes, oldest first. */
  *entries(): Generator<[number, readonly Change[]]> {
    for (let i = 0; i < this.#revs.length; i++) yield [this.#first + i, this.#revs[i] as readonly Change[]];
  }

  /** Rebuilds from a snapshot: `first` and consecutive revisions from it. */
  load(first: number, revs: (readonly Change[])[]): void {
    assert(this.#revs.length === 0, 'load into an empty history');
    this.#first = first;
    this.#revs = revs;
  }
}
