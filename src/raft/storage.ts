import type { LogIndex, Term } from '../core/ids.js';
import type { ConfState, Entry, HardState, Snapshot } from './types.js';

/**
 * What raft reads of its durable state (etcd-io/raft's `Storage`). The application writes:
 * after persisting a Ready it appends the entries / applies the snapshot / sets the hard
 * state on its storage, then calls `advance`. Raft only reads through this interface.
 *
 * Contract:
 * - Entries in [firstIndex(), lastIndex()] are available; entries before firstIndex() were
 *   compacted into the snapshot, whose metadata.index is firstIndex() - 1.
 * - `term(i)` works for i in [firstIndex() - 1, lastIndex()] (firstIndex()-1 answers from
 *   the snapshot metadata); outside that range it throws a `LogUnavailableError`
 *   (code NINES_ERR_COMPACTED below the range, NINES_ERR_NOT_FOUND above it).
 * - `entries(lo, hi, maxBytes)` returns [lo, hi), at least one entry if any, stopping before
 *   the total data size would exceed maxBytes.
 */
export interface RaftStorage {
  initialState(): { hardState: HardState; confState: ConfState };
  entries(lo: LogIndex, hi: LogIndex, maxBytes: number): Entry[];
  term(index: LogIndex): Term;
  firstIndex(): LogIndex;
  lastIndex(): LogIndex;
  snapshot(): Snapshot;
}
