import { randomInt } from 'node:crypto';
import { statSync } from 'node:fs';
import type { Logger } from 'pino';
import { assert, CorruptError, ErrorCodes, isNinesError, NinesError } from '../core/errors.js';
import { type LogIndex, NO_NODE, type NodeId } from '../core/ids.js';
import { SeededRandom } from '../core/random.js';
import type { DetectorFactory } from '../detect/detector.js';
import { createDetector } from '../detect/registry.js';
import { NodeStallMonitor } from './stall-monitor.js';
import { withStallAwareness } from '../detect/stall.js';
import { type AuthCommand, AuthState } from '../api/etcd/auth/state.js';
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
import { type ConfChange, confChangeProblem, decodeConfChange } from '../raft/confchange.js';
import type { Message } from '../raft/messages.js';
import { RawNode, type Ready } from '../raft/rawnode.js';
import type { ConfState, Entry, SnapshotMetadata } from '../raft/types.js';
import type { DiskStorage } from '../storage/disk-storage.js';
import type { MemberConfig, NodeConfig } from './config.js';
import { decodeControlEnvelope, decodeEnvelope, encodeControlEnvelope, encodeEnvelope, isControlEnvelope } from './envelope.js';
import { minLeaseTtlSec, ServerLimits } from './limits.js';
import { formatId, memberIdForPeer } from './member-id.js';
import {
  LEARNER_READY_FRACTION,
  MEMBER_LEARNERS_MAX,
  type MemberCommand,
  MembershipError,
  type MemberRecord,
  MemberTable,
  memberCommand,
} from './membership.js';
import { decodeNodeSnapshot, encodeNodeSnapshot } from './node-snapshot.js';
import { type BuiltSnapshot, SnapshotReplica } from './snapshot-replica.js';
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
  /** Dial a member added to the cluster (or one whose peer URL changed). */
  addPeer?(id: NodeId, url: string): void;
  /** Stop dialling a removed member. */
  removePeer?(id: NodeId): void;
}

/** A member as the membership API reports it (etcd's Member). */
export interface MemberInfo extends MemberRecord {
  readonly isLearner: boolean;
}

/** What a control entry did, for the member that proposed it. */
/** etcd's alarm types. */
export type NodeAlarmType = 'NOSPACE' | 'CORRUPT';
export interface NodeAlarm {
  readonly memberId: NodeId;
  readonly alarm: NodeAlarmType;
}
/** Alarms the replicated list holds at most. */
const ALARMS_MAX = 1_000;

type ControlResult = { readonly ok: true } | { readonly ok: false; readonly error: unknown };

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
  /** Replicated member records (peer/client URLs, names), applied with the log. */
  #members: MemberTable;
  /** Replicated etcd auth state (users, roles, enabled), applied with the log. */
  readonly #auth = new AuthState();
  /** Replicated alarms (etcd's NOSPACE/CORRUPT), applied with the log. */
  #alarms: NodeAlarm[] = [];
  /**
   * Estimated bytes of the key space, compared with --quota-backend-bytes: the serialized
   * store at the last snapshot, compaction or restore, plus the bytes of every kv command
   * applied since (history grows until compacted, as etcd's backend does until defragmented).
   */
  #usedBytes = 0;
  readonly #controls: Waiters<number, ControlResult>;
  #attributesProposedMs = Number.NEGATIVE_INFINITY;
  #network: PeerNetwork | undefined;
  #seq = 0;
  #applied = 0;
  /** The term of the last hard state handed to storage. */
  #persistedTerm = 0;
  #persistedVote = 0;
  /** When the ready loop took the Ready it is handling (performance.now()), for `#sendUrgent`. */
  #readyTakenMs = 0;
  /** Term and vote known durable (their write completed), for `#sendUrgent`. */
  #durableTerm = 0;
  #durableVote = 0;
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
  /** Builds snapshots off the event loop (undefined: encode them on it, as when run from src/). */
  #replica: SnapshotReplica | undefined;
  /** A snapshot build in the worker, while one runs. */
  #snapshotBuild: Promise<void> | undefined;
  /** A snapshot built in the worker, waiting for the ready loop to save it. */
  #built: PendingSnapshot | undefined;

  private constructor(
    options: NodeOptions,
    kv: KvStore,
    members: MemberTable,
    control: Record<string, unknown> | undefined,
    kvBytes: number,
    raft: RawNode,
    stalls: NodeStallMonitor,
  ) {
    const auth = control?.auth;
    this.config = options.config;
    this.#storage = options.storage;
    this.#log = options.logger;
    this.#version = options.version;
    this.#onFatal = options.onFatal;
    this.#kv = kv;
    this.#members = members;
    this.#raft = raft;
    this.#auth.load(auth);
    this.#alarms = alarmsFrom(control?.alarms);
    this.#usedBytes = kvBytes;
    this.#stalls = stalls;
    this.#applied = raft.status().applied;
    this.#persistedTerm = options.storage.initialState().hardState.term;
    this.#persistedVote = options.storage.initialState().hardState.vote;
    this.#durableTerm = this.#persistedTerm;
    this.#durableVote = this.#persistedVote;
    this.#snapshotIndex = options.storage.stats().snapshotIndex;
    this.#proposals = new Waiters({
      max: ServerLimits.pendingProposalsMax,
      limitName: 'pendingProposalsMax',
      timeoutMs: ServerLimits.requestTimeoutMs,
      what: 'proposals',
    });
    this.#controls = new Waiters({
      max: ServerLimits.pendingProposalsMax,
      limitName: 'pendingProposalsMax',
      timeoutMs: ServerLimits.requestTimeoutMs,
      what: 'proposals',
    });
    this.#reads = new ReadIndexQueue({ max: ServerLimits.pendingReadsMax, timeoutMs: ServerLimits.requestTimeoutMs, boot: this.#boot });
    const peers = this.#memberConfigs().filter((m) => m.id !== this.config.memberId).map((m) => m.id);
    this.#peerHealth = new PeerHealth(peers, peerDetectorFactory(this.config, stalls));
    this.#watches = new WatchRelay(() => this.#kv);
    stalls.onStall((stall) => {
      const ms = stall.endMs - stall.startMs;
      if (ms < ServerLimits.stallLogMsMin) return;
      this.#log.warn({ ms: Math.round(ms), role: this.#role, applied: this.#applied, pendingProposals: this.#proposals.size }, 'event loop stalled');
    });
    this.metrics = new NodeMetrics(() => this.#metricsSnapshot(), { name: this.config.name, memberId: formatId(this.config.memberId) });
  }

  /**
   * Recover from storage: the latest snapshot restores the store, raft replays committed
   * entries beyond it through the first Readys. Throws CorruptError on damaged data.
   */
  static open(options: NodeOptions): NinesNode {
    const { config, storage } = options;
    const snapshot = storage.snapshot();
    const parts = decodeNodeSnapshot(snapshot.data);
    const kv = parts.kv.length > 0 ? KvStore.restore(parts.kv) : new KvStore();
    const members = parts.control?.members === undefined ? MemberTable.seeded(config.members) : MemberTable.fromJSON(parts.control.members);
    // A member joining a running cluster (`member add`, then --initial-cluster-state existing
    // with an empty data dir) starts as a learner beside the other members of
    // --initial-cluster as voters: it never campaigns before it learns the cluster. Replaying
    // the leader's log (or installing its snapshot) then applies every conf change in order;
    // the last change naming each member (its own addition included) decides its role.
    const fresh = storage.lastIndex() === 0 && storage.initialState().hardState.term === 0;
    const joining = fresh && config.initialClusterState === 'existing';
    const voters = config.members.map((m) => m.id).filter((id) => !joining || id !== config.memberId);
    const stalls = new NodeStallMonitor().start();
    const detector: DetectorFactory | undefined =
      config.detector === 'fixed' ? undefined : () => withStallAwareness(createDetector(config.detector), stalls);
    const raft = new RawNode({
      id: config.memberId,
      voters,
      ...(joining ? { learners: [config.memberId] } : {}),
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
    const node = new NinesNode(options, kv, members, parts.control, parts.kv.length, raft, stalls);
    try {
      node.#replica = SnapshotReplica.start();
      node.#replica?.reset(parts.kv);
    } catch (err) {
      options.logger.warn({ err }, 'no snapshot worker thread; snapshots are encoded on the event loop');
    }
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
    this.#leaseTimer = setInterval(() => {
      this.#expireLeases();
      this.#publishAttributes();
    }, LEASE_SCAN_MS);
    this.#syncPeers();
    // With a single voter there is nobody to wait for.
    const cs = this.#raft.status().confState;
    if (cs.voters.length === 1 && cs.voters[0] === this.config.memberId && cs.learners.length === 0) this.#raft.campaign();
    this.#schedule();
  }

  /**
   * Raft only connects the leader with each follower; so that every member can tell how
   * every other one is doing (status, metrics, dashboard), members also ping each other once
   * per heartbeat interval. Pings go through the transport like raft messages but never
   * reach raft.
   */
  #pingPeers(): void {
    const pings = this.#memberConfigs()
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
      this.#sendUrgent();
      return;
    }
    this.#driving = true;
    this.#drained = this.#driveLoop()
      .catch((err: unknown) => this.#fail(err))
      .finally(() => {
        this.#driving = false;
      });
  }

  /**
   * While the ready loop waits (an fsync, a yield between apply chunks), heartbeats, their
   * answers and read-index traffic made meanwhile go out at once instead of after the wait.
   * Otherwise a slow disk silences a healthy leader (its followers campaign) or a healthy
   * follower's answers (the leader's check-quorum steps down) for as long as the fsync takes:
   * a leader change although nobody failed. These messages depend on nothing a pending write
   * holds, provided the term and vote they carry are durable; until they are, they wait.
   * A short wait (under half a heartbeat interval: every Ready of a healthy disk) sends nothing
   * here, so messages keep going out batched with the next Ready.
   */
  #sendUrgent(): void {
    if (this.#network === undefined || this.#raft.term !== this.#durableTerm || this.#raft.vote !== this.#durableVote) return;
    if (performance.now() - this.#readyTakenMs < this.config.heartbeatIntervalMs / 2) return;
    const urgent = this.#raft.takeMessages((m) => INDEPENDENT_OF_DISK.has(m.type));
    if (urgent.length > 0) this.#network.send(urgent);
  }

  async #driveLoop(): Promise<void> {
    do {
      this.#driveAgain = false;
      if (this.#built !== undefined) await this.#saveBuiltSnapshot();
      this.#startReadRound();
      while (this.#raft.hasReady() && this.#fatal === undefined && !this.#halted) {
        const rd = this.#raft.ready();
        this.#readyTakenMs = performance.now();
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
    /** Resolves once this Ready's synced write is durable and what waited on it was sent. */
    let written: Promise<void> | undefined;
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
        written = saved.then(() => {
          if (rd.hardState !== undefined) {
            this.#durableTerm = rd.hardState.term;
            this.#durableVote = rd.hardState.vote;
          }
          // 3. Send what depended on the write as soon as it is durable (even mid-apply).
          if (later.length > 0) this.#network?.send(later);
        });
        // Awaited below; handled here too, so a failure while applying is not "unhandled".
        written.catch(() => undefined);
      } else {
        // Only the commit index moved: nothing sent or applied depends on it being durable
        // (a restarted member relearns commit from the leader), so do not wait for the fsync.
        // Storage writes stay in order, so anything saved later is durable only after this.
        saved.catch((err: unknown) => this.#fail(err));
      }
    }
    if (written === undefined && later.length > 0) this.#network?.send(later);
    // 2. A snapshot from the leader replaces the whole store (once it is durable).
    if (rd.snapshot !== undefined) {
      await written;
      if (rd.snapshot.metadata.index > this.#applied) this.#installSnapshot(rd.snapshot.data, rd.snapshot.metadata.index);
    }
    // 4. Apply, while the write is in flight (etcd applies beside its WAL write too): committed
    // entries are durable on a quorum already, and the store is rebuilt from the log and the
    // snapshot after a crash, so a committed entry this member has not yet made durable itself
    // may be applied and answered. The leader's own commits never run ahead of its disk (raft
    // counts its copy once `advance` reports it durable). A slow disk then delays an answer by
    // one fsync, not two.
    // At most applyEntriesPerTurnMax per event-loop turn: a big batch (catching up, replay)
    // yields between chunks so timers, peers and clients are not starved while it applies.
    const committed = rd.committedEntries;
    for (let from = 0; from < committed.length; from += ServerLimits.applyEntriesPerTurnMax) {
      if (from > 0) await nextTurn();
      const t0 = performance.now();
      const to = Math.min(committed.length, from + ServerLimits.applyEntriesPerTurnMax);
      for (let i = from; i < to; i++) this.#apply(committed[i]!);
      this.#replica?.flush();
      this.metrics.applySeconds.observe((performance.now() - t0) / 1000);
      this.#reads.onApplied(this.#applied);
    }
    for (const rs of rd.readStates) this.#reads.onReadState(rs.context, rs.index, this.#applied);
    await written;
    // 5. Snapshot and compact every --snapshot-count applied entries (built off the event loop
    // when the replica can; saved by the ready loop once built).
    if (this.#applied - this.#snapshotIndex >= this.config.snapshotCount && this.#snapshotBuild === undefined && this.#built === undefined) {
      await this.#takeSnapshot();
    }
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
    if (lead !== NO_NODE) this.#attributesProposedMs = Number.NEGATIVE_INFINITY;
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
      const before = this.#raft.status().confState;
      this.#confState = this.#raft.applyConfChange(cc);
      this.#kvApply(entry.index, new Uint8Array(0));
      this.#applied = entry.index;
      this.#onConfChangeApplied(cc, before, this.#confState);
      return;
    }
    if (isControlEnvelope(entry.data)) {
      this.#applyControl(entry);
      return;
    }
    if (entry.data.length === 0) {
      this.#kvApply(entry.index, entry.data);
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
    const result = this.#kvApply(entry.index, command);
    this.#applied = entry.index;
    if (result.type === 'compact') this.#remeasureUsedBytes();
    else if (result.type !== 'error') this.#usedBytes += command.length;
    if (mine !== undefined && this.#proposals.has(mine)) {
      this.#proposals.resolve(mine, result);
      if (result.type === 'error') this.metrics.proposalsFailed.inc({ reason: 'refused' });
      else this.metrics.proposalsCommitted.inc();
    }
    if (result.type === 'leaseExpire') {
      for (const id of result.response.expired) this.#leaseProposedMs.delete(id);
    }
  }

  /**
   * After a compaction the store shrank: re-measure `#usedBytes` as the store's serialized size
   * plus what is applied after this entry. The worker measures it when it can (a full encoding
   * would stall the event loop, as a snapshot did); until it answers the old estimate stands.
   */
  #remeasureUsedBytes(): void {
    const replica = this.#replica;
    if (replica?.usable !== true) {
      this.#usedBytes = this.#kv.serialize().length;
      return;
    }
    const atCompaction = this.#usedBytes;
    replica.measure().then(
      (kvBytes) => {
        this.#usedBytes = kvBytes + Math.max(0, this.#usedBytes - atCompaction);
      },
      (err: unknown) => this.#log.debug({ err }, 'could not measure the store after a compaction; keeping the estimate'),
    );
  }

  /** Apply to the store, and record it for the snapshot replica (which must see the same calls). */
  #kvApply(index: number, data: Uint8Array): KvResult {
    const result = this.#kv.applyEntry(index as LogIndex, data);
    this.#replica?.record(index, data);
    return result;
  }

  #installSnapshot(data: Uint8Array, index: number): void {
    const parts = decodeNodeSnapshot(data);
    this.#kv = parts.kv.length > 0 ? KvStore.restore(parts.kv) : new KvStore();
    this.#replica?.reset(parts.kv);
    if (parts.control?.members !== undefined) this.#members = MemberTable.fromJSON(parts.control.members);
    this.#auth.load(parts.control?.auth);
    this.#alarms = alarmsFrom(parts.control?.alarms);
    this.#usedBytes = parts.kv.length;
    this.#syncPeers();
    if (this.#role === 'leader') this.#kv.promote(Date.now(), this.config.electionTimeoutMs);
    this.#applied = index;
    this.#snapshotIndex = index;
    this.#watches.rebind();
    this.#reads.onApplied(this.#applied);
    this.metrics.snapshotsInstalled.inc();
    this.#log.info({ index, revision: this.#kv.revision }, 'installed a snapshot from the leader');
  }

  /**
   * Snapshot the applied state. With a usable replica the encoding runs in its worker thread
   * and the ready loop saves the result later (`#saveBuiltSnapshot`); otherwise it is encoded
   * here, blocking the event loop for O(store) time, and the replica restarts from it.
   */
  async #takeSnapshot(): Promise<void> {
    const index = this.#applied as LogIndex;
    const t0 = performance.now();
    const metadata = { index, term: this.#storage.term(index), confState: this.#raft.status().confState };
    const replica = this.#replica;
    if (replica?.usable === true) {
      const usedBytesAtBuild = this.#usedBytes;
      const build = replica.build(this.#controlState());
      this.#snapshotBuild = build
        .then(
          (built) => {
            this.#built = { metadata, built, startedMs: t0, usedBytesAtBuild, blockingMs: 0 };
          },
          (err: unknown) => this.#log.warn({ err, index }, 'snapshot worker failed; snapshots are encoded on the event loop from now on'),
        )
        .finally(() => {
          this.#snapshotBuild = undefined;
          this.#schedule();
        });
      return;
    }
    const kv = this.#kv.serialize();
    replica?.reset(kv);
    const data = encodeNodeSnapshot(kv, this.#controlState());
    this.#built = { metadata, built: { data, kvBytes: kv.length }, startedMs: t0, usedBytesAtBuild: this.#usedBytes, blockingMs: performance.now() - t0 };
    await this.#saveBuiltSnapshot();
  }

  /** Save (and compact behind) the snapshot in `#built`, unless a newer one was installed meanwhile. */
  async #saveBuiltSnapshot(): Promise<void> {
    const pending = this.#built;
    this.#built = undefined;
    if (pending === undefined) return;
    const { metadata, built } = pending;
    const index = metadata.index;
    if (index <= this.#snapshotIndex) return;
    await this.#storage.saveSnapshot({ metadata, data: built.data });
    this.#snapshotIndex = index;
    // The store grew by what was applied since the build started.
    this.#usedBytes = built.kvBytes + Math.max(0, this.#usedBytes - pending.usedBytesAtBuild);
    const keep = Math.min(ServerLimits.snapshotCatchUpEntriesMax, this.config.snapshotCount);
    const compactTo = index - keep;
    if (compactTo >= this.#storage.firstIndex()) await this.#storage.compact(compactTo as LogIndex);
    this.metrics.snapshotsTaken.inc();
    this.#log.info(
      {
        index,
        bytes: built.data.length,
        ms: Math.round(performance.now() - pending.startedMs),
        blockingMs: Math.round(pending.blockingMs),
        compactedTo: compactTo,
      },
      'snapshot taken',
    );
  }

  /** The replicated control state as a snapshot holds it (node-snapshot.ts). */
  #controlState(): Record<string, unknown> {
    return { members: this.#members.toJSON(), auth: this.#auth.toJSON(), alarms: this.#alarms };
  }

  // ---------------------------------------------------------------- membership (replicated)

  #applyControl(entry: Entry): void {
    let result: ControlResult = { ok: true };
    let mine: number | undefined;
    try {
      const { tag, body } = decodeControlEnvelope(entry.data);
      if (tag.memberId === this.config.memberId && tag.boot === this.#boot) mine = tag.seq;
      const b = body as { kind?: unknown } | null;
      if (b !== null && typeof b === 'object' && b.kind === 'member') {
        const cmd = memberCommand(body);
        this.#members.apply(cmd);
        if (cmd.op !== 'attributes') this.#syncPeers();
      } else if (b !== null && typeof b === 'object' && b.kind === 'alarm') {
        this.#applyAlarm(body);
      } else if (b !== null && typeof b === 'object' && b.kind === 'auth') {
        // AuthState.apply checks before changing anything: a refused command changes nothing
        // on every member alike, and its EtcdError goes back to the proposer.
        try {
          this.#auth.apply((body as { command: AuthCommand }).command);
        } catch (err) {
          result = { ok: false, error: err };
        }
      } else {
        result = { ok: false, error: new NinesError(ErrorCodes.INVALID_ARGUMENT, `unknown control entry kind ${JSON.stringify(b?.kind)}`) };
      }
    } catch (err) {
      this.#log.error({ err, index: entry.index }, 'skipped a malformed control entry');
      result = { ok: false, error: isNinesError(err) ? err : new NinesError(ErrorCodes.INTERNAL, String(err)) };
    }
    // Control entries raise no kv revision; the store still learns the applied index.
    this.#kvApply(entry.index, new Uint8Array(0));
    this.#applied = entry.index;
    if (mine !== undefined) this.#controls.resolve(mine, result);
  }

  #onConfChangeApplied(cc: ConfChange, before: ConfState, after: ConfState): void {
    const changed = JSON.stringify(before) !== JSON.stringify(after);
    if (cc.type === 'removeNode' && changed) this.#members.remove(cc.nodeId);
    this.#syncPeers();
    this.#log.info({ change: cc, voters: after.voters.map(formatId), learners: after.learners.map(formatId), changed }, 'membership changed');
    if (cc.type === 'removeNode' && cc.nodeId === this.config.memberId && changed) {
      this.#log.warn('this member was removed from the cluster: it no longer takes part (stop it and clear its data dir)');
    }
  }

  /** Transport and peer health follow the applied configuration. */
  #syncPeers(): void {
    const cs = this.#raft.status().confState;
    const ids = new Set([...cs.voters, ...cs.learners]);
    for (const m of this.#memberConfigs()) {
      if (m.id === this.config.memberId || m.peerUrl === '') continue;
      this.#network?.addPeer?.(m.id, m.peerUrl);
      this.#peerHealth.add(m.id);
    }
    for (const id of this.#peerHealth.ids()) {
      if (ids.has(id)) continue;
      this.#network?.removePeer?.(id);
      this.#peerHealth.forget(id);
    }
  }

  /** The current members (applied configuration) with their records, as MemberConfigs. */
  #memberConfigs(): MemberConfig[] {
    const cs = this.#raft.status().confState;
    return this.#members.members(cs).map((r) => {
      const fallback = this.config.members.find((m) => m.id === r.id);
      const base = { id: r.id, name: r.name || fallback?.name || '', peerUrl: r.peerUrls[0] ?? fallback?.peerUrl ?? '' };
      const httpUrl = r.httpUrl ?? fallback?.httpUrl;
      return httpUrl === undefined ? base : { ...base, httpUrl };
    });
  }

  /** Replicate `body` in a control entry; resolves once applied here. */
  async #proposeControl(body: Record<string, unknown>): Promise<void> {
    if (this.#stopping) throw new NinesError(ErrorCodes.STOPPED, 'the node is shutting down; try another member');
    if (this.#fatal !== undefined) throw new NinesError(ErrorCodes.INTERNAL, 'the node failed; try another member');
    this.#controls.checkRoom();
    const seq = ++this.#seq;
    const data = encodeControlEnvelope({ memberId: this.config.memberId, boot: this.#boot, seq }, body);
    const result = this.#controls.wait(seq);
    try {
      this.#raft.propose(data);
    } catch (err) {
      this.#controls.reject(seq, isNinesError(err) && err.code === ErrorCodes.NOT_LEADER ? noLeader() : err);
    }
    this.#schedule();
    const out = await result;
    if (!out.ok) throw out.error;
  }

  /**
   * Once it knows a leader, a member publishes its name and client URLs (as etcd does) when
   * the replicated record lacks them; retried after the request timeout.
   */
  #publishAttributes(): void {
    if (this.#lead === NO_NODE || this.#stopping || this.#fatal !== undefined) return;
    const cs = this.#raft.status().confState;
    if (!cs.voters.includes(this.config.memberId) && !cs.learners.includes(this.config.memberId)) return;
    const r = this.#members.get(this.config.memberId);
    const httpUrl = this.config.listenHttpUrls[0];
    const same =
      r !== undefined &&
      r.name === this.config.name &&
      r.httpUrl === httpUrl &&
      JSON.stringify(r.clientUrls) === JSON.stringify(this.config.advertiseClientUrls);
    if (same) return;
    const nowMs = performance.now();
    if (nowMs - this.#attributesProposedMs < ServerLimits.requestTimeoutMs) return;
    this.#attributesProposedMs = nowMs;
    const cmd: MemberCommand = {
      op: 'attributes',
      id: this.config.memberId,
      name: this.config.name,
      clientUrls: [...this.config.advertiseClientUrls],
      ...(httpUrl === undefined ? {} : { httpUrl }),
    };
    this.#proposeControl({ kind: 'member', ...cmd }).catch((err: unknown) => {
      this.#log.debug({ err }, 'publishing member attributes failed; will retry');
    });
  }

  #applyAlarm(body: unknown): void {
    const b = body as { op?: unknown; memberId?: unknown; alarm?: unknown };
    const ok =
      (b.op === 'activate' || b.op === 'deactivate') &&
      typeof b.memberId === 'number' &&
      Number.isSafeInteger(b.memberId) &&
      (b.alarm === 'NOSPACE' || b.alarm === 'CORRUPT');
    if (!ok) throw new CorruptError(`malformed alarm entry ${JSON.stringify(body)}`);
    const alarm = { memberId: b.memberId as NodeId, alarm: b.alarm as NodeAlarmType };
    const others = this.#alarms.filter((a) => !(a.memberId === alarm.memberId && a.alarm === alarm.alarm));
    if (b.op === 'deactivate') this.#alarms = others;
    else if (others.length < ALARMS_MAX) this.#alarms = [...others, alarm];
    this.#log.warn({ op: b.op, memberId: formatId(alarm.memberId), alarm: alarm.alarm }, 'alarm changed');
  }

  /** The replicated alarms as applied here. */
  alarmList(): NodeAlarm[] {
    return [...this.#alarms];
  }

  /** Raise (through raft) an alarm for `memberId` (0 = this member); resolves with the list once applied here. */
  async alarmActivate(memberId: number, alarm: NodeAlarmType): Promise<NodeAlarm[]> {
    const id = memberId === 0 ? this.config.memberId : memberId;
    await this.#proposeControl({ kind: 'alarm', op: 'activate', memberId: id, alarm });
    return this.alarmList();
  }

  /** Clear (through raft) an alarm; resolves with the list once applied here. */
  async alarmDeactivate(memberId: number, alarm: NodeAlarmType): Promise<NodeAlarm[]> {
    await this.#proposeControl({ kind: 'alarm', op: 'deactivate', memberId, alarm });
    return this.alarmList();
  }

  /** Whether writing `growBytes` more would pass --quota-backend-bytes. */
  quotaExceeded(growBytes: number): boolean {
    return this.#usedBytes + growBytes > this.config.quotaBackendBytes;
  }

  /** The auth state as applied on this member (read by the etcd API's guard). */
  get authState(): AuthState {
    return this.#auth;
  }

  /** Replicate an etcd auth command; resolves once applied here, rejects with its EtcdError. */
  async proposeAuth(command: AuthCommand): Promise<void> {
    await this.#proposeControl({ kind: 'auth', command });
  }

  /** The members of the applied configuration (etcd's MemberList), sorted by id. */
  memberList(): MemberInfo[] {
    return this.#members.members(this.#raft.status().confState).map((r) => {
      const fallback = this.config.members.find((m) => m.id === r.id);
      const peerUrls = r.peerUrls.length > 0 ? r.peerUrls : fallback === undefined ? [] : [fallback.peerUrl];
      const self = r.id === this.config.memberId;
      const clientUrls = self && r.clientUrls.length === 0 ? this.config.advertiseClientUrls : r.clientUrls;
      const name = self && r.name === '' ? this.config.name : r.name;
      return { ...r, name, peerUrls, clientUrls };
    });
  }

  /**
   * Propose `cc` and wait until the applied configuration satisfies `done` (at most the request
   * timeout). A leader drops a forwarded change while one is pending or before the no-op of its
   * term is applied (docs/decisions/0002-membership-changes.md), silently: so the change is
   * proposed again every election timeout until it shows up.
   */
  async #changeConf(cc: ConfChange, what: string, done: (cs: ConfState) => boolean): Promise<void> {
    const deadline = performance.now() + ServerLimits.requestTimeoutMs;
    let lastError: unknown;
    while (!done(this.#raft.status().confState)) {
      if (this.#fatal !== undefined || this.#stopping) throw new NinesError(ErrorCodes.STOPPED, 'the node is shutting down; try another member');
      if (performance.now() > deadline) {
        throw new NinesError(ErrorCodes.TIMEOUT, `${what} was not applied in time (another change pending, or no leader); check the member list and retry`, {
          cause: lastError,
        });
      }
      try {
        this.#proposeConf(cc);
      } catch (err) {
        // A refusal that is about the request itself (not a transient state) ends the wait.
        if (isNinesError(err) && err.code === ErrorCodes.INVALID_ARGUMENT) throw err;
        lastError = err;
      }
      const retryAt = Math.min(deadline, performance.now() + this.config.electionTimeoutMs);
      while (!done(this.#raft.status().confState) && performance.now() < retryAt) await new Promise((r) => setTimeout(r, 10));
    }
  }

  #proposeConf(cc: ConfChange): void {
    const problem = confChangeProblem(this.#raft.status().confState, cc);
    if (problem !== undefined) throw new NinesError(ErrorCodes.INVALID_ARGUMENT, `conf change refused: ${problem}`);
    try {
      this.#raft.proposeConfChange(cc);
    } catch (err) {
      throw isNinesError(err) && err.code === ErrorCodes.NOT_LEADER ? noLeader() : err;
    }
    this.#schedule();
  }

  /**
   * Add a member at `peerUrls` (etcd's MemberAdd): its id derives from the first peer URL and
   * the token (what the new member computes from its flags), its record is replicated first,
   * then the conf change. MEMBER_EXISTS when a member already has one of the URLs;
   * TOO_MANY_LEARNERS for a second learner (etcd allows one).
   */
  async memberAdd(peerUrls: readonly string[], isLearner: boolean): Promise<{ member: MemberInfo; members: MemberInfo[] }> {
    const first = peerUrls[0];
    if (first === undefined) throw new NinesError(ErrorCodes.INVALID_ARGUMENT, 'member add needs at least one peer URL');
    const current = this.memberList();
    const taken = new Set(current.flatMap((m) => m.peerUrls));
    if (peerUrls.some((u) => taken.has(u))) throw new MembershipError('peerUrlExists', `a member already has peer URL ${peerUrls.find((u) => taken.has(u))}`);
    const id = memberIdForPeer(first, this.config.initialClusterToken);
    if (current.some((m) => m.id === id)) throw new MembershipError('peerUrlExists', `member ${formatId(id)} (peer URL ${first}) already exists`);
    if (isLearner && this.#raft.status().confState.learners.length >= MEMBER_LEARNERS_MAX) {
      throw new MembershipError('tooManyLearners', `the cluster already has ${MEMBER_LEARNERS_MAX} learner(s)`);
    }
    await this.#proposeControl({ kind: 'member', op: 'announce', id, peerUrls: [...peerUrls] });
    await this.#changeConf({ type: isLearner ? 'addLearner' : 'addVoter', nodeId: id }, `adding member ${formatId(id)}`, (cs) =>
      (isLearner ? cs.learners : cs.voters).includes(id),
    );
    const members = this.memberList();
    const member = members.find((m) => m.id === id);
    assert(member !== undefined, 'an added member is listed');
    return { member, members };
  }

  /**
   * Remove member `id` (etcd's MemberRemove). The leader removing itself hands leadership to
   * another voter first. MEMBER_NOT_FOUND for a non-member; NOT_ENOUGH_STARTED when the
   * voters left would not have a quorum of recently active members (leader's view).
   */
  async memberRemove(id: NodeId): Promise<MemberInfo[]> {
    const cs = this.#raft.status().confState;
    if (!cs.voters.includes(id) && !cs.learners.includes(id)) throw new MembershipError('memberNotFound', `member ${formatId(id)} is not in the cluster`);
    const s = this.#raft.status();
    if (cs.voters.includes(id) && s.role === 'leader' && s.progress !== undefined) {
      const left = cs.voters.filter((v) => v !== id);
      const active = left.filter((v) => v === this.config.memberId || s.progress?.[v]?.recentActive === true).length;
      if (active < Math.floor(left.length / 2) + 1) {
        throw new MembershipError('memberNotEnoughStarted', `only ${active} of the ${left.length} voters left are active`);
      }
    }
    if (id === this.config.memberId && s.role === 'leader') {
      const next = this.#bestFollower();
      if (next !== undefined) {
        this.#log.info({ to: this.#memberName(next) }, 'removing the leader: transferring leadership first');
        await this.transferLeadership(next);
        await this.#awaitLeader();
      }
    }
    await this.#changeConf({ type: 'removeNode', nodeId: id }, `removing member ${formatId(id)}`, (c) => !c.voters.includes(id) && !c.learners.includes(id));
    return this.memberList();
  }

  /** Replace the peer URLs of member `id` (etcd's MemberUpdate). */
  async memberUpdate(id: NodeId, peerUrls: readonly string[]): Promise<MemberInfo[]> {
    const current = this.memberList();
    if (!current.some((m) => m.id === id)) throw new MembershipError('memberNotFound', `member ${formatId(id)} is not in the cluster`);
    if (peerUrls.length === 0) throw new NinesError(ErrorCodes.INVALID_ARGUMENT, 'member update needs at least one peer URL');
    const taken = new Set(current.filter((m) => m.id !== id).flatMap((m) => m.peerUrls));
    const clash = peerUrls.find((u) => taken.has(u));
    if (clash !== undefined) throw new MembershipError('peerUrlExists', `another member already has peer URL ${clash}`);
    await this.#proposeControl({ kind: 'member', op: 'update', id, peerUrls: [...peerUrls] });
    return this.memberList();
  }

  /**
   * Promote learner `id` to voter (etcd's MemberPromote). On the leader the learner must be in
   * sync: its match index at least 90% of the leader's (etcd's rule), else LEARNER_NOT_READY.
   */
  async memberPromote(id: NodeId): Promise<MemberInfo[]> {
    const s = this.#raft.status();
    const cs = s.confState;
    if (cs.voters.includes(id)) throw new MembershipError('memberNotLearner', `member ${formatId(id)} is a voter, not a learner`);
    if (!cs.learners.includes(id)) throw new MembershipError('memberNotFound', `member ${formatId(id)} is not in the cluster`);
    if (s.role === 'leader' && s.progress !== undefined) {
      const leaderMatch = s.progress[this.config.memberId]?.match ?? s.lastIndex;
      const learnerMatch = s.progress[id]?.match ?? 0;
      if (learnerMatch < leaderMatch * LEARNER_READY_FRACTION || learnerMatch === 0) {
        throw new MembershipError('learnerNotReady', `learner ${formatId(id)} has ${learnerMatch} of the leader's ${leaderMatch} entries`);
      }
    }
    await this.#changeConf({ type: 'promoteLearner', nodeId: id }, `promoting member ${formatId(id)}`, (c) => c.voters.includes(id));
    return this.memberList();
  }

  #bestFollower(): NodeId | undefined {
    const s = this.#raft.status();
    let best: NodeId | undefined;
    let bestMatch = -1;
    for (const [idText, pr] of Object.entries(s.progress ?? {})) {
      const id = Number(idText) as NodeId;
      if (id === this.config.memberId || pr.isLearner) continue;
      if (pr.match > bestMatch) {
        best = id;
        bestMatch = pr.match;
      }
    }
    return best;
  }

  async #awaitLeader(): Promise<void> {
    const deadline = performance.now() + this.config.electionTimeoutMs * 2;
    while (this.#raft.status().lead === NO_NODE && performance.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  }

  #fail(err: unknown): void {
    if (this.#fatal !== undefined) return;
    this.#fatal = err;
    this.#log.fatal({ err }, 'the node cannot go on (storage or raft failure); stopping');
    this.#proposals.rejectAll(new NinesError(ErrorCodes.INTERNAL, 'the node failed; try another member'));
    this.#controls.rejectAll(new NinesError(ErrorCodes.INTERNAL, 'the node failed; try another member'));
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
    // Like etcd: a lease must outlive a leader election, so shorter TTLs are raised to
    // ceil(1.5 × election timeout) (2 s with the default 1000 ms).
    const ttlSecMin = minLeaseTtlSec(this.config.electionTimeoutMs);
    const r = await this.#propose({ type: 'leaseGrant', id, ttlSec: Math.max(ttlSec, ttlSecMin) });
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

  /** Hash of the whole replicated state (etcd's Hash), after a linearizable read point unless serializable. */
  async hash(options: ReadOptions = { serializable: false }): Promise<{ hash: number; revision: number }> {
    await this.#linearizable(options);
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
    const member = this.#memberConfigs().find((m) => m.name === to || formatId(m.id) === to);
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
    return this.#memberConfigs().find((m) => m.id === id)?.name || formatId(id);
  }

  status(): NodeStatus {
    const s = this.#raft.status();
    const nowMs = performance.now();
    const members = this.#memberConfigs();
    const self = members.find((m) => m.id === this.config.memberId) ?? this.config.members.find((m) => m.id === this.config.memberId);
    const peers = this.#peerHealth.statuses(members, this.config.memberId, nowMs);
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
      peers: this.#memberConfigs()
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
    this.#controls.rejectAll(stopped);
    this.#reads.rejectAll(stopped);
    clearInterval(this.#tickTimer);
    clearInterval(this.#leaseTimer);
    await this.#network?.stop();
    this.#halted = true;
    while (this.#driving) await this.#drained;
    this.#stalls.stop();
    await this.#replica?.stop();
    this.metrics.stop();
    await this.#storage.close();
  }
}

/** A snapshot built (in the worker or on the event loop), waiting to be saved by the ready loop. */
interface PendingSnapshot {
  readonly metadata: SnapshotMetadata;
  readonly built: BuiltSnapshot;
  readonly startedMs: number;
  /** `#usedBytes` when the build started. */
  readonly usedBytesAtBuild: number;
  /** Event-loop time the encoding took (0 when built in the worker). */
  readonly blockingMs: number;
}

/** Resolves in the next event-loop turn (after pending I/O and timers). */
function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

function alarmsFrom(value: unknown): NodeAlarm[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw new CorruptError('alarms in a snapshot are not a list');
  return value.map((a: unknown) => {
    const x = a as { memberId?: unknown; alarm?: unknown };
    if (typeof x.memberId !== 'number' || (x.alarm !== 'NOSPACE' && x.alarm !== 'CORRUPT')) {
      throw new CorruptError(`malformed alarm in a snapshot: ${JSON.stringify(a)}`);
    }
    return { memberId: x.memberId as NodeId, alarm: x.alarm };
  });
}

function noLeader(): NinesError {
  return new NinesError(ErrorCodes.NO_LEADER, 'no leader: an election is in progress or a quorum is unreachable; retry shortly');
}


function peerDetectorFactory(config: NodeConfig, stalls: NodeStallMonitor): DetectorFactory {
  if (config.detector === 'fixed') return () => withStallAwareness(createDetector('fixed', { timeoutMs: config.electionTimeoutMs }), stalls);
  return () => withStallAwareness(createDetector('adaptive'), stalls);
}
