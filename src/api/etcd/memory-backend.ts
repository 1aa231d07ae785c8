import { type Clock, SystemClock } from '../../core/clock.js';
import { assert } from '../../core/errors.js';
import { logIndex } from '../../core/ids.js';
import type { KvCommand, KvResult } from '../../kv/commands.js';
import { KvStore } from '../../kv/store.js';
import type {
  CompactResponse,
  DeleteRangeRequest,
  DeleteRangeResponse,
  LeaseGrantResponse,
  LeaseKeepAliveResponse,
  LeaseRevokeResponse,
  LeaseTimeToLiveResponse,
  PutRequest,
  PutResponse,
  RangeRequest,
  RangeResponse,
  RequestOp,
  TxnRequest,
  TxnResponse,
} from '../../kv/types.js';
import { minLeaseTtlSec } from '../../server/limits.js';
import type { HealthResult, NodeStatus, ReadOptions, WatchHandle, WatchRequest, WatchSink } from '../../server/service.js';
import { AuthState } from './auth/state.js';
import type { AlarmCapability, AlarmType, AuthCapability, EtcdAlarm, EtcdBackend, MaintenanceCapability, SnapshotStream } from './backend.js';
import { EtcdError } from './errors.js';
import { readSnapshotFile } from './snapshot-file.js';

export interface MemoryBackendOptions {
  readonly clock?: Clock;
  readonly name?: string;
  /** 48-bit ids shown as hex, like the real node's. */
  readonly memberId?: number;
  readonly clusterId?: number;
  readonly clientUrls?: readonly string[];
  /** etcd's --quota-backend-bytes: NOSPACE is raised past it (0 = etcd's default 2 GiB). */
  readonly quotaBackendBytes?: number;
  /** How often expired leases are revoked. */
  readonly leaseCheckIntervalMs?: number;
  readonly version?: string;
  /** Start from this store (e.g. `KvStore.restore(readSnapshotFile(bytes))`) instead of an empty one. */
  readonly store?: KvStore;
}

/** etcd's default backend quota (2 GiB). */
export const DEFAULT_QUOTA_BACKEND_BYTES = 2 * 1024 * 1024 * 1024;
/** Bytes counted per stored revision of a key beyond key and value (index and metadata). */
const RECORD_OVERHEAD_BYTES = 64;
const SNAPSHOT_CHUNK_BYTES = 64 * 1024;

function hex(id: number): string {
  return id.toString(16).padStart(12, '0');
}

/**
 * A single-node, in-memory `EtcdBackend` over one KvStore: no raft, no disk, always the
 * leader. Real semantics otherwise (MVCC, leases expiring by the clock, watches, NOSPACE
 * past a quota), so tests and `nines` library users can serve the etcd API from memory.
 * Its state is lost when the process exits.
 *
 * The database size is modelled like etcd's bolt file: it grows with every write,
 * compaction frees space "in use" but not the size, defragment shrinks it to what is in use.
 */
export class MemoryEtcdBackend implements EtcdBackend {
  readonly #clock: Clock;
  readonly #store: KvStore;
  readonly #name: string;
  readonly #memberId: number;
  readonly #clusterId: number;
  readonly #clientUrls: readonly string[];
  readonly #quotaBytes: number;
  readonly #version: string;
  readonly #startedMs: number;
  readonly #leaseTimer: NodeJS.Timeout;
  #index = 0;
  #dbSizeBytes = 0;
  #alarms: EtcdAlarm[] = [];
  #closed = false;
  readonly maintenance: MaintenanceCapability;
  readonly alarms: AlarmCapability;
  readonly auth: AuthCapability;

  constructor(options: MemoryBackendOptions = {}) {
    this.#clock = options.clock ?? new SystemClock();
    this.#store = options.store ?? new KvStore();
    this.#index = this.#store.consistentIndex;
    this.#name = options.name ?? 'memory';
    this.#memberId = options.memberId ?? 0x10000001;
    this.#clusterId = options.clusterId ?? 0x20000002;
    this.#clientUrls = options.clientUrls ?? [];
    this.#quotaBytes = options.quotaBackendBytes === undefined || options.quotaBackendBytes === 0 ? DEFAULT_QUOTA_BACKEND_BYTES : options.quotaBackendBytes;
    this.#version = options.version ?? 'memory';
    this.#startedMs = this.#clock.nowMs();
    this.#dbSizeBytes = this.#store.serialize().length;
    this.#leaseTimer = setInterval(() => this.#expireLeases(), options.leaseCheckIntervalMs ?? 250);
    this.#leaseTimer.unref();
    this.maintenance = {
      dbSize: () => ({ sizeBytes: this.#dbSizeBytes, inUseBytes: this.#store.serialize().length }),
      isLearner: () => false,
      hash: async () => this.#store.hash(),
      hashKv: async (revision) => {
        const h = this.#store.hashKv(revision);
        return { hash: h.hash, compactRevision: h.compactRevision, revision: h.hashRevision };
      },
      moveLeader: async (target) => {
        if (target !== BigInt(this.#memberId)) throw new EtcdError('badLeaderTransferee');
      },
      defragment: async () => {
        this.#dbSizeBytes = this.#store.serialize().length;
      },
      snapshot: async () => this.#snapshot(),
    };
    const authState = new AuthState();
    this.auth = {
      state: authState,
      propose: async (command) => authState.apply(command),
    };
    this.alarms = {
      list: async () => [...this.#alarms],
      activate: async (memberId, alarm) => {
        this.#raise(memberId === 0n ? BigInt(this.#memberId) : memberId, alarm);
        return [...this.#alarms];
      },
      deactivate: async (memberId, alarm) => {
        const id = memberId === 0n ? BigInt(this.#memberId) : memberId;
        const removed = this.#alarms.filter((a) => a.memberId === id && a.alarm === alarm);
        this.#alarms = this.#alarms.filter((a) => !(a.memberId === id && a.alarm === alarm));
        return removed;
      },
    };
  }

  /** A backend from a file saved by `etcdctl snapshot save` (CorruptError if damaged). */
  static fromSnapshotFile(file: Uint8Array, options: Omit<MemoryBackendOptions, 'store'> = {}): MemoryEtcdBackend {
    return new MemoryEtcdBackend({ ...options, store: KvStore.restore(readSnapshotFile(file)) });
  }

  /** The store (read-only use: tests compare states). */
  get store(): KvStore {
    return this.#store;
  }

  /** Stop the lease timer and end every watch. */
  close(): void {
    this.#closed = true;
    clearInterval(this.#leaseTimer);
  }

  #raise(memberId: bigint, alarm: AlarmType): void {
    if (!this.#alarms.some((a) => a.memberId === memberId && a.alarm === alarm)) this.#alarms.push({ memberId, alarm });
  }

  #apply(command: KvCommand): KvResult {
    const result = this.#store.apply(command, { index: logIndex(++this.#index), nowMs: Math.floor(this.#clock.nowMs()) });
    if (result.type === 'error') throw result.error;
    assert(result.type !== 'skipped', 'a fresh index is never skipped');
    return result;
  }

  /** etcd refuses writes that grow the database while NOSPACE is raised. */
  #checkSpace(growBytes: number): void {
    if (this.#alarms.some((a) => a.alarm === 'NOSPACE')) throw new EtcdError('noSpace');
    if (this.#dbSizeBytes + growBytes > this.#quotaBytes) {
      this.#raise(BigInt(this.#memberId), 'NOSPACE');
      throw new EtcdError('noSpace');
    }
  }

  #grow(bytes: number): void {
    this.#dbSizeBytes += bytes;
  }

  #expireLeases(): void {
    if (this.#closed) return;
    const ids = this.#store.expiredLeases(Math.floor(this.#clock.nowMs()));
    try {
      if (ids.length > 0) this.#apply({ type: 'leaseExpire', ids });
    } catch {
      // A refused expiry changes nothing; the next scan retries.
    }
  }

  async put(request: PutRequest): Promise<PutResponse> {
    const size = request.key.length + (request.value?.length ?? 0) + RECORD_OVERHEAD_BYTES;
    this.#checkSpace(size);
    const r = this.#apply({ type: 'put', request });
    this.#grow(size);
    assert(r.type === 'put', 'put result');
    return r.response;
  }

  async deleteRange(request: DeleteRangeRequest): Promise<DeleteRangeResponse> {
    const r = this.#apply({ type: 'deleteRange', request });
    assert(r.type === 'deleteRange', 'deleteRange result');
    this.#grow(r.response.deleted * RECORD_OVERHEAD_BYTES);
    return r.response;
  }

  async txn(request: TxnRequest, _options: ReadOptions): Promise<TxnResponse> {
    const size = putBytes(request.success) + putBytes(request.failure);
    if (size > 0) this.#checkSpace(size);
    const r = this.#apply({ type: 'txn', request });
    assert(r.type === 'txn', 'txn result');
    this.#grow(size);
    return r.response;
  }

  async compact(revision: number): Promise<CompactResponse> {
    const r = this.#apply({ type: 'compact', revision });
    assert(r.type === 'compact', 'compact result');
    return r.response;
  }

  async range(request: RangeRequest, _options: ReadOptions): Promise<RangeResponse> {
    return this.#store.range(request);
  }

  async leaseGrant(ttlSec: number, id: number): Promise<LeaseGrantResponse> {
    this.#checkSpace(RECORD_OVERHEAD_BYTES);
    // As a node with etcd's default 1000 ms election timeout: short TTLs are raised to 2 s.
    const r = this.#apply({ type: 'leaseGrant', id, ttlSec: Math.max(ttlSec, minLeaseTtlSec(1000)) });
    assert(r.type === 'leaseGrant', 'leaseGrant result');
    this.#grow(RECORD_OVERHEAD_BYTES);
    return r.response;
  }

  async leaseRevoke(id: number): Promise<LeaseRevokeResponse> {
    const r = this.#apply({ type: 'leaseRevoke', id });
    assert(r.type === 'leaseRevoke', 'leaseRevoke result');
    return r.response;
  }

  async leaseKeepAlive(id: number): Promise<LeaseKeepAliveResponse> {
    const r = this.#apply({ type: 'leaseKeepAlive', id });
    assert(r.type === 'leaseKeepAlive', 'leaseKeepAlive result');
    return r.response;
  }

  async leaseTimeToLive(id: number, keys: boolean, _options: ReadOptions): Promise<LeaseTimeToLiveResponse> {
    return this.#store.leaseTimeToLive(id, Math.floor(this.#clock.nowMs()), keys);
  }

  async leaseList(_options: ReadOptions): Promise<{ revision: number; ids: number[] }> {
    return this.#store.leaseLeases();
  }

  watch(request: WatchRequest, sink: WatchSink): WatchHandle {
    sink.created(this.#store.revision);
    let done = false;
    const id = this.#store.watches.subscribe(
      {
        key: request.key,
        ...(request.rangeEnd !== undefined ? { rangeEnd: request.rangeEnd } : {}),
        startRevision: request.startRevision > 0 ? request.startRevision : this.#store.revision + 1,
        prevKv: request.prevKv,
        filters: { noPut: request.noPut, noDelete: request.noDelete },
      },
      (batch) => {
        if (done) return;
        if (batch.canceled) {
          done = true;
          sink.cancelled(batch.cancelReason ?? 'cancelled', batch.compactRevision ?? 0);
          return;
        }
        if (batch.events.length > 0) sink.events(batch.events);
      },
    );
    return {
      cancel: () => {
        if (done) return;
        done = true;
        this.#store.watches.cancel(id);
      },
    };
  }

  status(): NodeStatus {
    return {
      memberId: hex(this.#memberId),
      name: this.#name,
      clusterId: hex(this.#clusterId),
      role: 'leader',
      leader: hex(this.#memberId),
      leaderName: this.#name,
      term: 1,
      commitIndex: this.#index,
      appliedIndex: this.#index,
      snapshotIndex: 0,
      revision: this.#store.revision,
      compactRevision: this.#store.compactRevision,
      detector: 'none',
      leaderSuspicion: null,
      httpUrl: '',
      clientUrls: this.#clientUrls,
      peerUrl: '',
      peers: [],
      leaderChanges: [],
      uptimeMs: this.#clock.nowMs() - this.#startedMs,
      pid: process.pid,
      version: this.#version,
    };
  }

  live(): HealthResult {
    return { ok: !this.#closed, reason: this.#closed ? 'closed' : '' };
  }

  ready(): HealthResult {
    return this.live();
  }

  #snapshot(): SnapshotStream {
    const bytes = this.#store.serialize();
    const revision = this.#store.revision;
    async function* chunks(): AsyncGenerator<Uint8Array> {
      for (let off = 0; off < bytes.length; off += SNAPSHOT_CHUNK_BYTES) yield bytes.subarray(off, off + SNAPSHOT_CHUNK_BYTES);
    }
    return { sizeBytes: bytes.length, revision, chunks: chunks() };
  }
}

function putBytes(ops: readonly RequestOp[] | undefined): number {
  let n = 0;
  for (const op of ops ?? []) {
    if (op.type === 'put') n += op.request.key.length + (op.request.value?.length ?? 0) + RECORD_OVERHEAD_BYTES;
    else if (op.type === 'txn') n += putBytes(op.request.success) + putBytes(op.request.failure);
  }
  return n;
}
