import { assert } from '../core/errors.js';
import type { LogIndex, NodeId, Term } from '../core/ids.js';
import { LogUnavailableError } from '../raft/errors.js';
import type { RaftStorage } from '../raft/storage.js';
import type { ConfState, Entry, HardState, Snapshot } from '../raft/types.js';

/** One write of a Ready: what raft asked to persist. */
export interface DiskWrite {
  readonly hardState?: HardState | undefined;
  readonly entries: readonly Entry[];
  readonly snapshot?: Snapshot | undefined;
}

/** What survives a crash. */
export interface DurableState {
  readonly hardState: HardState;
  /** The latest durable snapshot, or null before any. */
  readonly snapshot: Snapshot | null;
  /** Durable entries after the snapshot, contiguous. */
  readonly entries: readonly Entry[];
}

const EMPTY_HARD_STATE: HardState = { term: 0 as Term, vote: 0 as NodeId, commit: 0 as LogIndex };
const EMPTY_CONF_STATE: ConfState = { voters: [], learners: [], votersOutgoing: [] };
const EMPTY_SNAPSHOT: Snapshot = {
  metadata: { index: 0 as LogIndex, term: 0 as Term, confState: EMPTY_CONF_STATE },
  data: new Uint8Array(0),
};

/**
 * A node's disk: a durable part and an unsynced part. `write` queues a Ready's writes as
 * unsynced; `sync` makes every queued write durable (an fsync completing); `crash` throws the
 * unsynced writes away, as a power loss would. Applying writes keeps etcd's log semantics:
 * appending at index i drops every durable entry at or after i; installing a snapshot drops
 * the whole log.
 *
 * Raft reads its log through the `RaftStorage` view of the *durable* part only: the world
 * syncs a Ready's writes before it calls `advance`, so raft never needs an unsynced entry
 * from storage, and a restarted node sees exactly what survived.
 */
export class SimDisk implements RaftStorage {
  #hardState: HardState = EMPTY_HARD_STATE;
  #snapshot: Snapshot | null = null;
  #entries: Entry[] = [];
  #unsynced: DiskWrite[] = [];

  /** Writes queued and not yet fsynced. */
  get unsyncedWrites(): number {
    return this.#unsynced.length;
  }

  write(w: DiskWrite): void {
    this.#unsynced.push(w);
  }

  /** An fsync completes: every queued write becomes durable, in order. */
  sync(): void {
    const pending = this.#unsynced;
    this.#unsynced = [];
    for (const w of pending) this.#apply(w);
  }

  /** Power loss: unsynced writes are gone. Returns how many were lost. */
  crash(): number {
    const lost = this.#unsynced.length;
    this.#unsynced = [];
    return lost;
  }

  /**
   * Record a snapshot the node took of its own applied state and drop the log up to it
   * (written and fsynced at once: the caller compacts only what is already durable).
   */
  compact(index: LogIndex, term: Term, confState: ConfState, data: Uint8Array): void {
    const first = this.firstIndex();
    if (index < first) return;
    assert(index <= this.lastIndex(), `compact beyond the durable log: ${index} > ${this.lastIndex()}`);
    this.#snapshot = { metadata: { index, term, confState }, data };
    this.#entries = this.#entries.slice(index - first + 1);
  }

  /** First durable entry index (snapshot index + 1). */
  firstIndex(): LogIndex {
    return ((this.#snapshot?.metadata.index ?? 0) + 1) as LogIndex;
  }

  /** Last durable entry index (the snapshot index when no entries follow). */
  lastIndex(): LogIndex {
    return (this.firstIndex() + this.#entries.length - 1) as LogIndex;
  }

  // RaftStorage (durable part only).

  initialState(): { hardState: HardState; confState: ConfState } {
    return { hardState: this.#hardState, confState: this.#snapshot?.metadata.confState ?? EMPTY_CONF_STATE };
  }

  entries(lo: LogIndex, hi: LogIndex, maxBytes: number): Entry[] {
    const first = this.firstIndex();
    if (lo < first) throw new LogUnavailableError(true, `entries from ${lo}: compacted up to ${first - 1}`);
    if (hi > this.lastIndex() + 1) {
      throw new LogUnavailableError(false, `entries to ${hi}: log ends at ${this.lastIndex()}`);
    }
    const out: Entry[] = [];
    let bytes = 0;
    for (let i = lo; i < hi; i++) {
      const e = this.#entries[i - first]!;
      bytes += e.data.length;
      if (out.length > 0 && bytes > maxBytes) break;
      out.push(e);
    }
    return out;
  }

  term(index: LogIndex): Term {
    const first = this.firstIndex();
    if (index === first - 1) return (this.#snapshot?.metadata.term ?? 0) as Term;
    if (index < first) throw new LogUnavailableError(true, `term of ${index}: compacted up to ${first - 1}`);
    if (index > this.lastIndex()) throw new LogUnavailableError(false, `term of ${index}: log ends at ${this.lastIndex()}`);
    return this.#entries[index - first]!.term;
  }

  snapshot(): Snapshot {
    return this.#snapshot ?? EMPTY_SNAPSHOT;
  }

  /** Term at `index` in the durable log, or undefined when outside it. */
  termOrUndefined(index: number): number | undefined {
    const first = this.firstIndex();
    if (index === first - 1) return this.#snapshot?.metadata.term ?? 0;
    if (index < first || index > this.lastIndex()) return undefined;
    return this.#entries[index - first]!.term;
  }

  durable(): DurableState {
    return { hardState: this.#hardState, snapshot: this.#snapshot, entries: [...this.#entries] };
  }

  #apply(w: DiskWrite): void {
    if (w.snapshot !== undefined && w.snapshot.metadata.index > (this.#snapshot?.metadata.index ?? 0)) {
      this.#snapshot = w.snapshot;
      this.#entries = [];
    }
    if (w.entries.length > 0) this.#append(w.entries);
    if (w.hardState !== undefined) this.#hardState = w.hardState;
  }

  #append(entries: readonly Entry[]): void {
    const first = this.firstIndex();
    const firstNew = entries[0]!.index;
    assert(firstNew <= this.lastIndex() + 1, `log gap: appending ${firstNew} after ${this.lastIndex()}`);
    let skip = 0;
    if (firstNew < first) {
      // Entries already covered by the snapshot are not rewritten.
      skip = first - firstNew;
      if (skip >= entries.length) return;
    }
    const at = entries[skip]!.index - first;
    this.#entries.length = at;
    for (let i = skip; i < entries.length; i++) this.#entries.push(entries[i]!);
  }
}
