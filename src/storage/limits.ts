/**
 * Named limits and defaults of the durable storage layer.
 */
export const StorageLimits = {
  /** Bytes of recent log entries kept in memory for fast `entries()`/`term()` reads. */
  logCacheBytesMax: 64 * 1024 * 1024,
  /** Per-entry bookkeeping added to `data.length` when accounting the cache. */
  entryOverheadBytes: 48,
  /** Snapshot data is stored in LMDB values of at most this size. */
  snapshotStoreChunkBytes: 1024 * 1024,
  /** Largest snapshot accepted by `SnapshotAssembler` and `saveSnapshot`. */
  snapshotBytesMax: 4 * 1024 * 1024 * 1024 - 1,
  /** Largest single chunk accepted by `SnapshotAssembler`. */
  snapshotChunkBytesMax: 8 * 1024 * 1024,
  /** Size of one WAL segment file (preallocated with zeros; a new one is started when full), as etcd. */
  walSegmentBytes: 64 * 1024 * 1024,
  /** LMDB map size: address space reserved for the environment (grows on demand in lmdb-js). */
  mapSizeBytes: 1024 * 1024 * 1024,
} as const;

/** The on-disk format written by this version. Bump on any incompatible change. */
export const STORAGE_FORMAT_VERSION = 2;
/** Format 1 kept the raft log and hard state inside LMDB; it is not read any more. */
export const STORAGE_FORMAT_LMDB_LOG = 1;
