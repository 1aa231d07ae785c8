import { assert, CorruptError, InvalidArgumentError, NinesError } from '../core/errors.js';
import type { LogIndex, Revision } from '../core/ids.js';
import { fromBinary, keySpan, toBinary } from './bytes.js';
import type { ApplyContext, KvCommand, KvResult } from './commands.js';
import { decodeCommand } from './codec.js';
import { crc32c, crc32cUpdate } from './crc32c.js';
import { compactedError, futureRevisionError, keyNotFoundError } from './errors.js';
import { type Change, History } from './history.js';
import { KeyIndex, type KvRecord } from './key-index.js';
import { toKeyValue } from './key-value.js';
import { type Lease, Lessor } from './lessor.js';
import { KvLimits } from './limits.js';
import { evalRange } from './range.js';
import { decodeSnapshot, encodeSnapshot, encodeStoreBody, type StoreData } from './snapshot.js';
import type {
  Compare,
  DeleteRangeRequest,
  DeleteRangeResponse,
  LeaseTimeToLiveResponse,
  PutRequest,
  RangeRequest,
  RangeResponse,
  RequestOp,
  ResponseOp,
  TxnRequest,
  TxnResponse,
} from './types.js';
import { compareHolds, type TxnPath, withRevision } from './txn.js';
import { validateCommand, validateRange } from './validate.js';
import { WatchHub } from './watch-hub.js';

/** Store sizes (see `KvStore.stats`). */
export interface KvStats {
  readonly revision: Revision;
  readonly compactRevision: Revision;
  readonly consistentIndex: LogIndex;
  /** Keys with any stored version since compaction (live or deleted). */
  readonly keys: number;
  /** Revisions of history held (what watches can replay). */
  readonly historyRevisions: number;
  readonly leases: number;
  readonly watchers: number;
}

/** The changes of the revision being written. */
interface Write {
  readonly revision: number;
  readonly changes: Change[];
}

const EMPTY = new Uint8Array(0);

/**
 * The replicated MVCC state machine with etcd's semantics. Pure and deterministic: state
 * changes only through `apply`, and only from the command and the context it is given, so
 * replicas applying the same log agree (`hash()`).
 *
 * Invariants: revision ≥ 1 and raises by exactly one per mutating command (a whole txn
 * included; commands that change no key do not raise it); compactRevision ≤ revision;
 * every live key's lease exists and lists it; consistentIndex never goes down.
 *
 * Watch callbacks run synchronously inside `apply`; they must not call `apply`.
 */
export class KvStore {
  readonly #index = new KeyIndex();
  readonly #history = new History();
  readonly #lessor = new Lessor();
  #revision = 1;
  #compactRevision = 0;
  #consistentIndex = 0;
  /** Watches over this store; fed after every revision and compaction. */
  readonly watches: WatchHub;

  constructor() {
    const self = this;
    this.watches = new WatchHub({
      get currentRevision() {
        return self.#revision;
      },
      get compactRevision() {
        return self.#compactRevision;
      },
      changesAt: (revision) => self.#history.at(revision),
    });
  }

  /** Current store revision (1 for an empty store). */
  get revision(): Revision {
    return this.#revision as Revision;
  }

  /** Revision history was compacted at (0: never). Reads below it fail. */
  get compactRevision(): Revision {
    return this.#compactRevision as Revision;
  }

  /** Raft index of the last applied entry. */
  get consistentIndex(): LogIndex {
    return this.#consistentIndex as LogIndex;
  }

  /** Sizes for metrics and status: cheap, no scan. */
  stats(): KvStats {
    return {
      revision: this.revision,
      compactRevision: this.compactRevision,
      consistentIndex: this.consistentIndex,
      keys: this.#index.size,
      historyRevisions: Math.max(0, this.#history.last - this.#history.first + 1),
      leases: this.#lessor.size,
      watchers: this.watches.size,
    };
  }

  // ---------------------------------------------------------------- apply

  /**
   * Applies one command from the raft entry at `ctx.index`. An index ≤ the consistent index
   * was applied before and is skipped, so replaying the log after a restart is harmless.
   * A refused command returns `{type:'error'}`, changes no key, and still counts as applied.
   */
  apply(command: KvCommand, ctx: ApplyContext): KvResult {
    checkIndex(ctx.index);
    if (!Number.isSafeInteger(ctx.nowMs)) throw new InvalidArgumentError(`apply: nowMs must be an integer, got ${String(ctx.nowMs)}`);
    if (ctx.index <= this.#consistentIndex) return { type: 'skipped' };
    this.#consistentIndex = ctx.index;
    try {
      return this.#execute(command, ctx.nowMs);
    } catch (err) {
      if (err instanceof NinesError) return { type: 'error', error: err };
      throw err;
    }
  }

  /**
   * Applies the data of a raft entry: bytes from `encodeCommand`. Empty data (a leader's
   * no-op) only records the index. Undecodable data is refused like an invalid command.
   */
  applyEntry(index: LogIndex, data: Uint8Array): KvResult {
    checkIndex(index);
    if (!(data instanceof Uint8Array)) throw new InvalidArgumentError('applyEntry: data must be bytes');
    if (data.length === 0 || index <= this.#consistentIndex) {
      if (index > this.#consistentIndex) this.#consistentIndex = index;
      return { type: 'skipped' };
    }
    let proposal: ReturnType<typeof decodeCommand>;
    try {
      proposal = decodeCommand(data);
    } catch (err) {
      if (!(err instanceof NinesError)) throw err;
      this.#consistentIndex = index;
      return { type: 'error', error: err };
    }
    return this.apply(proposal.command, { index, nowMs: proposal.nowMs });
  }

  #execute(command: KvCommand, nowMs: number): KvResult {
    // Validation is the first step: nothing below runs on an invalid command.
    const cmd = validateCommand(command);
    switch (cmd.type) {
      case 'put': {
        this.#checkPut(cmd.request);
        const w = this.#begin();
        const prev = this.#put(w, cmd.request);
        this.#commit(w);
        const prevKv = cmd.request.prevKv === true && prev !== undefined ? toKeyValue(prev) : undefined;
        return { type: 'put', response: { revision: this.revision, ...(prevKv ? { prevKv } : {}) } };
      }
      case 'deleteRange': {
        const w = this.#begin();
        const r = this.#deleteRange(w, cmd.request);
        this.#commit(w);
        return { type: 'deleteRange', response: { ...r, revision: this.revision } };
      }
      case 'txn':
        return { type: 'txn', response: this.#txn(cmd.request) };
      case 'compact':
        this.#compact(cmd.revision);
        return { type: 'compact', response: { revision: this.revision } };
      case 'leaseGrant': {
        const lease = this.#lessor.grant(cmd.id, cmd.ttlSec, nowMs);
        return { type: 'leaseGrant', response: { revision: this.revision, id: lease.id, ttlSec: lease.ttlSec } };
      }
      case 'leaseRevoke': {
        const lease = this.#lessor.require(cmd.id);
        const deleted = this.#revokeAll([lease]);
        return { type: 'leaseRevoke', response: { revision: this.revision, deleted } };
      }
      case 'leaseKeepAlive': {
        const lease = this.#lessor.keepAlive(cmd.id, nowMs);
        return { type: 'leaseKeepAlive', response: { revision: this.revision, id: lease.id, ttlSec: lease.ttlSec } };
      }
      case 'leaseCheckpoint': {
        const ids = cmd.checkpoints.filter((cp) => this.#lessor.checkpoint(cp.id, cp.remainingTtlSec, nowMs)).map((cp) => cp.id);
        return { type: 'leaseCheckpoint', response: { revision: this.revision, ids } };
      }
      case 'leaseExpire': {
        // Re-checked against the replicated expiry: a keep-alive applied after the leader
        // chose these ids wins, the same way on every replica.
        const ids = [...new Set(cmd.ids)].sort((a, b) => a - b);
        const leases = ids
          .map((id) => this.#lessor.get(id))
          .filter((l): l is Lease => l !== undefined && l.expiryMs <= nowMs);
        const deleted = this.#revokeAll(leases);
        return { type: 'leaseExpire', response: { revision: this.revision, expired: leases.map((l) => l.id), deleted } };
      }
    }
  }

  // ---------------------------------------------------------------- writes

  #begin(): Write {
    return { revision: this.#revision + 1, changes: [] };
  }

  #commit(w: Write): void {
    if (w.changes.length === 0) return;
    assert(w.revision === this.#revision + 1, 'one revision per write');
    this.#revision = w.revision;
    this.#history.push(w.revision, w.changes);
    this.watches.onRevision(w.revision, w.changes);
  }

  /** The revision a read inside write `w` sees: its own changes once it has any. */
  #readRevision(w: Write | undefined): number {
    return w !== undefined && w.changes.length > 0 ? w.revision : this.#revision;
  }

  /** Fails a put that cannot succeed, before anything is written. */
  #checkPut(req: PutRequest): void {
    if ((req.ignoreValue === true || req.ignoreLease === true) && this.#index.latest(toBinary(req.key)) === undefined) {
      throw keyNotFoundError();
    }
    const lease = req.lease ?? 0;
    if (lease !== 0) this.#lessor.require(lease);
  }

  /** Writes a put (checked by #checkPut); returns the version it replaced. */
  #put(w: Write, req: PutRequest): KvRecord | undefined {
    const key = toBinary(req.key);
    const prev = this.#index.latest(key);
    const value = req.ignoreValue === true ? prev?.value : new Uint8Array(req.value ?? EMPTY);
    const lease = req.ignoreLease === true ? (prev?.lease ?? 0) : (req.lease ?? 0);
    assert(value !== undefined && value !== null, 'ignoreValue needs a live key (checked)');
    const record: KvRecord = {
      key,
      createRevision: prev?.createRevision ?? w.revision,
      modRevision: w.revision,
      version: (prev?.version ?? 0) + 1,
      lease,
      value,
    };
    if (prev !== undefined && prev.lease !== 0 && prev.lease !== lease) this.#lessor.detach(prev.lease, key);
    if (lease !== 0) this.#lessor.attach(lease, key);
    this.#index.append(record);
    w.changes.push({ record, prev });
    return prev;
  }

  #deleteKey(w: Write, key: string): KvRecord | undefined {
    const prev = this.#index.latest(key);
    if (prev === undefined) return undefined;
    const tombstone: KvRecord = { key, createRevision: 0, modRevision: w.revision, version: 0, lease: 0, value: null };
    if (prev.lease !== 0) this.#lessor.detach(prev.lease, key);
    this.#index.append(tombstone);
    w.changes.push({ record: tombstone, prev });
    return prev;
  }

  #deleteRange(w: Write, req: DeleteRangeRequest): Omit<DeleteRangeResponse, 'revision'> {
    const records = this.#index.collect(keySpan(req.key, req.rangeEnd), this.#readRevision(w));
    for (const r of records) this.#deleteKey(w, r.key);
    return { deleted: records.length, prevKvs: req.prevKv === true ? records.map((r) => toKeyValue(r)) : [] };
  }

  /** Deletes every key of `leases` in one revision and removes the leases. */
  #revokeAll(leases: readonly Lease[]): number {
    const w = this.#begin();
    let deleted = 0;
    for (const lease of leases) {
      for (const key of [...lease.keys].sort()) if (this.#deleteKey(w, key) !== undefined) deleted++;
      this.#lessor.remove(lease.id);
    }
    this.#commit(w);
    return deleted;
  }

  #compact(revision: number): void {
    if (revision <= this.#compactRevision) throw compactedError();
    if (revision > this.#revision) throw futureRevisionError();
    this.#index.compact(revision);
    this.#history.compact(revision);
    this.#compactRevision = revision;
    this.watches.onCompact(revision);
  }

  // ---------------------------------------------------------------- txn

  #txn(req: TxnRequest): TxnResponse {
    const path = this.#path(req);
    this.#checkOps(path.succeeded ? req.success : req.failure, path);
    const w = this.#begin();
    const responses = this.#execOps(w, path.succeeded ? req.success : req.failure, path);
    this.#commit(w);
    return { revision: this.revision, succeeded: path.succeeded, responses: withRevision(responses, this.revision) };
  }

  /** Evaluates every compare on the taken path against the state before the txn (as etcd). */
  #path(req: TxnRequest): TxnPath {
    const succeeded = (req.compare ?? []).every((c) => this.#compare(c));
    const ops = (succeeded ? req.success : req.failure) ?? [];
    const nested: TxnPath[] = [];
    for (const op of ops) if (op.type === 'txn') nested.push(this.#path(op.request));
    return { succeeded, nested };
  }

  #compare(c: Compare): boolean {
    const records = this.#index.collect(keySpan(c.key, c.rangeEnd), this.#revision);
    if (records.length === 0) {
      if (c.target === 'value') return false;
      return compareHolds(c, undefined);
    }
    return records.every((r) => compareHolds(c, r));
  }

  #checkOps(ops: readonly RequestOp[] | undefined, path: TxnPath): void {
    let n = 0;
    for (const op of ops ?? []) {
      switch (op.type) {
        case 'range':
          this.#checkReadRevision(op.request.revision ?? 0);
          break;
        case 'put':
          this.#checkPut(op.request);
          break;
        case 'deleteRange':
          break;
        case 'txn': {
          const sub = path.nested[n++];
          assert(sub !== undefined, 'a path per nested txn');
          this.#checkOps(sub.succeeded ? op.request.success : op.request.failure, sub);
          break;
        }
      }
    }
  }

  #execOps(w: Write, ops: readonly RequestOp[] | undefined, path: TxnPath): ResponseOp[] {
    const out: ResponseOp[] = [];
    let n = 0;
    const placeholder = 0 as Revision;
    for (const op of ops ?? []) {
      switch (op.type) {
        case 'range': {
          const rev = op.request.revision === undefined || op.request.revision === 0 ? this.#readRevision(w) : op.request.revision;
          out.push({ type: 'range', response: { ...evalRange(this.#index, op.request, rev), revision: placeholder } });
          break;
        }
        case 'put': {
          const prev = this.#put(w, op.request);
          const prevKv = op.request.prevKv === true && prev !== undefined ? toKeyValue(prev) : undefined;
          out.push({ type: 'put', response: { revision: placeholder, ...(prevKv ? { prevKv } : {}) } });
          break;
        }
        case 'deleteRange':
          out.push({ type: 'deleteRange', response: { ...this.#deleteRange(w, op.request), revision: placeholder } });
          break;
        case 'txn': {
          const sub = path.nested[n++] as TxnPath;
          const responses = this.#execOps(w, sub.succeeded ? op.request.success : op.request.failure, sub);
          out.push({ type: 'txn', response: { revision: placeholder, succeeded: sub.succeeded, responses } });
          break;
        }
      }
    }
    return out;
  }

  // ---------------------------------------------------------------- reads

  /** A read revision: 0 means current; above current or below compaction fails. */
  #checkReadRevision(revision: number): number {
    if (revision === 0) return this.#revision;
    if (revision > this.#revision) throw futureRevisionError();
    if (revision < this.#compactRevision) throw compactedError();
    return revision;
  }

  /** etcd's Range. Throws InvalidArgumentError, COMPACTED or FUTURE_REVISION. */
  range(request: RangeRequest): RangeResponse {
    const req = validateRange(request);
    const rev = this.#checkReadRevision(req.revision ?? 0);
    return { ...evalRange(this.#index, req, rev), revision: this.revision };
  }

  /**
   * A lease's remaining time at `nowMs` (the leader's time; remaining seconds rounded down,
   * as etcd reports), granted TTL and, if asked, its keys. Unknown lease: LEASE_NOT_FOUND
   * (etcd's API answers TTL -1 for that; the edge maps it).
   */
  leaseTimeToLive(id: number, nowMs: number, keys = false): LeaseTimeToLiveResponse {
    const lease = this.#lessor.require(id);
    const remainingMs = Math.max(0, this.#lessor.effectiveExpiryMs(lease) - nowMs);
    return {
      revision: this.revision,
      id,
      ttlSec: Math.floor(remainingMs / 1000),
      grantedTtlSec: lease.ttlSec,
      keys: keys ? [...lease.keys].sort().map(fromBinary) : [],
    };
  }

  /** Every lease id, ascending. */
  leaseLeases(): { revision: Revision; ids: number[] } {
    return { revision: this.revision, ids: this.#lessor.list().map((l) => l.id) };
  }

  /**
   * Leases past their expiry at `nowMs` as this node sees it (including a leader's
   * promotion extension). The leader proposes `leaseExpire` with them.
   */
  expiredLeases(nowMs: number, max: number = KvLimits.leaseBatchMax): number[] {
    return this.#lessor.expired(nowMs, Math.min(max, KvLimits.leaseBatchMax));
  }

  /** This node became leader at `nowMs`: extend every lease by `extendMs` (etcd's Promote). */
  promote(nowMs: number, extendMs: number): void {
    if (!Number.isSafeInteger(nowMs) || !Number.isSafeInteger(extendMs) || extendMs < 0) {
      throw new InvalidArgumentError('promote: nowMs and extendMs must be integers, extendMs ≥ 0');
    }
    this.#lessor.promote(nowMs, extendMs);
  }

  /**
   * Leader-local keep-alive without a raft write (etcd's lessor Renew): only this node's
   * view is extended, so the leader must also propose `leaseCheckpoint` (or `leaseKeepAlive`)
   * for the renewal to survive a leader change. Returns the granted TTL; LEASE_NOT_FOUND if
   * unknown.
   */
  leaseRenewLocal(id: number, nowMs: number): { id: number; ttlSec: number } {
    if (!Number.isSafeInteger(nowMs)) throw new InvalidArgumentError('leaseRenewLocal: nowMs must be an integer');
    const lease = this.#lessor.renewLocal(id, nowMs);
    return { id: lease.id, ttlSec: lease.ttlSec };
  }

  /** This node stopped being leader: forget its local expiry view (promotion, local renewals). */
  demote(): void {
    this.#lessor.demote();
  }

  // ---------------------------------------------------------------- hashes and snapshots

  /**
   * CRC-32C of the whole replicated state (keys with their history, leases, revisions),
   * not of the log position: replicas that applied the same commands agree.
   */
  hash(): { hash: number; revision: Revision } {
    return { hash: crc32c(encodeStoreBody(this.#data(), true)), revision: this.revision };
  }

  /**
   * etcd's HashKV: CRC-32C over every stored version with modRevision ≤ `revision` (0 =
   * current), in key then revision order. Throws COMPACTED / FUTURE_REVISION.
   */
  hashKv(revision = 0): { hash: number; compactRevision: Revision; hashRevision: Revision } {
    const rev = this.#checkReadRevision(revision);
    const nums = new Float64Array(5);
    const numBytes = new Uint8Array(nums.buffer);
    let crc = 0;
    for (const records of this.#index.entries()) {
      for (const r of records) {
        if (r.modRevision > rev) break;
        crc = crc32cUpdate(crc, fromBinary(r.key));
        nums.set([r.createRevision, r.modRevision, r.version, r.lease, r.value === null ? -1 : r.value.length]);
        crc = crc32cUpdate(crc, numBytes);
        if (r.value !== null) crc = crc32cUpdate(crc, r.value);
      }
    }
    return { hash: crc, compactRevision: this.compactRevision, hashRevision: rev as Revision };
  }

  #data(): StoreData {
    return {
      revision: this.#revision,
      compactRevision: this.#compactRevision,
      consistentIndex: this.#consistentIndex,
      leaseNextId: this.#lessor.nextId,
      keys: this.#index.entries(),
      historyFirst: this.#history.first,
      history: [...this.#history.entries()].map(([, changes]) => changes),
      leases: this.#lessor.list().map((l) => ({ id: l.id, ttlSec: l.ttlSec, expiryMs: l.expiryMs, remainingTtlSec: l.remainingTtlSec })),
    };
  }

  /** The full state (with a checksum) for a raft snapshot. Watches are not included. */
  serialize(): Uint8Array {
    return encodeSnapshot(this.#data());
  }

  /** A store from `serialize` bytes. Damaged bytes raise CorruptError. */
  static restore(bytes: Uint8Array): KvStore {
    const data = decodeSnapshot(bytes);
    const store = new KvStore();
    try {
      store.#load(data);
    } catch (err) {
      if (err instanceof NinesError) throw err;
      throw new CorruptError(`kv snapshot is corrupt: ${(err as Error).message}`, { cause: err });
    }
    return store;
  }

  #load(data: StoreData): void {
    const corrupt = (what: string): never => {
      throw new CorruptError(`kv snapshot is corrupt: ${what}`);
    };
    if (data.compactRevision > data.revision) corrupt('compacted revision above the store revision');
    this.#revision = data.revision;
    this.#compactRevision = data.compactRevision;
    this.#consistentIndex = data.consistentIndex;
    this.#lessor.load(
      data.leases.map((l) => ({ ...l, keys: new Set<string>() })),
      data.leaseNextId,
    );
    let prevKey: string | undefined;
    for (const records of data.keys) {
      const first = records[0];
      if (first === undefined) {
        corrupt('a key without records');
        continue;
      }
      if (prevKey !== undefined && first.key <= prevKey) corrupt('keys out of order');
      prevKey = first.key;
      for (const r of records) {
        if (r.key !== first.key) corrupt('records of different keys under one key');
        if (r.modRevision > data.revision) corrupt('a record above the store revision');
        this.#index.append(r);
      }
      const last = records[records.length - 1] as KvRecord;
      if (last.value !== null && last.lease !== 0) {
        const lease = this.#lessor.get(last.lease);
        if (lease === undefined) corrupt(`key attached to missing lease ${last.lease}`);
        lease?.keys.add(last.key);
      }
    }
    if (data.history.length > 0 && data.historyFirst + data.history.length - 1 !== data.revision) {
      corrupt('history does not end at the store revision');
    }
    this.#history.load(data.historyFirst, data.history.map((changes) => [...changes]));
  }
}

/** A raft index handed to apply: a positive safe integer (a caller bug otherwise). */
function checkIndex(index: number): void {
  if (!Number.isSafeInteger(index) || index < 1) {
    throw new InvalidArgumentError(`apply: index must be a positive integer, got ${String(index)}`);
  }
}
