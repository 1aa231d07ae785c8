/**
 * Named limits. Every queue, message, loop and request in nines is bounded by one of these,
 * checked at the edge where the data enters.
 */
export const Limits = {
  /** Largest key, in bytes (etcd has no explicit limit; 1.5 MiB request caps it). */
  keyBytesMax: 64 * 1024,
  /** Largest client request, in bytes: etcd's default `--max-request-bytes` (1.5 MiB). */
  requestBytesMax: 1.5 * 1024 * 1024,
  /** Largest peer frame, in bytes: a snapshot chunk plus headers fits. */
  frameBytesMax: 8 * 1024 * 1024,
  /** Messages queued to one peer before new ones are dropped (raft retransmits). */
  peerQueueMessagesMax: 4096,
  /** Samples kept by a detector's arrival window. */
  detectorWindowMax: 1000,
  /** Heartbeats in one trace file read by `nines detect bench --trace`. */
  traceEventsMax: 10_000_000,
  /** Operations in one history checked by `nines check`. */
  historyOpsMax: 1_000_000,
} as const;
