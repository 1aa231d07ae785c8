import { assert } from '../core/errors.js';
import type { KeySpan } from './bytes.js';
import { SortedKeys } from './sorted-keys.js';

/**
 * One stored version of a key, or a tombstone (`value` null) marking its deletion. Records
 * are immutable and shared between the index, the history and snapshots.
 */
export interface KvRecord {
  /** Binary string of the key bytes (see bytes.ts). */
  readonly key: string;
  /** 0 for a tombstone. */
  readonly createRevision: number;
  readonly modRevision: number;
  /** 1 at creation, +1 per put; 0 for a tombstone. */
  readonly version: number;
  /** 0 for none (and for a tombstone). */
  readonly lease: number;
  /** null: a tombstone. */
  readonly value: Uint8Array | null;
}

export function isTombstone(record: KvRecord): boolean {
  return record.value === null;
}

/** A key and its records, oldest first. */
interface KeyEntry {
  readonly key: string;
  readonly records: KvRecord[];
}

/**
 * The MVCC index (etcd's treeIndex + keyIndex, flattened): for every key, its records in
 * increasing `modRevision`, so the key's state at any revision since compaction is the last
 * record at or below it (a tombstone meaning "absent"). Keys are kept in byte order for
 * range scans.
 *
 * Invariants: each key's records are non-empty and strictly increasing in modRevision;
 * `#sorted` holds exactly the entries of `#byKey`.
 */
export class KeyIndex {
  readonly #byKey = new Map<string, KeyEntry>();
  readonly #sorted = new SortedKeys<KeyEntry>();

  /** Number of keys with any record (live or not). */
  get size(): number {
    return this.#byKey.size;
  }

  /** The key's live record at `revision`, if the key existed then. */
  get(key: string, revision: number): KvRecord | undefined {
    const entry = this.#byKey.get(key);
    return entry === undefined ? undefined : liveAt(entry.records, revision);
  }

  /** The key's current live record. */
  latest(key: string): KvRecord | undefined {
    const records = this.#byKey.get(key)?.records;
    const rec = records?.[records.length - 1];
    return rec === undefined || isTombstone(rec) ? undefined : rec;
  }

  /** Adds the key's next record (a newer version or a tombstone). */
  append(record: KvRecord): void {
    let entry = this.#byKey.get(record.key);
    if (entry === undefined) {
      entry = { key: record.key, records: [] };
      this.#byKey.set(record.key, entry);
      this.#sorted.insert(entry);
    }
    const last = entry.records[entry.records.length - 1];
    assert(last === undefined || last.modRevision < record.modRevision, 'a key changes at most once per revision');
    entry.records.push(record);
  }

  /**
   * Calls `visit` with each live record visible at `revision` for keys in `span`, in key
   * order, until it returns false. The index must not change during the walk.
   */
  scan(span: KeySpan, revision: number, visit: (record: KvRecord) => boolean): void {
    const end = span.end;
    this.#sorted.walk(span.start, (entry) => {
      if (end !== null && entry.key >= end) return false;
      const rec = liveAt(entry.records, revision);
      return rec === undefined ? true : visit(rec);
    });
  }

  /** The live records of `span` at `revision`, in key order. */
  collect(span: KeySpan, revision: number): KvRecord[] {
    const out: KvRecord[] = [];
    this.scan(span, revision, (r) => {
      out.push(r);
      return true;
    });
    return out;
  }

  /**
   * Forgets what no read at or above `revision` can see: for each key, records older than
   * its last record at or below `revision`, and that record too if it is a tombstone.
   */
  compact(revision: number): void {
    for (const [key, { records }] of this.#byKey) {
      let idx = -1;
      for (let i = records.length - 1; i >= 0; i--) {
        if ((records[i] as KvRecord).modRevision <= revision) {
          idx = i;
          break;
        }
      }
      if (idx < 0) continue;
      const drop = isTombstone(records[idx] as KvRecord) ? idx + 1 : idx;
      if (drop > 0) records.splice(0, drop);
      if (records.length === 0) this.#byKey.delete(key);
    }
    if (this.#sorted.size !== this.#byKey.size) this.#sorted.retain((e) => e.records.length > 0);
  }

  /** Every key's records, in key order (for snapshots and hashes). */
  entries(): (readonly KvRecord[])[] {
    return this.#sorted.toArray().map((e) => e.records);
  }
}

/** The last record at or below `revision`, unless it is a tombstone. */
function liveAt(records: readonly KvRecord[], revision: number): KvRecord | undefined {
  let lo = 0;
  let hi = records.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((records[mid] as KvRecord).modRevision <= revision) lo = mid + 1;
    else hi = mid;
  }
  const rec = lo === 0 ? undefined : records[lo - 1];
  return rec === undefined || isTombstone(rec) ? undefined : rec;
}
