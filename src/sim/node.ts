import { isNinesError } from '../core/errors.js';
import { assert } from '../core/errors.js';
import type { LogIndex, NodeId, Term } from '../core/ids.js';
import type { Random } from '../core/random.js';
import type { DetectorFactory } from '../detect/detector.js';
import type { Entry } from '../raft/types.js';
import { SimDisk } from './disk.js';
import { decodeCommand, encodeCommand, KvMachine } from './kv-machine.js';
import { SimLimits } from './limits.js';
import {
  decodeConfChange,
  type Message,
  NotLeaderError,
  type RaftTestBugs,
  RawNode,
  type Ready,
  type Role,
} from './raft-imports.js';
import type { SafetyChecker } from './safety.js';

/** A client's request as it reaches a node. `id` is unique in the run. */
export interface ClientRequest {
  readonly id: number;
  readonly client: number;
  readonly f: 'read' | 'write' | 'cas';
  readonly key: string;
  /** write: the value; cas: the new value. */
  readonly value: number;
  /** cas: the expected value. */
  readonly expected: number | null;
}

/** A node's answer to a client. */
export type ClientReply =
  | { readonly id: number; readonly kind: 'ok'; readonly value: number | null; readonly index: number }
  | { readonly id: number; readonly kind: 'fail'; readonly reason: string }
  | { readonly id: number; readonly kind: 'notLeader'; readonly leaderHint: NodeId };

/** What a node needs from its world. */
export interface NodeEnv {
  nowMs(): number;
  send(m: Message): void;
  reply(node: NodeId, req: ClientRequest, reply: ClientReply): void;
  readonly checker: SafetyChecker;
  /** `node` became leader of `term`. */
  leaderElected(node: NodeId, term: number): void;
  /** Leader `node` applied its first entries since its election (its first commit). */
  leaderFirstCommit(node: NodeId, term: number): void;
  /** Add a line to the run's trace. */
  note(what: string, detail: unknown): void;
  /** The node has an fsync in flight; call `persisted()` when it completes. */
  persistStarted(node: NodeId, incarnation: number): void;
}

/** The fixed configuration of one simulated node. */
export interface SimNodeConfig {
  readonly id: NodeId;
  readonly voters: readonly NodeId[];
  readonly heartbeatIntervalMs: number;
  readonly electionTimeoutMs: number;
  readonly preVote: boolean;
  readonly checkQuorum: boolean;
  readonly leaseReads: boolean;
  readonly detector: DetectorFactory | undefined;
  readonly testBugs: RaftTestBugs;
  readonly maxSizePerMsgBytes: number;
  readonly maxInflightMsgs: number;
  /** Followers forward proposals to the leader (else they answer "not leader"). */
  readonly forwardProposals: boolean;
  readonly snapshotEveryEntries: number;
  /** Local clock = clockRate × virtual time + clockOffsetMs. */
  readonly clockRate: number;
  readonly clockOffsetMs: number;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Things queued at a paused node, handled in order when it resumes. */
type Inbound =
  | { readonly kind: 'msg'; readonly m: Message }
  | { readonly kind: 'request'; readonly req: ClientRequest }
  | { readonly kind: 'persisted' }
  | { readonly kind: 'snapReport'; readonly to: NodeId; readonly ok: boolean };

/**
 * One simulated process: a raft RawNode over a `SimDisk`, a `KvMachine`, and the client
 * requests it waits on. It runs raft's Ready loop with one fsync in flight at a time: a
 * Ready's writes go to the disk unsynced, its committed entries are applied at once (they are
 * durable on a quorum), and only when the fsync completes are the messages sent and
 * `advance` called (raft's contract).
 * Crash drops everything volatile (and unsynced writes); restart rebuilds raft from the
 * durable disk and the state machine from the snapshot, raft then re-delivering the rest.
 */
export class SimNode {
  readonly id: NodeId;
  readonly config: SimNodeConfig;
  readonly disk = new SimDisk();
  readonly #env: NodeEnv;
  readonly #random: Random;
  up = false;
  paused = false;
  /** Bumped at every crash: events of an older incarnation are ignored. */
  incarnation = 0;
  #raft: RawNode | null = null;
  #kv = new KvMachine();
  #persisting: Ready | null = null;
  #inbox: Inbound[] = [];
  readonly #proposals = new Map<number, ClientRequest>();
  readonly #reads = new Map<number, { req: ClientRequest; index: number }>();
  role: Role = 'follower';
  lead: NodeId = 0 as NodeId;
  term = 0;
  /** Leader that has not yet applied anything in its term. */
  #awaitingFirstCommit = false;
  /** Statistics. */
  elections = 0;
  lostWrites = 0;

  constructor(config: SimNodeConfig, env: NodeEnv, random: Random) {
    this.id = config.id;
    this.config = config;
    this.#env = env;
    this.#random = random;
  }

  get kv(): KvMachine {
    return this.#kv;
  }

  /** Local clock reading at virtual time `virtualMs`. */
  localMs(virtualMs: number): number {
    return this.config.clockOffsetMs + this.config.clockRate * virtualMs;
  }

  /** Start (or restart) from the durable disk. */
  start(): void {
    assert(!this.up, `node ${this.id} started twice`);
    const snap = this.disk.snapshot();
    this.#kv = KvMachine.fromSnapshot(snap.data, snap.metadata.index);
    this.#raft = new RawNode({
      id: this.id,
      voters: this.config.voters,
      storage: this.disk,
      applied: snap.metadata.index,
      random: this.#random.fork(),
      heartbeatIntervalMs: this.config.heartbeatIntervalMs,
      electionTimeoutMs: this.config.electionTimeoutMs,
      preVote: this.config.preVote,
      checkQuorum: this.config.checkQuorum,
      leaseReads: this.config.leaseReads,
      maxSizePerMsgBytes: this.config.maxSizePerMsgBytes,
      maxInflightMsgs: this.config.maxInflightMsgs,
      ...(this.config.detector === undefined ? {} : { detector: this.config.detector }),
      testBugs: this.config.testBugs,
    });
    this.up = true;
    this.paused = false;
    this.role = 'follower';
    this.lead = 0 as NodeId;
    this.term = this.disk.initialState().hardState.term;
  }

  /** Power loss: volatile state and unsynced writes are gone. */
  crash(): void {
    assert(this.up, `node ${this.id} crashed while down`);
    this.up = false;
    this.paused = false;
    this.incarnation++;
    this.lostWrites += this.disk.crash();
    this.#raft = null;
    this.#persisting = null;
    this.#inbox = [];
    this.#proposals.clear();
    this.#reads.clear();
    this.role = 'follower';
    this.lead = 0 as NodeId;
  }

  pause(): void {
    assert(this.up && !this.paused, `node ${this.id} paused while down or paused`);
    this.paused = true;
  }

  /** Resume: handle everything that queued up while paused, in order. */
  resume(): void {
    assert(this.up && this.paused, `node ${this.id} resumed while not paused`);
    this.paused = false;
    const inbox = this.#inbox;
    this.#inbox = [];
    for (const item of inbox) {
      if (!this.up || this.paused) break;
      switch (item.kind) {
        case 'msg':
          this.step(item.m);
          break;
        case 'request':
          this.request(item.req);
          break;
        case 'persisted':
          this.persisted();
          break;
        case 'snapReport':
          this.snapReport(item.to, item.ok);
          break;
      }
    }
  }

  /**
   * While paused, keep `item` for `resume`. Messages and requests beyond the bound are
   * dropped (raft retransmits, clients time out); local completions are always kept.
   */
  #queue(item: Inbound): boolean {
    if (!this.paused) return false;
    const local = item.kind === 'persisted' || item.kind === 'snapReport';
    if (local || this.#inbox.length < SimLimits.pausedInboxMessagesMax) this.#inbox.push(item);
    return true;
  }

  tick(virtualMs: number): void {
    if (!this.up || this.paused) return;
    this.#raft!.tick(this.localMs(virtualMs));
    this.#drive();
  }

  step(m: Message): void {
    if (!this.up || this.#queue({ kind: 'msg', m })) return;
    this.#raft!.step(m);
    this.#drive();
  }

  snapReport(to: NodeId, ok: boolean): void {
    if (!this.up || this.#queue({ kind: 'snapReport', to, ok })) return;
    this.#raft!.reportSnapshot(to, ok);
    this.#drive();
  }

  /** Ask this node, if it is an up, running leader, to hand leadership to `to`. */
  transferLeadership(to: NodeId): boolean {
    if (!this.up || this.paused || this.role !== 'leader') return false;
    try {
      this.#raft!.transferLeadership(to);
    } catch (err) {
      if (!isNinesError(err)) throw err;
      return false;
    }
    this.#drive();
    return true;
  }

  /** A client request arrives. */
  request(req: ClientRequest): void {
    if (!this.up || this.#queue({ kind: 'request', req })) return;
    const raft = this.#raft!;
    if (this.#proposals.size + this.#reads.size >= SimLimits.pendingRequestsPerNodeMax) {
      this.#env.reply(this.id, req, { id: req.id, kind: 'fail', reason: 'too many pending requests' });
      return;
    }
    const isLeader = this.role === 'leader';
    if (!isLeader && (this.lead === 0 || !this.config.forwardProposals)) {
      this.#env.reply(this.id, req, { id: req.id, kind: 'notLeader', leaderHint: this.lead });
      return;
    }
    try {
      if (req.f === 'read') {
        this.#reads.set(req.id, { req, index: -1 });
        raft.readIndex(encoder.encode(String(req.id)));
      } else {
        const cmd =
          req.f === 'write'
            ? ({ id: req.id, op: 'put', key: req.key, value: req.value } as const)
            : ({ id: req.id, op: 'cas', key: req.key, expected: req.expected, value: req.value } as const);
        this.#proposals.set(req.id, req);
        raft.propose(encodeCommand(cmd));
      }
    } catch (err) {
      if (!isNinesError(err)) throw err;
      this.#reads.delete(req.id);
      this.#proposals.delete(req.id);
      const reply: ClientReply =
        err instanceof NotLeaderError
          ? { id: req.id, kind: 'notLeader', leaderHint: err.leaderHint }
          : { id: req.id, kind: 'fail', reason: err.code };
      this.#env.reply(this.id, req, reply);
    }
    this.#drive();
  }

  /** The in-flight fsync completed. */
  persisted(): void {
    if (!this.up || this.#queue({ kind: 'persisted' })) return;
    const rd = this.#persisting;
    assert(rd !== null, `node ${this.id}: fsync completed with nothing in flight`);
    this.disk.sync();
    this.#finish(rd);
    this.#drive();
  }

  /** Hand out Readies until one needs an fsync (then wait for `persisted`). */
  #drive(): void {
    const raft = this.#raft!;
    while (this.#persisting === null && raft.hasReady()) {
      const rd = raft.ready();
      this.#observe(rd);
      this.#persisting = rd;
      const writes = rd.entries.length > 0 || rd.hardState !== undefined || rd.snapshot !== undefined;
      if (writes) this.disk.write({ hardState: rd.hardState, entries: rd.entries, snapshot: rd.snapshot });
      if (rd.mustSync || rd.snapshot !== undefined) {
        // The messages wait for the fsync (raft's contract); a crash before it loses the write.
        // Committed entries are applied (and their clients answered) while it runs, as the real
        // node does: they are durable on a quorum already (src/server/node.ts, step 4).
        if (rd.snapshot === undefined && rd.committedEntries.length > 0) {
          for (const e of rd.committedEntries) this.#apply(e);
          this.#serveReads();
        }
        this.#env.persistStarted(this.id, this.incarnation);
        return;
      }
      // Only the commit index changed (or nothing to write): no fsync needed, as in etcd.
      this.disk.sync();
      this.#finish(rd);
    }
  }

  /** Check a fresh Ready against the safety properties before anything of it takes effect. */
  #observe(rd: Ready): void {
    const env = this.#env;
    const now = env.nowMs();
    if (rd.hardState !== undefined) this.term = rd.hardState.term;
    if (rd.entries.length > 0) {
      const first = rd.entries[0]!.index;
      const prevTerm =
        rd.snapshot !== undefined && rd.snapshot.metadata.index === first - 1
          ? rd.snapshot.metadata.term
          : this.disk.termOrUndefined(first - 1);
      env.checker.onEntries(now, this.id, rd.entries, prevTerm);
    }
    if (rd.softState !== undefined) {
      const wasLeader = this.role === 'leader';
      const wasRole = this.role;
      this.role = rd.softState.role;
      this.lead = rd.softState.lead;
      if (wasRole !== this.role) env.note(`node ${this.id} ${wasRole} -> ${this.role}`, `lead=${this.lead}`);
      if (this.role === 'leader' && !wasLeader) {
        const term = this.#raft!.status().term;
        this.term = term;
        this.elections++;
        env.checker.onLeader(now, this.id, term);
        this.#checkCompleteness(rd, term);
        this.#awaitingFirstCommit = true;
        env.leaderElected(this.id, term);
      }
    }
  }

  #checkCompleteness(rd: Ready, term: number): void {
    const pending: readonly Entry[] = rd.entries;
    const firstPending = pending[0]?.index ?? Number.POSITIVE_INFINITY;
    const last = pending.length > 0 ? pending[pending.length - 1]!.index : this.disk.lastIndex();
    this.#env.checker.checkLeaderCompleteness(this.#env.nowMs(), this.id, term, last, (i) =>
      i >= firstPending ? pending[i - firstPending]?.term : this.disk.termOrUndefined(i),
    );
  }

  /** After the Ready's writes are durable: send, apply, answer, advance. */
  #finish(rd: Ready): void {
    const env = this.#env;
    const raft = this.#raft!;
    if (rd.snapshot !== undefined && rd.snapshot.metadata.index > this.#kv.appliedIndex) {
      this.#kv = KvMachine.fromSnapshot(rd.snapshot.data, rd.snapshot.metadata.index);
    }
    for (const m of rd.messages) env.send(m);
    for (const e of rd.committedEntries) this.#apply(e);
    for (const rs of rd.readStates) {
      const id = Number(decoder.decode(rs.context));
      const r = this.#reads.get(id);
      if (r !== undefined) r.index = rs.index;
    }
    this.#serveReads();
    raft.advance(rd);
    this.#persisting = null;
    this.#maybeCompact();
    if (this.#awaitingFirstCommit && this.role === 'leader' && rd.committedEntries.length > 0) {
      this.#awaitingFirstCommit = false;
      env.leaderFirstCommit(this.id, this.term);
    }
  }

  #apply(e: Entry): void {
    if (e.index <= this.#kv.appliedIndex) return;
    const env = this.#env;
    env.checker.onApplied(env.nowMs(), this.id, this.term, e);
    if (e.type === 'confChange') {
      this.#raft!.applyConfChange(decodeConfChange(e.data));
      this.#kv.skip(e.index);
      return;
    }
    if (e.data.length === 0) {
      this.#kv.skip(e.index);
      return;
    }
    const cmd = decodeCommand(e.data);
    env.checker.onAppliedCommand(e.index, cmd.id);
    const result = this.#kv.apply(e.index, cmd);
    const req = this.#proposals.get(cmd.id);
    if (req === undefined) return;
    this.#proposals.delete(cmd.id);
    env.reply(
      this.id,
      req,
      result.ok
        ? { id: req.id, kind: 'ok', value: null, index: e.index }
        : { id: req.id, kind: 'fail', reason: 'cas comparison failed' },
    );
  }

  #serveReads(): void {
    if (this.#reads.size === 0) return;
    const applied = this.#kv.appliedIndex;
    for (const [id, r] of this.#reads) {
      if (r.index < 0 || r.index > applied) continue;
      this.#reads.delete(id);
      this.#env.reply(this.id, r.req, { id, kind: 'ok', value: this.#kv.get(r.req.key), index: r.index });
    }
  }

  /** Snapshot the state machine and drop the log up to it every `snapshotEveryEntries`. */
  #maybeCompact(): void {
    const applied = this.#kv.appliedIndex;
    if (applied - this.disk.firstIndex() + 1 < this.config.snapshotEveryEntries) return;
    if (applied > this.disk.lastIndex()) return;
    const term = this.disk.termOrUndefined(applied);
    if (term === undefined) return;
    const confState = this.#raft!.status().confState;
    this.disk.compact(applied as LogIndex, term as Term, confState, this.#kv.snapshot());
  }
}
