import type { LogIndex, NodeId, Term } from '../core/ids.js';

/**
 * The durable shapes of raft, shared with `storage/` and `transport/`.
 * Modelled on etcd-io/raft's raftpb: Entry, HardState, ConfState, Snapshot.
 */

export type EntryType = 'normal' | 'confChange';

/** One log entry. An entry with empty `data` of type `normal` is a leader's no-op. */
export interface Entry {
  readonly term: Term;
  readonly index: LogIndex;
  readonly type: EntryType;
  readonly data: Uint8Array;
}

/** What must be on disk before a node sends any message that depends on it. */
export interface HardState {
  readonly term: Term;
  /** The node voted for in `term`, or NO_NODE (0). */
  readonly vote: NodeId;
  /** Highest index known committed (may lag the true commit; never goes backwards). */
  readonly commit: LogIndex;
}

/** Cluster membership at a point of the log. */
export interface ConfState {
  readonly voters: readonly NodeId[];
  readonly learners: readonly NodeId[];
  /** Voters of the outgoing configuration while in a joint configuration (empty otherwise). */
  readonly votersOutgoing: readonly NodeId[];
}

export interface SnapshotMetadata {
  readonly index: LogIndex;
  readonly term: Term;
  readonly confState: ConfState;
}

/** A state-machine snapshot: everything applied up to and including `metadata.index`. */
export interface Snapshot {
  readonly metadata: SnapshotMetadata;
  readonly data: Uint8Array;
}
