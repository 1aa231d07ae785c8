import { assert, InvalidArgumentError } from '../core/errors.js';
import { type LogIndex, NO_NODE, type Term } from '../core/ids.js';
import { LogUnavailableError } from './errors.js';
import type { RaftStorage } from './storage.js';
import type { ConfState, Entry, HardState, Snapshot } from './types.js';

const EMPTY_CONF: ConfState = { voters: [], learners: [], votersOutgoing: [] };

/**
 * RaftStorage in memory (etcd-io/raft's MemoryStorage), for tests and the simulator.
 * `#ents[0]` is a dummy entry holding the index and term of the last compacted entry (the
 * snapshot point); real entries follow it.
 */
export class MemoryStorage implements RaftStorage {
  #hardState: HardState = { term: 0 as Term, vote: NO_NODE, commit: 0 as LogIndex };
  #confState: ConfState = EMPTY_CONF;
  #snapshot: Snapshot = { metadata: { index: 0 as LogIndex, term: 0 as Term, confState: EMPTY_CONF }, data: new Uint8Array(0) };
  #ents: Entry[] = [{ term: 0 as Term, index: 0 as LogIndex, type: 'normal', data: new Uint8Array(0) }];

  initialState(): { hardState: HardState; confState: ConfState } {
    return { hardState: this.#hardState, confState: this.#confState };
  }

  hardState(): HardState {
    return this.#hardState;
  }

  setHardState(hs: HardState): void {
    this.#hardState = hs;
  }

  /** Record the configuration in force (the app stores what applyConfChange returns). */
  setConfState(cs: ConfState): void {
    this.#confState = cs;
  }

  #offset(): number {
    return this.#ents[0]!.index;
  }

  firstIndex(): LogIndex {
    return (this.#offset() + 1) as LogIndex;
  }

  lastIndex(): LogIndex {
    return (this.#offset() + this.#ents.length - 1) as LogIndex;
  }

  term(i: LogIndex): Term {
    const off = this.#offset();
    if (i < off) throw new LogUnavailableError(true, `index ${i} is compacted (first index ${off + 1})`);
    if (i > this.lastIndex()) throw new LogUnavailableError(false, `index ${i} is beyond the last index ${this.lastIndex()}`);
    return this.#ents[i - off]!.term;
  }

  entries(lo: LogIndex, hi: LogIndex, maxBytes: number): Entry[] {
    const off = this.#offset();
    if (lo <= off) throw new LogUnavailableError(true, `index ${lo} is compacted (first index ${off + 1})`);
    if (hi > this.lastIndex() + 1) throw new LogUnavailableError(false, `entries up to ${hi - 1} requested, last index ${this.lastIndex()}`);
    if (lo >= hi) return [];
    // At least one entry; then stop before the total would exceed maxBytes.
    const out: Entry[] = [this.#ents[lo - off]!];
    let size = out[0]!.data.length;
    for (let i = lo + 1; i < hi; i++) {
      const e = this.#ents[i - off]!;
      size += e.data.length;
      if (size > maxBytes) break;
      out.push(e);
    }
    return out;
  }

  snapshot(): Snapshot {
    return this.#snapshot;
  }

  /** Append entries; an overlapping suffix replaces the stored one. */
  append(entries: readonly Entry[]): void {
    const first = entries[0];
    if (first === undefined) return;
    const firstKept = this.firstIndex();
    const last = entries[entries.length - 1]!.index;
    if (last < firstKept) return;
    const ents = first.index < firstKept ? entries.slice(firstKept - first.index) : entries;
    const from = ents[0]!.index;
    if (from > this.lastIndex() + 1) {
      throw new InvalidArgumentError(`storage append: entry ${from} leaves a gap after the last index ${this.lastIndex()}`);
    }
    // Truncate any overlapping suffix, then push (amortised O(entries), not O(log)).
    this.#ents.length = from - this.#offset();
    for (const e of ents) this.#ents.push(e);
  }

  /** Replace everything with `snap` (a follower installing its leader's snapshot). */
  applySnapshot(snap: Snapshot): void {
    if (snap.metadata.index < this.#snapshot.metadata.index) {
      throw new InvalidArgumentError(`storage applySnapshot: snapshot ${snap.metadata.index} is older than ${this.#snapshot.metadata.index}`);
    }
    this.#snapshot = snap;
    this.#confState = snap.metadata.confState;
    this.#ents = [{ term: snap.metadata.term, index: snap.metadata.index, type: 'normal', data: new Uint8Array(0) }];
  }

  /** Record a snapshot of the state machine at `index` (<= applied; the app decides). */
  createSnapshot(index: LogIndex, confState: ConfState, data: Uint8Array): Snapshot {
    if (index <= this.#snapshot.metadata.index) {
      throw new InvalidArgumentError(`storage createSnapshot: index ${index} is not after the current snapshot ${this.#snapshot.metadata.index}`);
    }
    if (index > this.lastIndex()) {
      throw new InvalidArgumentError(`storage createSnapshot: index ${index} is beyond the last index ${this.lastIndex()}`);
    }
    this.#snapshot = { metadata: { index, term: this.term(index), confState }, data };
    return this.#snapshot;
  }

  /**
   * Discard entries up to and including `index`. With `snapData`, first record a snapshot
   * at `index` (configuration: `confState`, else the last one recorded); without, `index`
   * must not pass the current snapshot (a lagging follower must be able to get one).
   */
  compact(index: LogIndex, snapData?: Uint8Array, confState?: ConfState): void {
    if (snapData !== undefined) this.createSnapshot(index, confState ?? this.#confState, snapData);
    if (index > this.#snapshot.metadata.index) {
      throw new InvalidArgumentError(`storage compact: index ${index} is beyond the snapshot ${this.#snapshot.metadata.index}; pass snapData`);
    }
    const off = this.#offset();
    if (index <= off) return;
    assert(index <= this.lastIndex(), 'compaction stays within the log');
    this.#ents = this.#ents.slice(index - off);
    const head = this.#ents[0]!;
    this.#ents[0] = { term: head.term, index: head.index, type: 'normal', data: new Uint8Array(0) };
  }
}
