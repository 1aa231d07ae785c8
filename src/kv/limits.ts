/**
 * Named limits of the MVCC state machine. Request-size limits shared with the edges live in
 * `core/limits.ts` (`Limits.keyBytesMax`, `Limits.requestBytesMax`); these are the ones only
 * `kv/` enforces. Every replica must use the same values: they decide what a command does.
 */
export const KvLimits = {
  /** Operations in one transaction, counting nested ones (etcd's `--max-txn-ops` default). */
  txnOpsMax: 128,
  /** Operations in one transaction across all nesting levels and both branches. */
  txnOpsTotalMax: 4096,
  /** Nesting depth of transactions inside transactions. */
  txnDepthMax: 16,
  /** Compares in one transaction (shares etcd's `--max-txn-ops` bound). */
  txnComparesMax: 128,
  /** Largest value, in bytes: a put must fit in one request (etcd's 1.5 MiB). */
  valueBytesMax: 1.5 * 1024 * 1024,
  /** Lease ids in one `leaseExpire` or `leaseCheckpoint` command. */
  leaseBatchMax: 1000,
  /** Longest lease TTL, in seconds (etcd's `MaxLeaseTTL`). */
  leaseTtlSecMax: 9_000_000_000,
  /** Shortest lease TTL, in seconds: shorter grants are raised to it (the server may raise more). */
  leaseTtlSecMin: 1,
  /** Live leases in one store. */
  leasesMax: 1_000_000,
  /** Concurrent watchers on one store's hub. */
  watchersMax: 100_000,
  /**
   * Live events a pulling watcher may leave unread. Past it the watcher is cancelled
   * ("slow watcher") instead of the hub tracking an unbounded backlog for it.
   */
  watchBacklogEventsMax: 100_000,
  /** Events handed out by one `poll` (a revision is never split, so one batch may exceed it). */
  watchBatchEventsMax: 1000,
  /** Encoded command bytes accepted by `decodeCommand`: a request plus envelope. */
  commandBytesMax: 2 * 1024 * 1024,
} as const;
