import { assert } from '../core/errors.js';
import type { Entry } from '../raft/types.js';
import { StorageLimits } from './limits.js';

/**
 * The most recent log entries, in memory: a contiguous run ending at the last index, bounded by
 * `bytesMax` (data length plus a fixed per-entry overhead). Older entries are evicted from the
 * front and read from LMDB instead.
 *
 * Invariant: entries[i].index === firstIndex + i.
 */
export class LogTailCache {
  readonly bytesMax: number;
  #entries: Entry[] = [];
  #head = 0;
  #bytes = 0;

  constructor(bytesMax: number) {
    assert(Number.isFinite(bytesMax) && bytesMax >= 0, 'cache bytesMax must be >= 0');
    this.bytesMax = bytesMax;
  }

  get sizeBytes(): number {
    return this.#bytes;
  }
  get length(): number {
    return this.#entries.length - this.#head;
  }
  /** Index of the first cached entry, or undefined when empty. */
  get firstIndex(): number | undefined {
    return this.#entries[this.#head]?.index;
  }

  get(index: number): Entry | undefined {
    const first = this.firstIndex;
    if (first === undefined || index < first) return undefined;
    return this.#entries[this.#head + index - first];
  }

  /** Append entries; the first must directly follow the cached tail (or the cache is reset). */
  append(entries: readonly Entry[]): void {
    for (const entry of entries) {
      const last = this.#entries[this.#entries.length - 1];
      if (this.length > 0 && last !== undefined && entry.index !== last.index + 1) this.clear();
      this.#entries.push(entry);
      this.#bytes += sizeOf(entry);
    }
    this.#evict();
  }

  /** Drop every cached entry with index >= `index`. */
  truncateFrom(index: number): void {
    const first = this.firstIndex;
    if (first === undefined) return;
    if (index <= first) {
      this.clear();
      return;
    }
    while (this.length > 0) {
      const last = this.#entries[this.#entries.length - 1]!;
      if (last.index < index) break;
      this.#entries.pop();
      this.#bytes -= sizeOf(last);
    }
  }

  /** Drop every cached entry with index <= `index`. */
  dropThrough(index: number): void {
    while (this.length > 0) {
      const head = this.#entries[this.#head]!;
      if (head.index > index) break;
      this.#dropHead();
    }
    this.#compactArray();
  }

  clear(): void {
    this.#entries = [];
    this.#head = 0;
    this.#bytes = 0;
  }

  #evict(): void {
    while (this.#bytes > this.bytesMax && this.length > 0) this.#dropHead();
    this.#compactArray();
  }

  #dropHead(): void {
    const head = this.#entries[this.#head]!;
    this.#entries[this.#head] = undefined as unknown as Entry;
    this.#head++;
    this.#bytes -= sizeOf(head);
  }

  #compactArray(): void {
    if (this.#head > 1024 && this.#head * 2 > this.#entries.length) {
      this.#entries = this.#entries.slice(this.#head);
      this.#head = 0;
    }
  }
}

function sizeOf(entry: Entry): number {
  return entry.data.length + StorageLimits.entryOverheadBytes;
}
