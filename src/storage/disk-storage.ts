import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { type Database, open, type RootDatabase } from 'lmdb';
import { assert, ErrorCodes, InvalidArgumentError, isNinesError, NinesError } from '../core/errors.js';
import type { Failpoints } from '../core/failpoints.js';
import type { LogIndex, NodeId, Term } from '../core/ids.js';
import type { RaftStorage } from '../raft/storage.js';
import type { ConfState, Entry, HardState, Snapshot } from '../raft/types.js';
import { decodeRecord, encodeRecord } from './codec.js';
import { crc32 } from './crc.js';
import { LogUnavailableError } from '../raft/errors.js';
import { ClusterMismatchError, corruptFile } from './errors.js';
import { STORAGE_FORMAT_LMDB_LOG, STORAGE_FORMAT_VERSION, StorageLimits } from './limits.js';
import { LogPositions } from './log-positions.js';
import {
  type CompactedRecord,
  EMPTY_CONF_STATE,
  fromSnapshotRecord,
  type MetaRecord,
  RecordNames,
  type SnapshotRecord,
  toCompacted,
  toMeta,
  toSnapshotRecord,
} from './records.js';
import { probeEnvironment } from './probe.js';
import { chunksOf, type SnapshotChunk } from './snapshot-chunks.js';
import { LogTailCache } from './tail-cache.js';
import { type ReplayedBatch, segmentName as segmentFile, Wal } from './wal.js';
import type { WalBatch } from './wal-codec.js';

export interface DiskStorageOptions {
  /** The cluster this member belongs to (computed by the server from the token and members). */
  readonly clusterId: string | bigint;
  readonly nodeId: NodeId;
  readonly nodeName: string;
  /** In-memory log tail budget (default StorageLimits.logCacheBytesMax). */
  readonly cacheBytesMax?: number;
  /** Size of one WAL segment file (default StorageLimits.walSegmentBytes). */
  readonly walSegmentBytes?: number;
  /** LMDB map size (default StorageLimits.mapSizeBytes). */
  readonly mapSizeBytes?: number;
  /**
   * Read the whole environment in a child process before opening it (default true), so damage
   * to LMDB's own pages is reported as a CorruptError instead of crashing this process.
   * Costs one short-lived `node` process at start; tests of other behaviour turn it off.
   */
  readonly probe?: boolean;
  /** Faults switched on by tests (`storageBeforeSync`: a slow disk; src/core/failpoints.ts); none by default. */
  readonly failpoints?: Failpoints;
}

/**
 * What one raft Ready asks to persist: one WAL record and one fdatasync (plus, first, one LMDB
 * transaction when it carries a snapshot). Durable when `save` resolves.
 */
export interface StorageUpdate {
  /** A snapshot received from the leader: replaces the whole log (etcd's ApplySnapshot). */
  readonly snapshot?: Snapshot;
  /** Entries to append; ones conflicting with stored entries replace them and everything after. */
  readonly entries?: readonly Entry[];
  readonly hardState?: HardState;
  /** Membership after the latest applied conf change (defaults to the snapshot's). */
  readonly confState?: ConfState;
  /**
   * Default true: the save resolves once fdatasynced. False only for a hard state whose term and
   * vote are unchanged and that carries no entries (raft's `mustSync` false: just the commit
   * index moved, which a restarted member relearns): written, made durable by the next synced
   * save. Ignored (synced) when the update has entries, a snapshot or a conf state.
   */
  readonly sync?: boolean;
}

export interface DiskStorageStats {
  readonly firstIndex: number;
  readonly lastIndex: number;
  readonly snapshotIndex: number;
  readonly cacheEntries: number;
  readonly cacheBytes: number;
  readonly walSegments: number;
}

const DB_NAMES = ['meta', 'snap'] as const;
const EMPTY_HARD_STATE: HardState = { term: 0 as Term, vote: 0 as NodeId, commit: 0 as LogIndex };

/**
 * Durable raft state of one member under `<dataDir>/member/`: the raft log, hard state and conf
 * state in a write-ahead log (`wal/`, see `Wal`), the snapshot, identity and compaction point in
 * one LMDB environment (`data.mdb`).
 *
 * Durability: a `save` is one WAL record written and `fdatasync`ed before its promise resolves (a
 * snapshot in it is first committed to LMDB, which syncs too); `saveSnapshot` and `compact` are
 * LMDB transactions opened with `noSync: false`, `overlappingSync: false`, and also awaited through
 * `flushed`. Hence a resolved `save`/`saveSnapshot`/`compact` is on disk.
 *
 * Writes are serialised: each starts after the previous one resolved. The read side (the
 * `RaftStorage` methods) reflects a write once its promise has resolved. After a failed write the
 * storage refuses further writes (fail-stop: the on-disk state is unknown, restart the process).
 *
 * Checksums: every WAL record, every log entry inside it and every named LMDB record carries a
 * CRC-32; all are verified on open (the whole WAL and the snapshot data are read) and every entry
 * read back from disk is verified again.
 */
export class DiskStorage implements RaftStorage {
  readonly dir: string;
  /** The LMDB data file (snapshot, identity, compaction point). */
  readonly dataFile: string;
  /** The WAL directory (raft log, hard state, conf state). */
  readonly walDir: string;
  readonly meta: MetaRecord;
  readonly #root: RootDatabase<Buffer>;
  readonly #metaDb: Database<Buffer, string>;
  readonly #snapDb: Database<Buffer, number>;
  readonly #cache: LogTailCache;
  /** Terms and disk positions of entries firstIndex()..lastIndex(). */
  readonly #positions = new LogPositions();
  #wal: Wal | undefined;
  #hardState: HardState = EMPTY_HARD_STATE;
  #confState: ConfState | undefined;
  #snap: SnapshotRecord;
  #snapData: Uint8Array | undefined;
  #compacted: CompactedRecord = { index: 0 as LogIndex, term: 0 as Term };
  #lastIndex = 0;
  #writeQueue: Promise<unknown> = Promise.resolve();
  #failed: unknown;
  #closed = false;
  #failpoints: Failpoints | undefined;

  private constructor(dir: string, root: RootDatabase<Buffer>, meta: MetaRecord, cacheBytesMax: number) {
    this.dir = dir;
    this.dataFile = join(dir, 'member', 'data.mdb');
    this.walDir = join(dir, 'member', 'wal');
    this.#root = root;
    this.meta = meta;
    this.#metaDb = root.openDB<Buffer, string>({ name: 'meta', encoding: 'binary' });
    this.#snapDb = root.openDB<Buffer, number>({ name: 'snap', encoding: 'binary' });
    this.#cache = new LogTailCache(cacheBytesMax);
    this.#snap = {
      metadata: { index: 0 as LogIndex, term: 0 as Term, confState: EMPTY_CONF_STATE },
      totalBytes: 0,
      dataCrc: 0,
      storedChunks: 0,
    };
  }

  /**
   * Open (creating if needed) the data dir of one member and recover its state. Throws
   * `CorruptError` (naming the file and what to do) on any checksum failure, gap in the log,
   * hard state beyond the log or unreadable environment, `ClusterMismatchError` when the dir
   * belongs to another cluster or member, and `InvalidArgumentError` for a data dir written in
   * another storage format. A torn last WAL record (a write cut by a crash, never acknowledged)
   * is dropped.
   */
  static async open(dir: string, options: DiskStorageOptions): Promise<DiskStorage> {
    const envDir = join(dir, 'member');
    const dataFile = join(envDir, 'data.mdb');
    const walDir = join(envDir, 'wal');
    const wanted: MetaRecord = {
      formatVersion: STORAGE_FORMAT_VERSION,
      clusterId: String(options.clusterId),
      nodeId: options.nodeId,
      nodeName: options.nodeName,
    };
    if (wanted.clusterId === '') throw new InvalidArgumentError('clusterId must not be empty');
    mkdirSync(envDir, { recursive: true });
    const hadWal = existsSync(walDir) && readdirSync(walDir).some((n) => n.endsWith('.wal'));
    if ((options.probe ?? true) && existsSync(dataFile)) await probeEnvironment(envDir, dataFile, DB_NAMES);
    let root: RootDatabase<Buffer>;
    try {
      root = open<Buffer>(envDir, {
        encoding: 'binary',
        compression: false,
        noSync: false,
        noMetaSync: false,
        overlappingSync: false,
        maxDbs: 8,
        mapSize: options.mapSizeBytes ?? StorageLimits.mapSizeBytes,
      });
    } catch (err) {
      throw corruptFile(dataFile, `cannot open the LMDB environment (${errorText(err)})`, err);
    }
    let storage: DiskStorage | undefined;
    try {
      const metaDb = root.openDB<Buffer, string>({ name: 'meta', encoding: 'binary' });
      const { meta, created } = await DiskStorage.#checkMeta(dir, dataFile, root, metaDb, wanted);
      if (created && hadWal) {
        throw corruptFile(dataFile, `the environment is new but ${walDir} holds WAL segments (was data.mdb removed?)`);
      }
      storage = new DiskStorage(dir, root, meta, options.cacheBytesMax ?? StorageLimits.logCacheBytesMax);
      storage.#failpoints = options.failpoints;
      mkdirSync(walDir, { recursive: true });
      await storage.#recover(options.walSegmentBytes ?? StorageLimits.walSegmentBytes);
      return storage;
    } catch (err) {
      const wal = storage === undefined ? undefined : storage.#wal;
      await wal?.close().catch(() => undefined);
      await root.close().catch(() => undefined);
      if (isNinesError(err)) throw err;
      throw corruptFile(dataFile, `cannot read the data dir (${errorText(err)})`, err);
    }
  }

  static async #checkMeta(
    dir: string,
    dataFile: string,
    root: RootDatabase<Buffer>,
    metaDb: Database<Buffer, string>,
    wanted: MetaRecord,
  ): Promise<{ meta: MetaRecord; created: boolean }> {
    const raw = metaDb.getBinary(RecordNames.meta);
    if (raw === undefined) {
      const others = [...metaDb.getKeys({ limit: 1 })].length;
      const logDb = root.openDB<Buffer, number>({ name: 'log', encoding: 'binary' });
      if (others > 0 || [...logDb.getKeys({ limit: 1 })].length > 0) {
        throw corruptFile(dataFile, 'the meta record is missing but the environment holds raft state');
      }
      await root.batch(() => {
        metaDb.put(RecordNames.meta, Buffer.from(encodeRecord(RecordNames.meta, wanted)));
      });
      await root.flushed;
      return { meta: wanted, created: true };
    }
    const decoded = decodeRecord(RecordNames.meta, raw);
    const meta = decoded === undefined ? undefined : toMeta(decoded);
    if (meta === undefined) throw corruptFile(dataFile, 'the meta record fails its checksum');
    if (meta.formatVersion > STORAGE_FORMAT_VERSION) {
      throw new InvalidArgumentError(
        `data dir ${dir} has storage format ${meta.formatVersion}, newer than this nines supports (${STORAGE_FORMAT_VERSION}): upgrade nines`,
      );
    }
    if (meta.formatVersion < STORAGE_FORMAT_VERSION) {
      const what = meta.formatVersion === STORAGE_FORMAT_LMDB_LOG ? ' (raft log inside LMDB)' : '';
      throw new InvalidArgumentError(
        `data dir ${dir} has the old storage format ${meta.formatVersion}${what}, which this nines does not read ` +
          `(it writes format ${STORAGE_FORMAT_VERSION}: raft log in a write-ahead log): move the data dir aside and ` +
          'start the member with an empty one, so that it catches up from the leader',
      );
    }
    if (meta.clusterId !== wanted.clusterId || meta.nodeId !== wanted.nodeId || meta.nodeName !== wanted.nodeName) {
      throw new ClusterMismatchError(
        `data dir ${dir} belongs to cluster ${meta.clusterId} member "${meta.nodeName}" (id ${meta.nodeId}), ` +
          `not cluster ${wanted.clusterId} member "${wanted.nodeName}" (id ${wanted.nodeId}): ` +
          'check --data-dir, --name, --initial-cluster and --initial-cluster-token, or use an empty data dir to join as a new member',
      );
    }
    return { meta, created: false };
  }

  #record<T>(name: string, shape: (r: Record<string, unknown>) => T | undefined): T | undefined {
    const raw = this.#metaDb.getBinary(name);
    if (raw === undefined) return undefined;
    const decoded = decodeRecord(name, raw);
    const value = decoded === undefined ? undefined : shape(decoded);
    if (value === undefined) throw corruptFile(this.dataFile, `the ${name} record fails its checksum`);
    return value;
  }

  /** Load and verify everything: LMDB records, snapshot data, then the whole WAL. */
  async #recover(walSegmentBytes: number): Promise<void> {
    this.#snap = this.#record(RecordNames.snapshot, toSnapshotRecord) ?? this.#snap;
    this.#compacted = this.#record(RecordNames.compacted, toCompacted) ?? this.#compacted;
    if (this.#compacted.index > this.#snap.metadata.index) {
      throw corruptFile(
        this.dataFile,
        `log compacted through ${this.#compacted.index} but the snapshot only covers ${this.#snap.metadata.index}`,
      );
    }
    this.#verifySnapshotData();
    const positions = this.#positions;
    let hardState: HardState | undefined;
    let confState: ConfState | undefined;
    let started = false;
    const { wal, created } = await Wal.open(this.walDir, walSegmentBytes, (replayed: ReplayedBatch) => {
      const { batch, seq, spans } = replayed;
      if (!started) {
        started = true;
        // Segment 1 starts at the very beginning of the log: index 0 has term 0.
        if (seq === 1) positions.push(0, 0, 0, NO_SPAN);
      }
      if (batch.reset !== undefined) {
        positions.reset(batch.reset.index);
        positions.push(batch.reset.index, batch.reset.term, 0, NO_SPAN);
        this.#cache.clear();
      }
      this.#replayEntries(replayed.seq, batch, spans);
      if (batch.hardState !== undefined) hardState = batch.hardState;
      if (batch.confState !== undefined) confState = batch.confState;
    });
    this.#wal = wal;
    if (created && this.#compacted.index + this.#snap.metadata.index > 0) {
      throw corruptFile(join(this.walDir, '*.wal'), 'the WAL is missing but the environment holds a snapshot');
    }
    // Join the WAL's log to the compaction point (C, T) recorded in LMDB.
    const c = this.#compacted;
    let snapshotOnly = false;
    const termAtC = positions.term(c.index);
    if (termAtC !== undefined) {
      if (termAtC !== c.term) {
        if (c.index !== this.#snap.metadata.index) {
          throw corruptFile(this.walDir, `log entry ${c.index} has term ${termAtC}, the compaction point term ${c.term}`);
        }
        snapshotOnly = true;
      }
    } else if (positions.isEmpty && c.index === 0) {
      // A new log: nothing appended yet.
    } else if (positions.isEmpty || positions.last < c.index) {
      if (c.index !== this.#snap.metadata.index || c.index === 0) {
        throw corruptFile(this.walDir, `the log ends at ${positions.last}, before the compaction point ${c.index}`);
      }
      snapshotOnly = true;
    } else if (positions.first !== c.index + 1) {
      throw corruptFile(
        this.walDir,
        `gap in the raft log: expected index ${c.index + 1}, the WAL starts at ${positions.first}`,
      );
    }
    if (snapshotOnly) {
      // A snapshot from the leader reached LMDB but its WAL record did not: the save never
      // resolved. Its log replaces ours; its index is committed cluster-wide.
      positions.reset(c.index + 1);
      this.#cache.clear();
      confState = undefined;
      if (hardState !== undefined && hardState.commit < c.index) hardState = { ...hardState, commit: c.index };
    } else {
      positions.dropThrough(c.index);
      this.#cache.dropThrough(c.index);
    }
    this.#lastIndex = Math.max(c.index, positions.last);
    this.#hardState = hardState ?? EMPTY_HARD_STATE;
    this.#confState = confState;
    if (this.#lastIndex < this.#snap.metadata.index) {
      throw corruptFile(
        this.walDir,
        `the log ends at ${this.#lastIndex}, before the snapshot index ${this.#snap.metadata.index}`,
      );
    }
    if (this.#hardState.commit > this.#lastIndex) {
      throw corruptFile(
        this.walDir,
        `hard state commit ${this.#hardState.commit} is beyond the last log index ${this.#lastIndex}`,
      );
    }
    if (snapshotOnly) {
      // Finish the interrupted save: record the reset in the WAL, so that later appends after
      // the snapshot index replay on top of it rather than on the old log.
      const batch: WalBatch = {
        entries: [],
        reset: { index: c.index, term: c.term },
        hardState: plainHardState(this.#hardState),
        confState: this.#snap.metadata.confState,
      };
      await this.#durably(() => wal.append(batch, () => this.#rollState(undefined, undefined)));
    }
  }

  /** Replay the entries of one WAL batch: conflicting entries and everything after them are replaced. */
  #replayEntries(seq: number, batch: WalBatch, spans: readonly { pos: number; len: number }[]): void {
    const first = batch.entries[0];
    if (first === undefined) return;
    const positions = this.#positions;
    const file = join(this.walDir, segmentFile(seq));
    if (!positions.isEmpty && first.index > positions.last + 1) {
      throw corruptFile(file, `gap in the raft log: expected index ${positions.last + 1}, found ${first.index}`);
    }
    if (!positions.isEmpty && first.index < positions.first) {
      positions.reset(first.index);
      this.#cache.clear();
    } else {
      positions.truncateFrom(first.index);
      this.#cache.truncateFrom(first.index);
    }
    let previous = positions.term(first.index - 1) ?? 0;
    batch.entries.forEach((entry, i) => {
      if (entry.index !== first.index + i) throw corruptFile(file, `log entry ${entry.index} is out of order`);
      if (entry.term < previous) {
        throw corruptFile(file, `log entry ${entry.index} has term ${entry.term}, lower than the entry before it`);
      }
      previous = entry.term;
      positions.push(entry.index, entry.term, seq, spans[i]!);
    });
    this.#cache.append(batch.entries);
  }

  #verifySnapshotData(): void {
    let crc = 0;
    let bytes = 0;
    for (const part of this.#storedSnapshotParts()) {
      crc = crc32(part, crc);
      bytes += part.length;
    }
    if (bytes !== this.#snap.totalBytes || crc !== this.#snap.dataCrc) {
      throw corruptFile(this.dataFile, `snapshot ${this.#snap.metadata.index} data fails its checksum`);
    }
  }

  *#storedSnapshotParts(): Generator<Uint8Array> {
    for (let i = 0; i < this.#snap.storedChunks; i++) {
      const part = this.#snapDb.getBinary(i);
      if (part === undefined) throw corruptFile(this.dataFile, `snapshot data piece ${i} is missing`);
      yield part;
    }
  }

  // ---- RaftStorage (read side) ----

  initialState(): { hardState: HardState; confState: ConfState } {
    return { hardState: this.#hardState, confState: this.#confState ?? this.#snap.metadata.confState };
  }

  firstIndex(): LogIndex {
    return (this.#compacted.index + 1) as LogIndex;
  }

  lastIndex(): LogIndex {
    return this.#lastIndex as LogIndex;
  }

  term(index: LogIndex): Term {
    if (index === this.#compacted.index) return this.#compacted.term;
    if (index < this.#compacted.index) {
      throw new LogUnavailableError(true, `log index ${index} is compacted (first index ${this.firstIndex()})`);
    }
    if (index > this.#lastIndex) {
      throw new LogUnavailableError(false, `log index ${index} is beyond the last index ${this.#lastIndex}`);
    }
    const term = this.#positions.term(index);
    if (term === undefined) throw corruptFile(this.walDir, `log entry ${index} is missing`);
    return term as Term;
  }

  entries(lo: LogIndex, hi: LogIndex, maxBytes: number): Entry[] {
    if (lo <= this.#compacted.index) {
      throw new LogUnavailableError(true, `log index ${lo} is compacted (first index ${this.firstIndex()})`);
    }
    if (hi > this.#lastIndex + 1) {
      throw new LogUnavailableError(false, `log index ${hi - 1} is beyond the last index ${this.#lastIndex}`);
    }
    if (hi < lo) throw new InvalidArgumentError(`entries(${lo}, ${hi}): hi must be >= lo`);
    const out: Entry[] = [];
    let bytes = 0;
    for (let i = lo; i < hi; i++) {
      const entry = this.#entry(i);
      bytes += entry.data.length;
      if (out.length > 0 && bytes > maxBytes) break;
      out.push(entry);
    }
    return out;
  }

  snapshot(): Snapshot {
    if (this.#snapData === undefined) {
      const data = new Uint8Array(this.#snap.totalBytes);
      let offset = 0;
      let crc = 0;
      for (const part of this.#storedSnapshotParts()) {
        data.set(part, offset);
        offset += part.length;
        crc = crc32(part, crc);
      }
      if (offset !== this.#snap.totalBytes || crc !== this.#snap.dataCrc) {
        throw corruptFile(this.dataFile, `snapshot ${this.#snap.metadata.index} data fails its checksum`);
      }
      this.#snapData = data;
    }
    return { metadata: this.#snap.metadata, data: this.#snapData };
  }

  /**
   * The latest snapshot as chunks of at most `chunkBytes`, for streaming to a follower. Taken
   * from the (verified) in-memory copy, so a snapshot saved meanwhile cannot mix into the stream.
   */
  snapshotChunks(chunkBytes: number): Generator<SnapshotChunk> {
    const { metadata, data } = this.snapshot();
    return chunksOf(metadata, data.length, this.#snap.dataCrc, [data], chunkBytes);
  }

  stats(): DiskStorageStats {
    return {
      firstIndex: this.firstIndex(),
      lastIndex: this.#lastIndex,
      snapshotIndex: this.#snap.metadata.index,
      cacheEntries: this.#cache.length,
      cacheBytes: this.#cache.sizeBytes,
      walSegments: this.#wal?.segmentCount ?? 0,
    };
  }

  #entry(index: number): Entry {
    const cached = this.#cache.get(index);
    if (cached !== undefined) return cached;
    const at = this.#positions.location(index);
    if (at === undefined || this.#wal === undefined) throw corruptFile(this.walDir, `log entry ${index} is missing`);
    return this.#wal.readEntry(at.seq, at.span, index);
  }

  // ---- write side ----

  /**
   * Persist one Ready: snapshot (replacing the log), then entries (truncating any conflicting
   * suffix), conf state and hard state. Resolves once fsynced: one WAL record and one fdatasync
   * (a snapshot is committed to LMDB first).
   */
  save(update: StorageUpdate): Promise<void> {
    return this.#serialised(() => this.#save(update));
  }

  /**
   * Record a snapshot taken locally of the applied state at `metadata.index` (which must be in
   * the log, newer than the current snapshot, with the matching term). The log is kept: call
   * `compact` to drop entries behind it.
   */
  saveSnapshot(snapshot: Snapshot): Promise<void> {
    return this.#serialised(() => this.#saveLocalSnapshot(snapshot));
  }

  /**
   * Drop log entries <= `index` (which must be <= the snapshot index) and delete the WAL segments
   * that then hold nothing live. No-op if already compacted.
   */
  compact(index: LogIndex): Promise<void> {
    return this.#serialised(() => this.#compact(index));
  }

  /** Wait for pending writes, then close the WAL and the environment. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#writeQueue.catch(() => undefined);
    await this.#wal?.close();
    await this.#root.close();
  }

  #serialised(write: () => Promise<void>): Promise<void> {
    const run = this.#writeQueue.then(() => {
      if (this.#closed) throw new NinesError(ErrorCodes.STOPPED, 'storage is closed');
      if (this.#failed !== undefined) {
        throw new NinesError(ErrorCodes.UNAVAILABLE, 'storage refuses writes after an earlier write failed: restart the member', {
          cause: this.#failed,
        });
      }
      return write();
    });
    this.#writeQueue = run.catch(() => undefined);
    return run;
  }

  /** A durable write; a failure here leaves the disk state unknown: fail-stop. */
  async #durably<T>(write: () => Promise<T>): Promise<T> {
    try {
      return await write();
    } catch (err) {
      this.#failed = err;
      throw err;
    }
  }

  /** One LMDB transaction, fsynced. */
  #commit(ops: () => void): Promise<void> {
    return this.#durably(async () => {
      await this.#root.batch(ops);
      await this.#root.flushed;
    });
  }

  async #save(update: StorageUpdate): Promise<void> {
    let compacted = this.#compacted;
    let lastIndex = this.#lastIndex;
    const snap = update.snapshot;
    const snapOps: Array<() => void> = [];
    let snapRecord: SnapshotRecord | undefined;
    if (snap !== undefined) {
      const index = snap.metadata.index;
      if (index < this.#snap.metadata.index) {
        throw new InvalidArgumentError(`snapshot ${index} is older than the stored snapshot ${this.#snap.metadata.index}`);
      }
      snapRecord = this.#snapshotOps(snap, snapOps);
      compacted = { index, term: snap.metadata.term };
      const sealedCompacted = sealed(RecordNames.compacted, compacted);
      snapOps.push(() => this.#metaDb.put(RecordNames.compacted, sealedCompacted));
      lastIndex = index;
    }
    let appended: Entry[] = [];
    if (update.entries !== undefined && update.entries.length > 0) {
      checkContiguous(update.entries);
      appended = update.entries.filter((e) => e.index > compacted.index);
      const first = appended[0];
      if (first !== undefined) {
        if (first.index > lastIndex + 1) {
          throw new InvalidArgumentError(`entries start at ${first.index}, leaving a gap after last index ${lastIndex}`);
        }
        checkTerms(appended, first.index - 1 === compacted.index ? compacted.term : this.#termForWrite(first.index - 1));
        lastIndex = first.index + appended.length - 1;
      }
    }
    const confState = update.confState ?? snap?.metadata.confState;
    const hardState = update.hardState;
    if (hardState !== undefined && hardState.commit > lastIndex) {
      throw new InvalidArgumentError(`hard state commit ${hardState.commit} is beyond the last index ${lastIndex}`);
    }
    if (snap === undefined && appended.length === 0 && confState === undefined && hardState === undefined) return;
    if (snapOps.length > 0) {
      await this.#commit(() => {
        for (const op of snapOps) op();
      });
    }
    const batch: WalBatch = {
      entries: appended,
      ...(snap === undefined ? {} : { reset: { index: snap.metadata.index, term: snap.metadata.term } }),
      ...(hardState === undefined ? {} : { hardState: plainHardState(hardState) }),
      ...(confState === undefined ? {} : { confState }),
    };
    const wal = this.#wal;
    assert(wal !== undefined, 'the WAL is open');
    const sync = update.sync !== false || snap !== undefined || appended.length > 0 || update.confState !== undefined;
    if (sync && this.#failpoints !== undefined) await this.#failpoints.hit('storageBeforeSync');
    const written = await this.#durably(() => wal.append(batch, () => this.#rollState(hardState, confState), sync));
    // Durable: now make it visible to readers.
    if (snap !== undefined && snapRecord !== undefined) {
      this.#snap = snapRecord;
      this.#snapData = snap.data;
      this.#cache.clear();
      this.#positions.reset(compacted.index + 1);
    }
    this.#compacted = compacted;
    const first = appended[0];
    if (first !== undefined) {
      this.#positions.truncateFrom(first.index);
      this.#cache.truncateFrom(first.index);
      appended.forEach((e, i) => {
        this.#positions.push(e.index, e.term, written.seq, written.spans[i]!);
      });
      this.#cache.append(appended);
    }
    this.#lastIndex = lastIndex;
    if (confState !== undefined) this.#confState = confState;
    if (hardState !== undefined) this.#hardState = hardState;
  }

  /** The full hard and conf state after a save: written at the start of each new WAL segment. */
  #rollState(hardState: HardState | undefined, confState: ConfState | undefined): Pick<WalBatch, 'hardState' | 'confState'> {
    const conf = confState ?? this.#confState;
    return { hardState: plainHardState(hardState ?? this.#hardState), ...(conf === undefined ? {} : { confState: conf }) };
  }

  /** Term at `index` for validating an append; 0 for the position before an empty log. */
  #termForWrite(index: number): number {
    return index === 0 ? 0 : this.term(index as LogIndex);
  }

  /** Queue the writes that store `snap` as the latest snapshot; returns its record. */
  #snapshotOps(snap: Snapshot, ops: Array<() => void>): SnapshotRecord {
    if (snap.data.length > StorageLimits.snapshotBytesMax) {
      throw new InvalidArgumentError(`snapshot of ${snap.data.length} bytes exceeds snapshotBytesMax`);
    }
    const pieceBytes = StorageLimits.snapshotStoreChunkBytes;
    const storedChunks = Math.ceil(snap.data.length / pieceBytes);
    const record: SnapshotRecord = {
      metadata: snap.metadata,
      totalBytes: snap.data.length,
      dataCrc: crc32(snap.data),
      storedChunks,
    };
    for (let i = 0; i < storedChunks; i++) {
      const piece = Buffer.from(snap.data.subarray(i * pieceBytes, (i + 1) * pieceBytes));
      ops.push(() => this.#snapDb.put(i, piece));
    }
    for (let i = storedChunks; i < this.#snap.storedChunks; i++) ops.push(() => this.#snapDb.remove(i));
    ops.push(() => this.#metaDb.put(RecordNames.snapshot, sealed(RecordNames.snapshot, fromSnapshotRecord(record))));
    return record;
  }

  async #saveLocalSnapshot(snap: Snapshot): Promise<void> {
    const { index, term } = snap.metadata;
    if (index <= this.#snap.metadata.index) {
      throw new InvalidArgumentError(`snapshot ${index} is not newer than the stored snapshot ${this.#snap.metadata.index}`);
    }
    if (index > this.#lastIndex) {
      throw new InvalidArgumentError(`snapshot ${index} is beyond the last log index ${this.#lastIndex}`);
    }
    const logTerm = this.term(index);
    if (logTerm !== term) {
      throw new InvalidArgumentError(`snapshot ${index} has term ${term} but the log has term ${logTerm} there`);
    }
    const ops: Array<() => void> = [];
    const record = this.#snapshotOps(snap, ops);
    await this.#commit(() => {
      for (const op of ops) op();
    });
    this.#snap = record;
    this.#snapData = snap.data;
  }

  async #compact(index: LogIndex): Promise<void> {
    if (index <= this.#compacted.index) return;
    if (index > this.#snap.metadata.index) {
      throw new InvalidArgumentError(
        `cannot compact through ${index}: the snapshot only covers ${this.#snap.metadata.index}; save a snapshot first`,
      );
    }
    const compacted: CompactedRecord = { index, term: this.term(index) };
    await this.#commit(() => {
      this.#metaDb.put(RecordNames.compacted, sealed(RecordNames.compacted, compacted));
    });
    this.#compacted = compacted;
    this.#positions.dropThrough(index);
    this.#cache.dropThrough(index);
    // The compaction point is durable, so segments holding only entries <= index are garbage.
    this.#wal?.removeThrough(index);
  }
}

const NO_SPAN = { pos: 0, len: 0 } as const;

function plainHardState(h: HardState): HardState {
  return { term: h.term, vote: h.vote, commit: h.commit };
}

function sealed(name: string, value: object): Buffer {
  return Buffer.from(encodeRecord(name, value));
}

function checkTerms(entries: readonly Entry[], previousTerm: number): void {
  let term = previousTerm;
  for (const e of entries) {
    if (e.term < term) {
      throw new InvalidArgumentError(`entry ${e.index} has term ${e.term}, lower than the term ${term} before it`);
    }
    term = e.term;
  }
}

function checkContiguous(entries: readonly Entry[]): void {
  for (let i = 1; i < entries.length; i++) {
    if (entries[i]!.index !== entries[i - 1]!.index + 1) {
      throw new InvalidArgumentError(
        `entries must have consecutive indexes: ${entries[i - 1]!.index} then ${entries[i]!.index}`,
      );
    }
  }
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
