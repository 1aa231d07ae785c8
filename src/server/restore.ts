import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmdirSync, rmSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { SNAPSHOT_MAGIC, readSnapshotFile } from '../api/etcd/snapshot-file.js';
import { assert, CorruptError, InvalidArgumentError } from '../core/errors.js';
import type { LogIndex, NodeId, Term } from '../core/ids.js';
import { KvStore } from '../kv/store.js';
import type { ConfState } from '../raft/types.js';
import { DiskStorage } from '../storage/disk-storage.js';
import { EMPTY_RAW_CONFIG, type NodeConfig, validateNodeConfig, withFlags } from './config.js';
import { formatId } from './member-id.js';
import { MemberTable } from './membership.js';
import { decodeNodeSnapshot, encodeNodeSnapshot } from './node-snapshot.js';

/**
 * `nines snapshot status` and `nines snapshot restore`: reading a snapshot file saved from
 * the etcd Maintenance.Snapshot RPC (by `nines snapshot save` or `etcdctl snapshot save`; the
 * framing is in src/api/etcd/snapshot-file.ts, the payload is `KvStore.serialize` bytes) and
 * turning it into the data dir of a member of a NEW cluster, as `etcdctl snapshot restore`.
 */

/** Snapshot files larger than this are refused (read whole into memory). */
export const SNAPSHOT_FILE_BYTES_MAX = 2 * 1024 ** 3;
/** The term of the raft snapshot a restore writes (etcd's restore uses term 1). */
export const RESTORED_TERM = 1;
const FRAME_HEAD_BYTES = 16;
const FRAME_SHA_BYTES = 32;
const FRAME_PAGE_BYTES = 512;

/** What a snapshot file holds (`nines snapshot status`). */
export interface SnapshotFileStatus {
  /** CRC-32C of every stored key version (etcd's HashKV at `revision`: compare with `etcdctl endpoint hashkv`). */
  readonly hash: number;
  readonly revision: number;
  readonly compactRevision: number;
  /** Live keys at `revision`. */
  readonly totalKeys: number;
  readonly leases: number;
  /** Size of the file in bytes. */
  readonly totalSizeBytes: number;
  /** Raft index the source member had applied when the snapshot was taken. */
  readonly appliedIndex: number;
}

/** Read a snapshot file whole; errors name the file. */
export function readSnapshotBytes(file: string): Uint8Array {
  let size: number;
  try {
    const st = statSync(file);
    if (!st.isFile()) throw new InvalidArgumentError(`snapshot file ${file} is not a regular file`);
    size = st.size;
  } catch (err) {
    if (err instanceof InvalidArgumentError) throw err;
    throw new InvalidArgumentError(`cannot read snapshot file ${file}: ${(err as Error).message}`);
  }
  if (size > SNAPSHOT_FILE_BYTES_MAX) {
    throw new InvalidArgumentError(`snapshot file ${file} has ${size} bytes, more than the ${SNAPSHOT_FILE_BYTES_MAX} nines reads`);
  }
  return readFileSync(file);
}

/**
 * The kv store in a saved snapshot. Checks the trailing SHA-256 (unless `skipHashCheck`: then
 * only the framing and the payload's own CRC-32C are checked). CorruptError, naming `name`,
 * for a damaged, truncated or foreign (e.g. etcd bolt) file.
 */
export function decodeSnapshotFile(bytes: Uint8Array, name: string, skipHashCheck = false): KvStore {
  const payload = skipHashCheck ? framedPayload(bytes, name) : readSnapshotFile(bytes, name);
  try {
    return KvStore.restore(payload);
  } catch (err) {
    throw new CorruptError(`${name}: the snapshot payload is not a nines key space (${(err as Error).message})`, { cause: err });
  }
}

/** The payload of a framed snapshot without checking its SHA-256 (`--skip-hash-check`). */
function framedPayload(bytes: Uint8Array, name: string): Uint8Array {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  // A file whose checksum was stripped (size 512·n) is accepted too.
  const withSha = buf.length >= FRAME_HEAD_BYTES + FRAME_SHA_BYTES && (buf.length - FRAME_SHA_BYTES) % FRAME_PAGE_BYTES === 0;
  const body = withSha ? buf.subarray(0, buf.length - FRAME_SHA_BYTES) : buf;
  if (body.length < FRAME_HEAD_BYTES || !body.subarray(0, SNAPSHOT_MAGIC.length).equals(SNAPSHOT_MAGIC)) {
    throw new CorruptError(`${name}: not a nines snapshot (no "NINESNAP" head; an etcd bolt file?)`);
  }
  const n = body.readBigUInt64BE(SNAPSHOT_MAGIC.length);
  if (n > BigInt(body.length - FRAME_HEAD_BYTES)) throw new CorruptError(`${name}: payload length ${n} is beyond the file`);
  return body.subarray(FRAME_HEAD_BYTES, FRAME_HEAD_BYTES + Number(n));
}

/** `nines snapshot status FILE`: hash, revision, keys and size of a saved snapshot. */
export function snapshotFileStatus(file: string): SnapshotFileStatus {
  const bytes = readSnapshotBytes(file);
  const kv = decodeSnapshotFile(bytes, file);
  return statusOf(kv, bytes.length);
}

/** Status figures of a decoded snapshot of `sizeBytes`. */
export function statusOf(kv: KvStore, sizeBytes: number): SnapshotFileStatus {
  const all = new Uint8Array([0]);
  const count = kv.range({ key: all, rangeEnd: all, countOnly: true }).count;
  const stats = kv.stats();
  return {
    hash: kv.hashKv(0).hash >>> 0,
    revision: kv.revision,
    compactRevision: kv.compactRevision,
    totalKeys: count,
    leases: stats.leases,
    totalSizeBytes: sizeBytes,
    appliedIndex: kv.consistentIndex,
  };
}

/** The flags of `nines snapshot restore` (etcdctl's names). */
export interface RestoreOptions {
  readonly file: string;
  readonly dataDir: string;
  readonly name: string;
  /** name=peer-url,... of every member of the new cluster. */
  readonly initialCluster: string;
  readonly initialClusterToken: string;
  /** This member's peer URL (must match its entry in `initialCluster`). */
  readonly initialAdvertisePeerUrls: string;
  readonly skipHashCheck?: boolean;
}

export interface RestoreResult {
  readonly dataDir: string;
  readonly name: string;
  readonly memberId: string;
  readonly clusterId: string;
  /** Raft index (and commit) of the snapshot written: the same for every member restored from the file. */
  readonly snapshotIndex: number;
  readonly revision: number;
  readonly members: readonly { readonly name: string; readonly id: string; readonly peerUrl: string }[];
}

/**
 * The member config `nines start` would compute from the same flags: the ids and the cluster
 * id derive from it, so the restored data dir is accepted at start.
 */
export function restoreConfig(options: RestoreOptions): NodeConfig {
  return validateNodeConfig(
    withFlags(EMPTY_RAW_CONFIG, {
      name: options.name,
      'data-dir': options.dataDir,
      'initial-cluster': options.initialCluster,
      'initial-cluster-token': options.initialClusterToken,
      'initial-advertise-peer-urls': options.initialAdvertisePeerUrls,
    }),
  );
}

/** Refuse a data dir that exists and is not an empty directory. */
export function checkRestoreTarget(dataDir: string): void {
  if (!existsSync(dataDir)) return;
  const st = statSync(dataDir);
  if (!st.isDirectory()) throw new InvalidArgumentError(`--data-dir ${dataDir} exists and is not a directory`);
  const entries = readdirSync(dataDir);
  if (entries.length > 0) {
    throw new InvalidArgumentError(
      `--data-dir ${dataDir} is not empty (holds ${entries.slice(0, 3).join(', ')}${entries.length > 3 ? ', …' : ''}): ` +
        'a restore creates a new member; give a new or empty directory (move the old one aside)',
    );
  }
}

/**
 * The raft state every member restored from the same snapshot gets (so they agree without an
 * election on the log): one snapshot at `index`, term 1, committed, holding the key space and
 * the member records of the new cluster; all members voters. `index` is past the source
 * member's applied index recorded in the key space (its consistent index), so the first new
 * entry applies; and at least the number of members, as etcd (one conf change per member).
 */
export function restoredRaftState(
  kv: KvStore,
  kvBytes: Uint8Array,
  config: NodeConfig,
): { index: LogIndex; confState: ConfState; data: Uint8Array } {
  const index = Math.max(kv.consistentIndex, config.members.length) as LogIndex;
  const voters = config.members.map((m) => m.id).sort((a, b) => a - b);
  // Only what every member knows alike: no HTTP URLs (members publish theirs once started).
  const members = MemberTable.seeded(config.members.map((m) => ({ id: m.id, name: m.name, peerUrl: m.peerUrl })));
  const data = encodeNodeSnapshot(kvBytes, { members: members.toJSON() });
  return { index, confState: { voters, learners: [], votersOutgoing: [] }, data };
}

/**
 * `nines snapshot restore`: validate the file, then write a new member's data dir (via a
 * temporary sibling directory renamed into place, so a failure leaves no data dir behind).
 * `nines start` with the same --name, --data-dir, --initial-cluster and
 * --initial-cluster-token then starts the member with the restored key space at the
 * snapshot's revision.
 */
export async function restoreSnapshot(options: RestoreOptions): Promise<RestoreResult> {
  const config = restoreConfig(options);
  const dataDir = resolve(options.dataDir);
  checkRestoreTarget(dataDir);
  const bytes = readSnapshotBytes(options.file);
  const kv = decodeSnapshotFile(bytes, options.file, options.skipHashCheck ?? false);
  const kvBytes = kv.serialize();
  const state = restoredRaftState(kv, kvBytes, config);
  const parent = dirname(dataDir);
  mkdirSync(parent, { recursive: true });
  const tmp = join(parent, `.${basename(dataDir)}.restore-${process.pid}`);
  rmSync(tmp, { recursive: true, force: true });
  const identity = { clusterId: formatId(config.clusterId), nodeId: config.memberId, nodeName: config.name };
  try {
    const storage = await DiskStorage.open(tmp, { ...identity, probe: false });
    try {
      await storage.save({
        snapshot: { metadata: { index: state.index, term: RESTORED_TERM as Term, confState: state.confState }, data: state.data },
        hardState: { term: RESTORED_TERM as Term, vote: 0 as NodeId, commit: state.index },
        confState: state.confState,
      });
    } finally {
      await storage.close();
    }
    await verifyRestored(tmp, identity, state.index, kv.revision);
    checkRestoreTarget(dataDir);
    if (existsSync(dataDir)) rmdirSync(dataDir);
    renameSync(tmp, dataDir);
    syncDir(parent);
  } catch (err) {
    rmSync(tmp, { recursive: true, force: true });
    throw err;
  }
  return {
    dataDir,
    name: config.name,
    memberId: formatId(config.memberId),
    clusterId: formatId(config.clusterId),
    snapshotIndex: state.index,
    revision: kv.revision,
    members: config.members.map((m) => ({ name: m.name, id: formatId(m.id), peerUrl: m.peerUrl })),
  };
}

/** Reopen what was written, as `nines start` will, and check it holds the snapshot. */
async function verifyRestored(
  dir: string,
  identity: { clusterId: string; nodeId: NodeId; nodeName: string },
  index: LogIndex,
  revision: number,
): Promise<void> {
  const storage = await DiskStorage.open(dir, { ...identity, probe: false });
  try {
    const snap = storage.snapshot();
    const { hardState } = storage.initialState();
    assert(snap.metadata.index === index && storage.lastIndex() === index, `restored snapshot index ${snap.metadata.index} is ${index}`);
    assert(hardState.commit === index && hardState.term === RESTORED_TERM, 'restored hard state commits the snapshot');
    const kv = KvStore.restore(decodeNodeSnapshot(snap.data).kv);
    assert(kv.revision === revision, `restored revision ${kv.revision} is ${revision}`);
  } finally {
    await storage.close();
  }
}

/** fsync a directory so a rename in it is durable. */
function syncDir(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
