import { randomInt } from 'node:crypto';
import { statSync } from 'node:fs';
import type { Logger } from 'pino';
import { assert, ErrorCodes, isNinesError, NinesError } from '../core/errors.js';
import { type LogIndex, NO_NODE, type NodeId } from '../core/ids.js';
import { SeededRandom } from '../core/random.js';
import type { DetectorFactory } from '../detect/detector.js';
import { createDetector } from '../detect/registry.js';
import { NodeStallMonitor } from '../detect/stall-monitor-node.js';
import { withStallAwareness } from '../detect/stall.js';
import { encodeCommand } from '../kv/codec.js';
import type { KvCommand, KvResult } from '../kv/commands.js';
import { KvStore } from '../kv/store.js';
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
  TxnRequest,
  TxnResponse,
} from '../kv/types.js';
import { decodeConfChange } from '../raft/confchange.js';
import type { Message } from '../raft/messages.js';
import { RawNode, type Ready } from '../raft/rawnode.js';
import type { ConfState, Entry } from '../raft/types.js';
import type { DiskStorage } from '../storage/disk-storage.js';
import type { NodeConfig } from './config.js';
import { decodeEnvelope, encodeEnvelope } from './envelope.js';
import { ServerLimits } from './limits.js';
import { formatId } from './member-id.js';
import type { MetricsSnapshot } from './metrics.js';
import { NodeMetrics } from './metrics.js';
import { LeaderHistory } from './leader-history.js';
import { jsonNumber, PeerHealth } from './peer-health.js';
import { ReadIndexQueue } from './read-index.js';
import type {
  HealthResult,
  NodeService,
  NodeStatus,
  ReadOptions,
  WatchHandle,
  WatchRequest,
  WatchSink,
} from './service.js';
import { WatchRelay } from './watch-relay.js';
import { Waiters } from './waiters.js';

/** The peer network as the node uses it (implemented over src/transport). */
export interface PeerNetwork {
  /** Send raft messages (best effort; raft retransmits). */
  send(messages: readonly Message[]): void;
  /** Stop: close listeners and connections. */
  stop(): Promise<void>;
}

export interface NodeOptions {
  readonly config: NodeConfig;
  readonly storage: DiskStorage;
  readonly logger: Logger;
  readonly version: string;
  /** Called when the node cannot go on (a storage write failed): the process must exit. */
  readonly onFatal: (err: unknown) => void;
}

/** Applied entries the node may lag behind commit and still be ready (replay in progress beyond it). */
const READY_APPLY_LAG_ENTRIES_MAX = 1000;
/** Message types that depend on nothing a Ready persists (when term and vote are unchanged). */
const INDEPENDENT_OF_DISK: ReadonlySet<string> = new Set(['heartbeat', 'heartbeatResp', 'readIndex', 'readIndexResp', 'prop', 'transferLeader']);
/** The type of the member-to-member liveness ping (not a raft message). */
const PING_TYPE = 'ninesPing';
/** How often the leader looks for expired leases. */
const LEASE_SCAN_MS = 250;

/**
 * One running member: drives raft with the real clock, persists each Ready through
 * DiskStorage (one fsynced transaction) before sending its messages, applies committed
 * entries to the KvStore, and answers clients when their proposals are applied or their
 * ReadIndex round is confirmed. Followers forward proposals to the leader (raft's `prop`).
 */
export class NinesNode implements NodeService {
  readonly config: NodeConfig;
  readonly metrics: NodeMetrics;
  readonly #storage: DiskStorage;
  readonly #log: Logger;
  readonly #raft: RawNode;
  readonly #boot = randomInt(0, 2 ** 32 - 1);
  readonly #proposals: Waiters<number, KvResult>;
  readonly #reads: ReadIndexQueue;
  readonly #peerHealth: PeerHealth;
  readonly #stalls: NodeStallMonitor;
  readonly #watches: WatchRelay;
  readonly #version: string;
  readonly #onFatal: (err: unknown) => void;
  readonly #startedMs = performance.now();
  #kv: KvStore;
  #network: PeerNetwork | undefined;
  #seq = 0;
  #applied = 0;
  /** The term of the last hard state handed to storage. */
  #persistedTerm = 0;
  #persistedVote = 0;
  #snapshotIndex = 0;
  #confState: ConfState | undefined;
  #lead: NodeId = NO_NODE;
  #role = 'follower';
  readonly #leaderChanges = new LeaderHistory();
  #leaseProposedMs = new Map<number, number>();
  #tickTimer: NodeJS.Timeout | undefined;
  #leaseTimer: NodeJS.Timeout | undefined;
  #driving = false;
  #driveAgain = false;
  #driveScheduled = false;
  #drained: Promise<void> = Promise.resolve();
  #stopping = false;
  /** Set at the end of `stop`: no more Readys are processed. */
  #halted = false;
  #fatal: unknown;

  private constructor(options: NodeOptions, kv: KvStore, raft: RawNode, stalls: NodeStallMonitor) {
    this.config = options.config;
    this.#storage = options.storage;
    this.#log = options.logger;
    this.#version = options.version;
    this.#onFatal = options.onFatal;
    this.#kv = kv;
    this.#raft = raft;
    this.#stalls = stalls;
    this.#applied = raft.status().applied;
    this.#persistedTerm = options.storage.initialState().hardState.term;
    this.#persistedVote = options.storage.initialState().hardState.vote;
    this.#snapshotIndex = options.storage.stats().snapshotIndex;
    this.#proposals = new Waiters({
      max: ServerLimits.pendingProposalsMax,
      limitName: 'pendingProposalsMax',
      timeoutMs: ServerLimits.requestTimeoutMs,
      what: 'proposals',
    });
    this.#reads = new ReadIndexQueue({ max: ServerLimits.pendingReadsMax, timeoutMs: ServerLimits.requestTimeoutMs, boot: this.#boot });
    const peers = this.config.members.filter((m) => m.id !== this.config.memberId).map((m) => m.id);
    this.#peerHealth = new PeerHealth(peers, peerDetectorFactory(this.config, stalls));
    this.#watches = new WatchRelay(() => this.#kv);
    this.metrics = new NodeMetrics(() => this.#metricsSnapshot(), { name: this.config.name, memberId: formatId(this.config.memberId) });
  }

  /**
   * Recover from storage: the latest snapshot restores the store, raft replays committed
   * entries beyond it through the first Readys. Throws CorruptError on damaged data.
   */
  static open(options: NodeOptions): NinesNode {
    const { config, storage } = options;
    const snapshot = storage.snapshot();
    const kv = snapshot.data.length > 0 ? KvStore.restore(snapshot.data) : new KvStore();
    const stalls = new NodeStallMonitor().start();
    const detector: DetectorFactory | undefined =
      config.detector === 'fixed' ? undefined : () => withStallAwareness(createDetector(config.detector), stalls);
    const raft = new RawNode({
      id: config.memberId,
      voters: config.members.map((m) => m.id),
      storage,
      applied: snapshot.metadata.index,
      random: new SeededRandom(randomInt(0, 2 ** 47)),
      heartbeatIntervalMs: config.heartbeatIntervalMs,
      electionTimeoutMs: config.electionTimeoutMs,
      preVote: true,
      checkQuorum: true,
      ...(detector === undefined ? {} : { detector }),
      logger: (event, fields) => options.logger.debug({ raft: event, ...fields }, `raft ${event}`),
    });
    const node = new NinesNode(options, kv, raft, stalls);
    node.#log.info(
      {
        memberId: formatId(config.memberId),
        clusterId: formatId(config.clusterId),
        snapshotIndex: snapshot.metadata.index,
        lastIndex: storage.lastIndex(),
        commit: storage.initialState().hardState.commit,
        revision: kv.revision,
      },
      'recovered from storage',
    );
    return node;
  }

  /** Start ticking and driving raft; `network` carries messages to peers. */
  start(network: PeerNetwork): void {
    this.#network = network;
    const tickMs = Math.max(1, Math.min(10, Math.floor(this.config.heartbeatIntervalMs / 10)));
    let lastPingMs = Number.NEGATIVE_INFINITY;
    this.#tickTimer = setInterval(() => {
      if (this.#fatal !== undefined) return;
      const nowMs = performance.now();
      try {
        this.#raft.tick(nowMs);
      } catch (err) {
        this.#fail(err);
        return;
      }
      if (nowMs - lastPingMs >= this.config.heartbeatIntervalMs) {
        lastPingMs = nowMs;
        this.#pingPeers();
      }
      this.#schedule();
    }, tickMs);
    this.#leaseTimer = setInterval(() => this.#expireLeases(), LEASE_SCAN_MS);
    // With a single voter there is nobody to wait for.
    if (this.config.members.length === 1) this.#raft.campaign();
    this.#schedule();
  }

  /**
   * Raft only connects the leader with each follower; so that every member can tell how
   * every other one is doing (status, metrics, dashboard), members also ping each other once
   * per heartbeat interval. Pings go through the transport like raft messages but never
   * reach raft.
   */
  #pingPeers(): void {
    const pings = this.config.members
      .filter((m) => m.id !== this.config.memberId)
      .map((m) => ({ type: PING_TYPE, from: this.config.memberId, to: m.id, term: 0 }));
    this.#network?.send(pings as unknown as Message[]);
  }

  /** A raft message (or a member ping) from a peer (from the transport). */
  receive(message: Message): void {
    if (this.#fatal !== undefined) return;
    this.#peerHealth.heard(message.from, performance.now());
    if ((message.type as string) === PING_TYPE) return;
    try {
      this.#raft.step(message);
    } catch (err) {
      this.#log.warn({ err, type: message.type, from: formatId(message.from) }, 'dropped a peer message raft refused');
      return;
    }
    this.#schedule();
  }

  /** The transport could not reach a peer: raft backs off to probing it. */
  reportUnreachable(id: NodeId): void {
    this.#raft.reportUnreachable(id);
  }

  /** The transport finished (or failed) sending a snapshot. */
  reportSnapshot(id: NodeId, ok: boolean): void {
    this.#raft.reportSnapshot(id, ok);
    this.#schedule();
  }

  // ---------------------------------------------------------------- the ready loop

  #schedule(): void {
    if (this.#driveScheduled) return;
    this.#driveScheduled = true;
    setImmediate(() => {
      this.#driveScheduled = false;
      this.#drive();
    });
  }

  #drive(): void {
    if (this.#fatal !== undefined || this.#halted) return;
    if (this.#driving) {
      this.#driveAgain = true;
      return;
    }
    this.#driving = true;
    this.#drained = this.#driveLoop()
      .catch((err: unknown) => this.#fail(err))
      .finally(() => {
        this.#driving = false;
      });
  }

  async #driveLoop(): Promise<void> {
    do {
      this.#driveAgain = false;
      this.#startReadRound();
      while (this.#raft.hasReady() && this.#fatal === undefined && !this.#halted) {
        const rd = this.#raft.ready();
        await this.#handleReady(rd);
        this.#raft.advance(rd);
        this.#startReadRound();
      }
    } while (this.#driveAgain && this.#fatal === undefined && !this.#halted);
  }

  #startReadRound(): void {
    const context = this.#reads.takeRound();
    if (context === undefined) return;
    if (this.#lead === NO_NODE) {
      this.#reads.failRound(context, noLeader());
      return;
    }
    try {
      this.#raft.readIndex(context);
    } catch (err) {
      this.#reads.failRound(context, isNinesError(err) && err.code === ErrorCodes.NOT_LEADER ? noLeader() : err);
    }
  }

  async #handleReady(rd: Ready): Promise<void> {
    if (rd.softState !== undefined) this.#onSoftState(rd.softState.lead, rd.softState.role);
    // A leader sends first and persists in parallel (raft counts its own copy only once
    // `advance` reports it durable); its term and vote were persisted when it campaigned.
    // Everyone else persists before sending: votes and acknowledgements depend on the disk.
    const sameTermAndVote =
      rd.hardState === undefined || (rd.hardState.term === this.#persistedTerm && rd.hardState.vote === this.#persistedVote);
    const sendFirst = this.#role === 'leader' && sameTermAndVote;
    let later = rd.messages;
    if (sendFirst) {
      if (rd.messages.length > 0) this.#network?.send(rd.messages);
      later = [];
    } else if (sameTermAndVote && rd.messages.length > 0) {
      // Messages that acknowledge no entry (heartbeat answers, read-index traffic, forwarded
      // proposals) need nothing from this Ready on disk: send them now, so a slow fsync never
      // makes the leader believe it lost its quorum.
      const now = rd.messages.filter((m) => INDEPENDENT_OF_DISK.has(m.type));
      if (now.length > 0) {
        this.#network?.send(now);
        later = rd.messages.filter((m) => !INDEPENDENT_OF_DISK.has(m.type));
      }
    }
    // 1. Persist (one transaction, fsynced) before anything that depends on it is sent.
    if (rd.snapshot !== undefined || rd.entries.length > 0 || rd.hardState !== undefined) {
      const t0 = performance.now();
      const sync = rd.mustSync || rd.snapshot !== undefined || rd.entries.length > 0;
      const saved = this.#storage
        .save({
          ...(rd.snapshot !== undefined ? { snapshot: rd.snapshot } : {}),
          ...(rd.entries.length > 0 ? { entries: rd.entries } : {}),
          ...(rd.hardState !== undefined ? { hardState: rd.hardState } : {}),
          ...(this.#confState !== undefined ? { confState: this.#confState } : {}),
          sync,
        })
        .then(() => {
          if (sync) this.metrics.fsyncSeconds.observe((performance.now() - t0) / 1000);
        });
      this.#confState = undefined;
      if (rd.hardState !== undefined) {
        this.#persistedTerm = rd.hardState.term;
        this.#persistedVote = rd.hardState.vote;
      }
      if (sync) {
        await saved;
      } else {
        // Only the commit index moved: nothing sent or applied depends on it being durable
        // (a restarted member relearns commit from the leader), so do not wait for the fsync.
        // Storage writes stay in order, so anything saved later is durable only after this.
        saved.catch((err: unknown) => this.#fail(err));
      }
    }
    // 2. A snapshot from the leader replaces the whole store.
    if (rd.snapshot !== undefined && rd.snapshot.metadata.index > this.#applied) {
      this.#installSnapshot(rd.snapshot.data, rd.snapshot.metadata.index);
    }
    // 3. Send.
    if (later.length > 0) this.#network?.send(later);
    // 4. Apply.
    if (rd.committedEntries.length > 0) {
      const t0 = performance.now();
      for (const entry of rd.committedEntries) this.#apply(entry);
      this.metrics.applySeconds.observe((performance.now() - t0) / 1000);
      this.#reads.onApplied(this.#applied);
    }
    for (const rs of rd.readStates) this.#reads.onReadState(rs.context, rs.index, this.#applied);
    // 5. Snapshot and compact every --snapshot-count applied entries.
    if (this.#applied - this.#snapshotIndex >= this.config.snapshotCount) await this.#takeSnapshot();
  }

  #onSoftState(lead: NodeId, role: string): void {
    const wasLeader = this.#role === 'leader';
    if (lead !== this.#lead) {
      this.metrics.leaderChanges.inc();
      const name = this.#memberName(lead);
      this.#leaderChanges.record(lead, name, this.#raft.status().term, new Date());
      this.#log.info({ leader: name || 'none', term: this.#raft.status().term }, 'leader changed');
      // Proposals and read rounds handed to the old leader may be lost with it: answer now
      // instead of at the timeout (a write's outcome is unknown: 504; a read did nothing: 503).
      const pending = this.#proposals.size;
      if (pending > 0) {
        this.#proposals.rejectAll(
          new NinesError(ErrorCodes.TIMEOUT, 'the leader changed before the proposal was applied; its outcome is unknown (read to check, or retry)'),
        );
        this.metrics.proposalsFailed.inc({ reason: 'leader_change' }, pending);
      }
      this.#reads.rejectAll(noLeader());
    }
    this.#lead = lead;
    this.#role = role;
    if (role === 'leader' && !wasLeader) {
      // Clients could not keep leases alive during the election: extend them (etcd's Promote).
      this.#kv.promote(Date.now(), this.config.electionTimeoutMs);
      this.#leaseProposedMs.clear();
      this.#log.info({ term: this.#raft.status().term }, 'became leader');
    } else if (role !== 'leader' && wasLeader) {
      this.#kv.demote();
    }
  }

  #apply(entry: Entry): void {
    assert(entry.index === this.#applied + 1 || entry.index <= this.#applied, `apply in order: ${entry.index} after ${this.#applied}`);
    if (entry.index <= this.#applied) return;
    if (entry.type === 'confChange') {
      const cc = decodeConfChange(entry.data);
      this.#confState = this.#raft.applyConfChange(cc);
      this.#kv.applyEntry(entry.index as LogIndex, new Uint8Array(0));
      this.#applied = entry.index;
      this.#log.info({ change: cc }, 'membership changed');
      return;
    }
    if (entry.data.length === 0) {
      this.#kv.applyEntry(entry.index as LogIndex, entry.data);
      this.#applied = entry.index;
      return;
    }
    let command = entry.data;
    let mine: number | undefined;
    try {
      const env = decodeEnvelope(entry.data);
      command = env.command;
      if (env.tag.memberId === this.config.memberId && env.tag.boot === this.#boot) mine = env.tag.seq;
    } catch (err) {
      this.#log.error({ err, index: entry.index }, 'log entry without a nines envelope; applying as a raw command');
    }
    const result = this.#kv.applyEntry(entry.index as LogIndex, command);
    this.#applied = entry.index;
    if (mine !== undefined && this.#proposals.has(mine)) {
      this.#proposals.resolve(mine, result);
      if (result.type === 'error') this.metrics.proposalsFailed.inc({ reason: 'refused' });
      else this.metrics.proposalsCommitted.inc();
    }
    if (result.type === 'leaseExpire') {
      for (const id of result.response.expired) this.#leaseProposedMs.delete(id);
    }
  }

  #installSnapshot(data: Uint8Array, index: number): void {
    this.#kv = data.length > 0 ? KvStore.restore(data) : new KvStore();
    if (this.#role === 'leader') this.#kv.promote(Date.now(), this.config.electionTimeoutMs);
    this.#applied = index;
    this.#snapshotIndex = index;
    this.#watches.rebind();
    this.#reads.onApplied(this.#applied);
    this.metrics.snapshotsInstalled.inc();
    this.#log.info({ index, revision: this.#kv.revision }, 'installed a snapshot from the leader');
  }

  async #takeSnapshot(): Promise<void> {
    const index = this.#applied as LogIndex;
    const t0 = performance.now();
    const data = this.#kv.serialize();
    await this.#storage.saveSnapshot({
      metadata: { index, term: this.#storage.term(index), confState: this.#raft.status().confState },
      data,
    });
    this.#snapshotIndex = index;
    const keep = Math.min(ServerLimits.snapshotCatchUpEntriesMax, this.config.snapshotCount);
    const compactTo = index - keep;
    if (compactTo >= this.#storage.firstIndex()) await this.#storage.compact(compactTo as LogIndex);
    this.metrics.snapshotsTaken.inc();
    this.#log.info({ index, bytes: data.length, ms: Math.round(performance.now() - t0), compactedTo: compactTo }, 'snapshot taken');
  }

  #fail(err: unknown): void {
    if (this.#fatal !== undefined) return;
    this.#fatal = err;
    this.#log.fatal({ err }, 'the node cannot go on (storage or raft failure); stopping');
    this.#proposals.rejectAll(new NinesError(ErrorCodes.INTERNAL, 'the node failed; try another member'));
    this.#reads.rejectAll(new NinesError(ErrorCodes.INTERNAL, 'the node failed; try another member'));
    this.#onFatal(err);
  }

  // ---------------------------------------------------------------- leases

  #expireLeases(): void {
    if (this.#role !== 'leader' || this.#stopping || this.#fatal !== undefined) return;
    const nowMs = Date.now();
    const retryMs = ServerLimits.requestTimeoutMs;
    const ids = this.#kv
      .expiredLeases(nowMs, ServerLimits.leasesExpiredPerProposalMax)
      .filter((id) => nowMs - (this.#leaseProposedMs.get(id) ?? Number.NEGATIVE_INFINITY) > retryMs);
    if (ids.length === 0) return;
    for (const id of ids) this.#leaseProposedMs.set(id, nowMs);
    this.#propose({ type: 'leaseExpire', ids }).catch((err: unknown) => {
      this.#log.debug({ err, ids }, 'lease expiry proposal failed; will retry');
    });
  }

  // ---------------------------------------------------------------- proposals and reads

  async #propose(command: KvCommand): Promise<KvResult> {
    if (this.#stopping) throw new NinesError(ErrorCodes.STOPPED, 'the node is shutting down; try another member');
    if (this.#fatal !== undefined) throw new NinesError(ErrorCodes.INTERNAL, 'the node failed; try another member');
    this.#proposals.checkRoom();
    const data = encodeEnvelope({ memberId: this.config.memberId, boot: this.#boot, seq: ++this.#seq }, encodeCommand(command, Date.now()));
    const seq = this.#seq;
    const result = this.#proposals.wait(seq, () => this.metrics.proposalsFailed.inc({ reason: 'timeout' }));
    try {
      this.#raft.propose(data);
    } catch (err) {
      const mapped = isNinesError(err) && err.code === ErrorCodes.NOT_LEADER ? noLeader() : err;
      this.#proposals.reject(seq, mapped);
      this.metrics.proposalsFailed.inc({ reason: isNinesError(mapped) ? mapped.code : 'error' });
    }
    this.#schedule();
    const out = await result;
    if (out.type === 'error') throw out.error;
    return out;
  }

  async #linearizable(options: ReadOptions): Promise<void> {
    if (options.serializable) return;
    if (this.#stopping) throw new NinesError(ErrorCodes.STOPPED, 'the node is shutting down; try another member');
    const done = this.#reads.wait();
    this.#schedule();
    await done;
  }

  async put(request: PutRequest): Promise<PutResponse> {
    const r = await this.#propose({ type: 'put', request });
    assert(r.type === 'put', 'put answers put');
    return r.response;
  }

  async deleteRange(request: DeleteRangeRequest): Promise<DeleteRangeResponse> {
    const r = await this.#propose({ type: 'deleteRange', request });
    assert(r.type === 'deleteRange', 'deleteRange answers deleteRange');
    return r.response;
  }

  async txn(request: TxnRequest, _options: ReadOptions): Promise<TxnResponse> {
    const r = await this.#propose({ type: 'txn', request });
    assert(r.type === 'txn', 'txn answers txn');
    return r.response;
  }

  async compact(revision: number): Promise<CompactResponse> {
    const r = await this.#propose({ type: 'compact', revision });
    assert(r.type === 'compact', 'compact answers compact');
    return r.response;
  }

  async range(request: RangeRequest, options: ReadOptions): Promise<RangeResponse> {
    await this.#linearizable(options);
    return this.#kv.range(request);
  }

  async leaseGrant(ttlSec: number, id: number): Promise<LeaseGrantResponse> {
    const r = await this.#propose({ type: 'leaseGrant', id, ttlSec });
    assert(r.type === 'leaseGrant', 'leaseGrant answers leaseGrant');
    return r.response;
  }

  async leaseRevoke(id: number): Promise<LeaseRevokeResponse> {
    const r = await this.#propose({ type: 'leaseRevoke', id });
    assert(r.type === 'leaseRevoke', 'leaseRevoke answers leaseRevoke');
    return r.response;
  }

  async leaseKeepAlive(id: number): Promise<LeaseKeepAliveResponse> {
    const r = await this.#propose({ type: 'leaseKeepAlive', id });
    assert(r.type === 'leaseKeepAlive', 'leaseKeepAlive answers leaseKeepAlive');
    return r.response;
  }

  async leaseTimeToLive(id: number, keys: boolean, options: ReadOptions): Promise<LeaseTimeToLiveResponse> {
    await this.#linearizable(options);
    return this.#kv.leaseTimeToLive(id, Date.now(), keys);
  }

  async leaseList(options: ReadOptions): Promise<{ revision: number; ids: number[] }> {
    await this.#linearizable(options);
    return this.#kv.leaseLeases();
  }

  watch(request: WatchRequest, sink: WatchSink): WatchHandle {
    if (this.#stopping) throw new NinesError(ErrorCodes.STOPPED, 'the node is shutting down; try another member');
    return this.#watches.add(request, sink);
  }

  // ---------------------------------------------------------------- maintenance (for the etcd API)

  /** Hash of the whole replicated state, after a linearizable read point (etcd's Hash). */
  async hash(): Promise<{ hash: number; revision: number }> {
    await this.#linearizable({ serializable: false });
    return this.#kv.hash();
  }

  /** etcd's HashKV at `revision` (0 = current), after a linearizable read point unless serializable. */
  async hashKv(revision: number, options: ReadOptions = { serializable: false }): Promise<{ hash: number; compactRevision: number; revision: number }> {
    await this.#linearizable(options);
    const h = this.#kv.hashKv(revision);
    return { hash: h.hash, compactRevision: h.compactRevision, revision: h.hashRevision };
  }

  /**
   * Hand leadership to `target` and wait (at most an election timeout) until this member is
   * no longer leader. NOT_LEADER on a follower; INVALID_ARGUMENT for an unknown member.
   */
  async transferLeadership(target: NodeId): Promise<void> {
    const s = this.#raft.status();
    if (s.role !== 'leader') throw new NinesError(ErrorCodes.NOT_LEADER, 'only the leader can hand over leadership');
    if (!s.confState.voters.includes(target) || target === this.config.memberId) {
      throw new NinesError(ErrorCodes.INVALID_ARGUMENT, `member ${formatId(target)} is not another voter of this cluster`);
    }
    this.#raft.transferLeadership(target);
    this.#schedule();
    const deadline = performance.now() + this.config.electionTimeoutMs;
    while (this.#raft.status().lead !== target) {
      if (performance.now() > deadline) throw new NinesError(ErrorCodes.TIMEOUT, `leadership transfer to ${formatId(target)} did not complete in time`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  /** `transferLeadership` to a member given by name or hex id. */
  async moveLeader(to: string): Promise<void> {
    const member = this.config.members.find((m) => m.name === to || formatId(m.id) === to);
    if (member === undefined) throw new NinesError(ErrorCodes.INVALID_ARGUMENT, `no member named "${to}" (give a member name or hex id)`);
    await this.transferLeadership(member.id);
  }

  /** This member is a raft learner. */
  isLearner(): boolean {
    return this.#raft.status().confState.learners.includes(this.config.memberId);
  }

  /** A consistent copy of the store (`KvStore.serialize`) at the applied index, with its revision. */
  snapshotData(): { data: Uint8Array; revision: number; appliedIndex: number } {
    return { data: this.#kv.serialize(), revision: this.#kv.revision, appliedIndex: this.#applied };
  }

  /** The member's LMDB data file size, in bytes. */
  dbSizeBytes(): number {
    try {
      return statSync(this.#storage.dataFile).size;
    } catch {
      return 0;
    }
  }

  // ---------------------------------------------------------------- status and health

  #memberName(id: NodeId): string {
    if (id === NO_NODE) return '';
    return this.config.members.find((m) => m.id === id)?.name ?? formatId(id);
  }

  status(): NodeStatus {
    const s = this.#raft.status();
    const nowMs = performance.now();
    const self = this.config.members.find((m) => m.id === this.config.memberId);
    const peers = this.#peerHealth.statuses(this.config.members, this.config.memberId, nowMs);
    return {
      memberId: formatId(this.config.memberId),
      name: this.config.name,
      clusterId: formatId(this.config.clusterId),
      role: s.role,
      leader: s.lead === NO_NODE ? '' : formatId(s.lead),
      leaderName: this.#memberName(s.lead),
      term: s.term,
      commitIndex: s.commit,
      appliedIndex: this.#applied,
      snapshotIndex: this.#snapshotIndex,
      revision: this.#kv.revision,
      compactRevision: this.#kv.compactRevision,
      detector: this.config.detector,
      leaderSuspicion: s.leaderSuspicion === undefined ? null : jsonNumber(s.leaderSuspicion),
      httpUrl: self?.httpUrl ?? this.config.listenHttpUrls[0] ?? '',
      clientUrls: this.config.advertiseClientUrls,
      peerUrl: self?.peerUrl ?? '',
      peers,
      leaderChanges: this.#leaderChanges.list(),
      uptimeMs: Math.round(nowMs - this.#startedMs),
      pid: process.pid,
      version: this.#version,
    };
  }

  live(): HealthResult {
    if (this.#fatal !== undefined) return { ok: false, reason: 'the node failed (see its log)' };
    return { ok: true, reason: '' };
  }

  ready(): HealthResult {
    if (this.#fatal !== undefined) return { ok: false, reason: 'the node failed (see its log)' };
    if (this.#stopping) return { ok: false, reason: 'shutting down' };
    const s = this.#raft.status();
    if (s.lead === NO_NODE) return { ok: false, reason: 'no leader' };
    if (this.#applied + READY_APPLY_LAG_ENTRIES_MAX < s.commit) {
      return { ok: false, reason: `applying: applied ${this.#applied} of commit ${s.commit}` };
    }
    return { ok: true, reason: '' };
  }

  #metricsSnapshot(): MetricsSnapshot {
    const s = this.#raft.status();
    const nowMs = performance.now();
    return {
      term: s.term,
      role: s.role,
      isLeader: s.role === 'leader',
      hasLeader: s.lead !== NO_NODE,
      commitIndex: s.commit,
      appliedIndex: this.#applied,
      revision: this.#kv.revision,
      proposalsPending: this.#proposals.size,
      readsPending: this.#reads.size,
      peers: this.config.members
        .filter((m) => m.id !== this.config.memberId)
        .map((m) => ({ name: m.name, suspicion: this.#peerHealth.suspicion(m.id, nowMs)?.suspicion ?? null })),
    };
  }

  // ---------------------------------------------------------------- shutdown

  /**
   * Stop: refuse new requests, hand leadership to the most caught-up follower (waiting at
   * most `ServerLimits.shutdownTransferMs`), fail what still waits, drain the ready loop,
   * stop the network and close storage (everything acknowledged is already fsynced).
   */
  async stop(): Promise<void> {
    if (this.#stopping) return;
    this.#stopping = true;
    this.#watches.cancelAll('the node is shutting down');
    const s = this.#raft.status();
    if (s.role === 'leader' && s.progress !== undefined && this.#fatal === undefined) {
      let best: NodeId | undefined;
      let bestMatch = -1;
      for (const [idText, pr] of Object.entries(s.progress)) {
        const id = Number(idText) as NodeId;
        if (id === this.config.memberId || pr.isLearner) continue;
        if (pr.match > bestMatch) {
          best = id;
          bestMatch = pr.match;
        }
      }
      if (best !== undefined) {
        this.#log.info({ to: this.#memberName(best) }, 'transferring leadership before shutdown');
        try {
          this.#raft.transferLeadership(best);
          this.#schedule();
          const deadline = performance.now() + ServerLimits.shutdownTransferMs;
          while (this.#raft.status().role === 'leader' && performance.now() < deadline) {
            await new Promise((r) => setTimeout(r, 10));
          }
        } catch (err) {
          this.#log.warn({ err }, 'leadership transfer failed; stopping anyway');
        }
      }
    }
    const stopped = new NinesError(ErrorCodes.STOPPED, 'the node is shutting down; try another member');
    this.#proposals.rejectAll(stopped);
    this.#reads.rejectAll(stopped);
    clearInterval(this.#tickTimer);
    clearInterval(this.#leaseTimer);
    await this.#network?.stop();
    this.#halted = true;
    while (this.#driving) await this.#drained;
    this.#stalls.stop();
    this.metrics.stop();
    await this.#storage.close();
  }
}

function noLeader(): NinesError {
  return new NinesError(ErrorCodes.NO_LEADER, 'no leader: an election is in progress or a quorum is unreachable; retry shortly');
}


function peerDetectorFactory(config: NodeConfig, stalls: NodeStallMonitor): DetectorFactory {
  if (config.detector === 'fixed') return () => withStallAwareness(createDetector('fixed', { timeoutMs: config.electionTimeoutMs }), stalls);
  return () => withStallAwareness(createDetector('adaptive'), stalls);
}
