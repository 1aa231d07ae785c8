/**
 * Named limits and defaults of a running node (src/server). Every queue of waiting
 * clients is bounded by one of these; exceeding one answers 503 with a stable code.
 */
export const ServerLimits = {
  /** Proposals waiting for their entry to be applied, per node. */
  pendingProposalsMax: 10_000,
  /** Linearizable reads waiting for their ReadIndex, per node. */
  pendingReadsMax: 10_000,
  /** How long a client waits for a proposal or a read before 504 NINES_ERR_TIMEOUT. */
  requestTimeoutMs: 5_000,
  /** Open server-sent-event watch streams, per node. */
  watchStreamsMax: 1_000,
  /** Watch events buffered for one slow SSE client before its stream is closed. */
  watchEventsBufferedMax: 10_000,
  /** Largest JSON request body, in bytes (etcd's --max-request-bytes, 1.5 MiB, plus JSON framing). */
  requestBodyBytesMax: 2 * 1024 * 1024,
  /** Largest value of one key, in bytes (etcd's 1.5 MiB request limit). */
  valueBytesMax: 1.5 * 1024 * 1024,
  /** Operations in one transaction (etcd's --max-txn-ops default is 128). */
  txnOpsMax: 128,
  /** Nesting depth of transactions inside transactions (kv's txnDepthMax). */
  txnDepthMax: 16,
  /** Keys returned by one range request when the client gives no limit. */
  rangeKeysMax: 100_000,
  /** Leader changes remembered for /v1/status and the dashboard. */
  leaderChangesKept: 20,
  /** Log entries kept behind a snapshot so slow followers catch up without one (etcd: 5000). */
  snapshotCatchUpEntriesMax: 5_000,
  /** How long shutdown waits for a leadership transfer before stepping down anyway. */
  shutdownTransferMs: 2_000,
  /** Leases expired per leader proposal. */
  leasesExpiredPerProposalMax: 1_000,
  /**
   * Committed entries applied in one event-loop turn; a larger batch (a follower catching up,
   * a replay) yields between chunks so timers, peer messages and clients are served meanwhile.
   */
  applyEntriesPerTurnMax: 1_000,
  /**
   * Applied entries the snapshot replica (snapshot-replica.ts) holds before shipping them to
   * its worker (the node ships them after every applied batch, so this is only a backstop);
   * beyond it the next snapshot is encoded on the event loop (and the replica restarts from it).
   */
  snapshotReplicaEntriesMax: 1_000_000,
  /** Bytes of applied entries the snapshot replica holds before shipping them (as above). */
  snapshotReplicaBytesMax: 256 * 1024 * 1024,
  /** Applied entries the snapshot replica gathers before shipping them to its worker in one message. */
  snapshotReplicaShipEntriesMin: 1_000,
  /** An event-loop stall at least this long is logged (with the snapshot/apply work around it). */
  stallLogMsMin: 100,
} as const;

/**
 * etcd's minimum lease TTL, in seconds: ceil(1.5 × election timeout), so a lease outlives a
 * leader election (2 s with the default 1000 ms). Shorter grants are raised to it.
 */
export function minLeaseTtlSec(electionTimeoutMs: number): number {
  return Math.ceil((1.5 * electionTimeoutMs) / 1000);
}
