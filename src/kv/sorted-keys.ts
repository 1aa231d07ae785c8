import { assert } from '../core/errors.js';

/** Entries per chunk before it splits: inserts move at most this many references. */
const CHUNK_ENTRIES_MAX = 1024;

/** Anything kept in key order. */
export interface Keyed {
  readonly key: string;
}

/**
 * Entries sorted by their binary-string key, kept as a list of sorted chunks (a two-level
 * "sorted list"): inserting moves at most `CHUNK_ENTRIES_MAX` references, and a walk from a
 * key costs two binary searches, then one step per entry.
 *
 * Invariants: every chunk is non-empty and sorted; the last key of each chunk is below the
 * first key of the next; keys are unique; `#size` is the total number of entries.
 */
export class SortedKeys<T extends Keyed> {
  #chunks: T[][] = [];
  #size = 0;

  get size(): number {
    return this.#size;
  }

  /** Adds `entry`; returns false (and changes nothing) if its key is already there. */
  insert(entry: T): boolean {
    if (this.#chunks.length === 0) {
      this.#chunks.push([entry]);
      this.#size = 1;
      return true;
    }
    const c = Math.min(this.#chunkFor(entry.key), this.#chunks.length - 1);
    const chunk = this.#chunks[c] as T[];
    const i = lowerBound(chunk, entry.key);
    if (chunk[i]?.key === entry.key) return false;
    chunk.splice(i, 0, entry);
    this.#size++;
    if (chunk.length > CHUNK_ENTRIES_MAX) {
      const half = chunk.length >> 1;
      this.#chunks.splice(c, 1, chunk.slice(0, half), chunk.slice(half));
    }
    return true;
  }

  /**
   * Calls `visit` for entries with key ≥ `start`, ascending, until it returns false.
   * The set must not change during the walk.
   */
  walk(start: string, visit: (entry: T) => boolean): void {
    const first = this.#chunkFor(start);
    for (let c = first; c < this.#chunks.length; c++) {
      const chunk = this.#chunks[c] as T[];
      for (let i = c === first ? lowerBound(chunk, start) : 0; i < chunk.length; i++) {
        if (!visit(chunk[i] as T)) return;
      }
    }
  }

  /** Every entry, ascending. */
  toArray(): T[] {
    return this.#chunks.flat();
  }

  /** Keeps only the entries for which `keep` is true. */
  retain(keep: (entry: T) => boolean): void {
    const chunks: T[][] = [];
    let size = 0;
    for (const chunk of this.#chunks) {
      const kept = chunk.filter(keep);
      if (kept.length > 0) chunks.push(kept);
      size += kept.length;
    }
    this.#chunks = chunks;
    this.#size = size;
  }

  /** First chunk whose last key is ≥ key (chunks.length if none). */
  #chunkFor(key: string): number {
    let lo = 0;
    let hi = this.#chunks.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const chunk = this.#chunks[mid] as T[];
      assert(chunk.length > 0, 'chunks are non-empty');
      if ((chunk[chunk.length - 1] as T).key < key) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

/** First position in `entries` (sorted by key) whose key is ≥ `key`. */
function lowerBound(entries: readonly Keyed[], key: string): number {
  let lo = 0;
  let hi = entries.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((entries[mid] as Keyed).key < key) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
