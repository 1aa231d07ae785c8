import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type Database, open, type RootDatabase } from 'lmdb';
import { ErrorCodes, InvalidArgumentError, isNinesError, NinesError } from '../core/errors.js';
import type { LogIndex, NodeId, Term } from '../core/ids.js';
import type { RaftStorage } from '../raft/storage.js';
import type { ConfState, Entry, HardState, Snapshot } from '../raft/types.js';
import { decodeEntry, decodeRecord, encodeEntry, encodeRecord } from './codec.js';
import { crc32 } from './crc.js';
import { LogUnavailableError } from '../raft/errors.js';
import { ClusterMismatchError, corruptFile } from './errors.js';
import { STORAGE_FORMAT_VERSION, StorageLimits } from './limits.js';
import {
  type CompactedRecord,
  EMPTY_CONF_STATE,
  fromSnapshotRecord,
  type MetaRecord,
  plainConf,
  RecordNames,
  type SnapshotRecord,
  toCompacted,
  toConfState,
  toHardState,
  toMeta,
  toSnapshotRecord,
} from './records.js';
import { probeEnvironment } from './probe.js';
import { chunksOf, type SnapshotChunk } from './snapshot-chunks.js';
import { LogTailCache } from './tail-cache.js';

export interface DiskStorageOptions {
  /** The cluster this member belongs to (computed by the server from the token and members). */
  readonly clusterId: string | bigint;
  readonly nodeId: NodeId;
  readonly nodeName: string;
  /** In-memory log tail budget (default StorageLimits.logCacheBytesMax). */
  readonly cacheBytesMax?: number;
  /** LMDB map size (default StorageLimits.mapSizeBytes). */
  readonly mapSizeBytes?: number;
  /**
   * Read the whole environment in a child process before opening it (default true), so damage
   * to LMDB's own pages is reported as a CorruptError instead of crashing this process.
   * Costs one short-lived `node` process at start; tests of other behaviour turn it off.
   */
  readonly probe?: boolean;
}

/** What one raft Ready asks to persist. Written in one LMDB transaction, durable on resolve. */
export interface StorageUpdate {
  /** A snapshot received from the leader: replaces the whole log (etcd's ApplySnapshot). */
  readonly snapshot?: Snapshot;
  /** Entries to append; ones conflicting with stored entries replace them and everything after. */
  readonly entries?: readonly Entry[];
  readonly hardState?: HardState;
  /** Membership after the latest applied conf change (defaults to the snapshot's). */
  readonly confState?: ConfState;
}

export interface DiskStorageStats {
  readonly firstIndex: number;
  readonly lastIndex: number;
  readonly snapshotIndex: number;
  readonly cacheEntries: number;
  readonly cacheBytes: number;
}

const DB_NAMES = ['meta', 'log', 'snap'] as const;
const EMPTY_HARD_STATE: HardState = { term: 0 as Term, vote: 0 as NodeId, commit: 0 as LogIndex };

/**
 * Durable raft state in one LMDB environment at `<dataDir>/member/` (files `data.mdb`, `lock.mdb`).
 *
 * Durability: the environment is opened with `noSync: false` and `overlappingSync: false`, so each
 * LMDB commit fsyncs before lmdb-js resolves the write's promise; `save` additionally awaits
 * `flushed`. Hence a resolved `save`/`saveSnapshot`/`compact` is on disk.
 *
 * Writes are serialised: each starts after the previous one resolved. The read side (the
 * `RaftStorage` methods) reflects a write once its promise has resolved. After a failed write the
 * storage refuses further writes (fail-stop: the on-disk state is unknown, restart the process).
 *
 * Checksums: every log entry and every named record carries a CRC-32; they are verified on open
 * (the whole log and the snapshot data are scanned) and on every read from disk.
 */
export class DiskStorage implements RaftStorage {
  readonly dir: string;
  /** The LMDB data file: named in every corruption error. */
  readonly dataFile: string;
  readonly meta: MetaRecord;
  readonly #root: RootDatabase<Buffer>;
  readonly #metaDb: Database<Buffer, string>;
  readonly #logDb: Database<Buffer, number>;
  readonly #snapDb: Database<Buffer, number>;
  readonly #cache: LogTailCache;
  #hardState: HardState = EMPTY_HARD_STATE;
  #confState: ConfState | undefined;
  #snap: SnapshotRecord;
  #snapData: Uint8Array | undefined;
  #compacted: CompactedRecord = { index: 0 as LogIndex, term: 0 as Term };
  #lastIndex = 0;
  #writeQueue: Promise<unknown> = Promise.resolve();
  #failed: unknown;
  #closed = false;

  private constructor(
    dir: string,
    root: RootDatabase<Buffer>,
    meta: MetaRecord,
    cacheBytesMax: number,
  ) {
    this.dir = dir;
    this.dataFile = join(dir, 'member', 'data.mdb');
    this.#root = root;
    this.meta = meta;
    this.#metaDb = root.openDB<Buffer, string>({ name: 'meta', encoding: 'binary' });
    this.#logDb = root.openDB<Buffer, number>({ name: 'log', encoding: 'binary' });
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
   * hard state beyond the log or unreadable environment, and `ClusterMismatchError` when the dir
   * belongs to another cluster or member.
   */
  static async open(dir: string, options: DiskStorageOptions): Promise<DiskStorage> {
    const envDir = join(dir, 'member');
    const dataFile = join(envDir, 'data.mdb');
    const wanted: MetaRecord = {
      formatVersion: STORAGE_FORMAT_VERSION,
      clusterId: String(options.clusterId),
      nodeId: options.nodeId,
      nodeName: options.nodeName,
    };
    if (wanted.clusterId === '') throw new InvalidArgumentError('clusterId must not be empty');
    mkdirSync(envDir, { recursive: true });
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
      const meta = await DiskStorage.#checkMeta(dir, dataFile, root, metaDb, wanted);
      storage = new DiskStorage(dir, root, meta, options.cacheBytesMax ?? StorageLimits.logCacheBytesMax);
      storage.#recover();
      return storage;
    } catch (err) {
      await root.close().catch(() => undefined);
      if (isNinesError(err)) throw err;
      throw corruptFile(dataFile, `cannot read the LMDB environment (${errorText(err)})`, err);
    }
  }

  static async #checkMeta(
    dir: string,
    dataFile: string,
    root: RootDatabase<Buffer>,
    metaDb: Database<Buffer, string>,
    wanted: MetaRecord,
  ): Promise<MetaRecord> {
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
      return wanted;
    }
    const decoded = decodeRecord(RecordNames.meta, raw);
    const meta = decoded === undefined ? undefined : toMeta(decoded);
    if (meta === undefined) throw corruptFile(dataFile, 'the meta record fails its checksum');
    if (meta.formatVersion > STORAGE_FORMAT_VERSION) {
      throw new InvalidArgumentError(
        `data dir ${dir} has storage format ${meta.formatVersion}, newer than this nines supports (${STORAGE_FORMAT_VERSION}): upgrade nines`,
      );
    }
    if (meta.clusterId !== wanted.clusterId || meta.nodeId !== wanted.nodeId || meta.nodeName !== wanted.nodeName) {
      throw new ClusterMismatchError(
        `data dir ${dir} belongs to cluster ${meta.clusterId} member "${meta.nodeName}" (id ${meta.nodeId}), ` +
          `not cluster ${wanted.clusterId} member "${wanted.nodeName}" (id ${wanted.nodeId}): ` +
          'check --data-dir, --name, --initial-cluster and --initial-cluster-token, or use an empty data dir to join as a new member',
      );
    }
    return meta;
  }

  #record<T>(name: string, shape: (r: Record<string, unknown>) => T | undefined): T | undefined {
    const raw = this.#metaDb.getBinary(name);
    if (raw === undefined) return undefined;
    const decoded = decodeRecord(name, raw);
    const value = decoded === undefined ? undefined : shape(decoded);
    if (value === undefined) throw corruptFile(this.dataFile, `the ${name} record fails its checksum`);
    return value;
  }

  /** Load and verify everything; fills the tail cache. */
  #recover(): void {
    this.#hardState = this.#record(RecordNames.hardState, toHardState) ?? EMPTY_HARD_STATE;
    this.#confState = this.#record(RecordNames.confState, toConfState);
    this.#snap = this.#record(RecordNames.snapshot, toSnapshotRecord) ?? this.#snap;
    this.#compacted = this.#record(RecordNames.compacted, toCompacted) ?? this.#compacted;
    if (this.#compacted.index > this.#snap.metadata.index) {
      throw corruptFile(
        this.dataFile,
        `log compacted through ${this.#compacted.index} but the snapshot only covers ${this.#snap.metadata.index}`,
      );
    }
    this.#verifySnapshotData();
    let expected = this.#compacted.index + 1;
    let lastTerm = this.#compacted.term as number;
    for (const { key, value } of this.#logDb.getRange({})) {
      if (key !== expected) {
        throw corruptFile(this.dataFile, `gap in the raft log: expected index ${expected}, found ${String(key)}`);
      }
      const entry = decodeEntry(key, value);
      if (entry === undefined) throw corruptFile(this.dataFile, `log entry ${key} fails its checksum`);
      if (entry.term < lastTerm) {
        throw corruptFile(this.dataFile, `log entry ${key} has term ${entry.term}, lower than the entry before it`);
      }
      lastTerm = entry.term;
      this.#cache.append([entry]);
      expected++;
    }
    this.#lastIndex = expected - 1;
    if (this.#lastIndex < this.#snap.metadata.index) {
      throw corruptFile(
        this.dataFile,
        `the log ends at ${this.#lastIndex}, before the snapshot index ${this.#snap.metadata.index}`,
      );
    }
    if (this.#hardState.commit > this.#lastIndex) {
      throw corruptFile(
        this.dataFile,
        `hard state commit ${this.#hardState.commit} is beyond the last log index ${this.#lastIndex}`,
      );
    }
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
    return this.#entry(index).term;
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
    };
  }

  #entry(index: number): Entry {
    const cached = this.#cache.get(index);
    if (cached !== undefined) return cached;
    const raw = this.#logDb.getBinary(index);
    if (raw === undefined) throw corruptFile(this.dataFile, `log entry ${index} is missing`);
    const entry = decodeEntry(index, raw);
    if (entry === undefined) throw corruptFile(this.dataFile, `log entry ${index} fails its checksum`);
    return entry;
  }

  // ---- write side ----

  /**
   * Persist one Ready: snapshot (replacing the log), then entries (truncating any conflicting
   * suffix), conf state and hard state, in one LMDB transaction. Resolves once fsynced.
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

  /** Drop log entries <= `index` (which must be <= the snapshot index). No-op if already compacted. */
  compact(index: LogIndex): Promise<void> {
    return this.#serialised(() => this.#compact(index));
  }

  /** Wait for pending writes, then close the environment. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#writeQueue.catch(() => undefined);
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

  /** One LMDB transaction, fsynced. A failure here leaves the disk state unknown: fail-stop. */
  async #commit(ops: () => void): Promise<void> {
    try {
      await this.#root.batch(ops);
      await this.#root.flushed;
    } catch (err) {
      this.#failed = err;
      throw err;
    }
  }

  async #save(update: StorageUpdate): Promise<void> {
    let compacted = this.#compacted;
    let lastIndex = this.#lastIndex;
    const ops: Array<() => void> = [];
    const snap = update.snapshot;
    let snapRecord: SnapshotRecord | undefined;
    if (snap !== undefined) {
      const index = snap.metadata.index;
      if (index < this.#snap.metadata.index) {
        throw new InvalidArgumentError(`snapshot ${index} is older than the stored snapshot ${this.#snap.metadata.index}`);
      }
      snapRecord = this.#snapshotOps(snap, ops);
      for (let i = compacted.index + 1; i <= lastIndex; i++) ops.push(() => this.#logDb.remove(i));
      compacted = { index, term: snap.metadata.term };
      ops.push(() => this.#metaDb.put(RecordNames.compacted, sealed(RecordNames.compacted, compacted)));
      lastIndex = index;
    }
    let appended: Entry[] = [];
    let truncateFrom: number | undefined;
    if (update.entries !== undefined && update.entries.length > 0) {
      checkContiguous(update.entries);
      appended = update.entries.filter((e) => e.index > compacted.index);
      const first = appended[0];
      if (first !== undefined) {
        if (first.index > lastIndex + 1) {
          throw new InvalidArgumentError(`entries start at ${first.index}, leaving a gap after last index ${lastIndex}`);
        }
        checkTerms(appended, first.index - 1 === compacted.index ? compacted.term : this.#termForWrite(first.index - 1));
        const newLast = first.index + appended.length - 1;
        if (first.index <= lastIndex) truncateFrom = first.index;
        for (const entry of appended) {
          const record = Buffer.from(encodeEntry(entry));
          ops.push(() => this.#logDb.put(entry.index, record));
        }
        for (let i = newLast + 1; i <= lastIndex; i++) ops.push(() => this.#logDb.remove(i));
        lastIndex = newLast;
      }
    }
    const confState = update.confState ?? snap?.metadata.confState;
    if (confState !== undefined) {
      ops.push(() => this.#metaDb.put(RecordNames.confState, sealed(RecordNames.confState, plainConf(confState))));
    }
    const hardState = update.hardState;
    if (hardState !== undefined) {
      if (hardState.commit > lastIndex) {
        throw new InvalidArgumentError(`hard state commit ${hardState.commit} is beyond the last index ${lastIndex}`);
      }
      const plain = { term: hardState.term, vote: hardState.vote, commit: hardState.commit };
      ops.push(() => this.#metaDb.put(RecordNames.hardState, sealed(RecordNames.hardState, plain)));
    }
    if (ops.length === 0) return;
    await this.#commit(() => {
      for (const op of ops) op();
    });
    // Durable: now make it visible to readers.
    if (snap !== undefined && snapRecord !== undefined) {
      this.#snap = snapRecord;
      this.#snapData = snap.data;
      this.#cache.clear();
    }
    this.#compacted = compacted;
    if (truncateFrom !== undefined) this.#cache.truncateFrom(truncateFrom);
    if (appended.length > 0) this.#cache.append(appended);
    this.#lastIndex = lastIndex;
    if (confState !== undefined) this.#confState = confState;
    if (hardState !== undefined) this.#hardState = hardState;
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
    const from = this.#compacted.index + 1;
    await this.#commit(() => {
      for (let i = from; i <= index; i++) this.#logDb.remove(i);
      this.#metaDb.put(RecordNames.compacted, sealed(RecordNames.compacted, compacted));
    });
    this.#compacted = compacted;
    this.#cache.dropThrough(index);
  }
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
