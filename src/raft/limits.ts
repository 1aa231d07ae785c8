/** Named bounds inside the raft core. */
export const RaftLimits = {
  /** Messages queued between two Readies; more are dropped (raft retransmits). */
  outboxMessagesMax: 100_000,
  /** ReadStates queued between two Readies; more are dropped (the caller times out and retries). */
  readStatesMax: 10_000,
  /** ReadIndex requests waiting at a leader. */
  pendingReadIndexMax: 10_000,
  /** Size-limited slices scanned when looking for unapplied conf changes. */
  scanRoundsMax: 1_000,
  /** Leaders whose detector history a follower keeps (more than any sane cluster's voters). */
  leaderHistoriesMax: 64,
} as const;
