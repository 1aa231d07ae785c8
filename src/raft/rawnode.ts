import { InvalidArgumentError } from '../core/errors.js';
import type { LogIndex, NodeId, Term } from '../core/ids.js';
import type { ConfChange } from './confchange.js';
import { type RaftConfig, type RequiredConfig, validateConfig } from './config.js';
import { isResponse, MESSAGE_TYPES, type Message, type ReadState, type Role, type SoftState } from './messages.js';
import type { ProgressState } from './progress.js';
import { Raft } from './raft.js';
import type { ConfState, Entry, HardState, Snapshot } from './types.js';

/**
 * What the application must do next, in this order:
 * 1. persist `hardState`, `entries` and `snapshot` (fsync when `mustSync`);
 * 2. send `messages` (they may depend on 1);
 * 3. apply `committedEntries` in order (for `confChange` entries call `applyConfChange`);
 *    deliver `readStates`;
 * 4. call `advance(rd)`.
 */
export interface Ready {
  /** Present when leader or role changed. */
  readonly softState?: SoftState;
  /** Present when changed; persist before sending messages. */
  readonly hardState?: HardState;
  readonly readStates: readonly ReadState[];
  /** To append to stable storage before sending `messages`. */
  readonly entries: readonly Entry[];
  /** To install in storage. */
  readonly snapshot?: Snapshot;
  /** To apply, in order. */
  readonly committedEntries: readonly Entry[];
  readonly messages: readonly Message[];
  /** Entries, a snapshot, or term/vote changed: the write must be synced before messages go out. */
  readonly mustSync: boolean;
}

export interface ProgressStatus {
  readonly match: LogIndex;
  readonly next: LogIndex;
  readonly state: ProgressState;
  readonly recentActive: boolean;
  readonly isLearner: boolean;
  readonly inflight: number;
}

export interface Status {
  readonly id: NodeId;
  readonly term: Term;
  readonly vote: NodeId;
  readonly commit: LogIndex;
  readonly applied: LogIndex;
  readonly lastIndex: LogIndex;
  readonly lead: NodeId;
  readonly role: Role;
  /** Leader only: replication progress per member (keyed by node id). */
  readonly progress?: Readonly<Record<number, ProgressStatus>>;
  /** Followers: how strongly the leader is suspected (detector suspicion, or silence / drawn timeout). */
  readonly leaderSuspicion?: number;
  /**
   * Adaptive detection: the learnt pause penalty in ms (0 in fixed mode or when nothing is
   * remembered). A follower with a leader does not campaign before a silence of about this.
   */
  readonly leaderPenaltyMs: number;
  readonly leadTransferee: NodeId;
  readonly confState: ConfState;
}

function sameHardState(a: HardState, b: HardState): boolean {
  return a.term === b.term && a.vote === b.vote && a.commit === b.commit;
}

/**
 * The application's handle on one raft node (etcd-io/raft's RawNode). Single-threaded:
 * call tick/step/propose…, then `if (hasReady()) { rd = ready(); …; advance(rd) }`.
 * Time is passed to `tick(nowMs)` (monotonic ms); the node reads no clock.
 */
export class RawNode {
  readonly config: RequiredConfig;
  readonly #raft: Raft;
  #prevSoft: SoftState;
  #prevHard: HardState;

  constructor(config: RaftConfig) {
    this.config = validateConfig(config);
    this.#raft = new Raft(this.config);
    this.#prevSoft = this.#softState();
    this.#prevHard = this.#hardState();
  }

  #softState(): SoftState {
    return { lead: this.#raft.lead, role: this.#raft.publicRole() };
  }

  #hardState(): HardState {
    return { term: this.#raft.term, vote: this.#raft.vote, commit: this.#raft.log.committed };
  }

  #checked<T>(fn: () => T): T {
    const out = fn();
    this.#raft.assertInvariants();
    return out;
  }

  /** Advance time to `nowMs` (monotonic, never backwards). Drives elections and heartbeats. */
  tick(nowMs: number): void {
    this.#checked(() => this.#raft.tick(nowMs));
  }

  /** A message from a peer. Unknown types are rejected; responses from non-members dropped. */
  step(m: Message): void {
    if (!MESSAGE_TYPES.includes(m.type)) throw new InvalidArgumentError(`step: unknown message type ${String(m.type)}`);
    if (m.to !== this.#raft.id) throw new InvalidArgumentError(`step: message for ${m.to} given to node ${this.#raft.id}`);
    if (m.from === this.#raft.id) throw new InvalidArgumentError('step: a node does not message itself');
    if (isResponse(m.type) && !this.#raft.progress.has(m.from)) return;
    this.#checked(() => this.#raft.step(m));
  }

  /**
   * Propose `data`. A leader appends it; a follower forwards it to its leader. Throws
   * NotLeaderError (NINES_ERR_NOT_LEADER, with a leader hint) when no leader is known, and
   * ProposalDroppedError when the leader refuses (transfer in progress, uncommitted limit).
   */
  propose(data: Uint8Array): void {
    this.#checked(() => this.#raft.propose([{ type: 'normal', data }]));
  }

  /** Propose a membership change; a leader refuses while another is pending. */
  proposeConfChange(cc: ConfChange): void {
    this.#checked(() => this.#raft.proposeConfChange(cc));
  }

  /** Apply a committed conf change entry; returns the configuration now in force. */
  applyConfChange(cc: ConfChange): ConfState {
    return this.#checked(() => this.#raft.applyConfChange(cc));
  }

  /**
   * Ask for a linearizable read point; the answer comes as a ReadState with the same
   * `context` (make it unique) in a later Ready. A follower forwards to its leader. Throws
   * NotLeaderError when no leader is known. Requests are dropped (never answered) if
   * leadership changes meanwhile: callers time out and retry.
   */
  readIndex(context: Uint8Array): void {
    this.#checked(() => this.#raft.readIndex(context));
  }

  /** Ask the leader (directly or via this follower) to hand leadership to voter `to`. */
  transferLeadership(to: NodeId): void {
    this.#checked(() => this.#raft.transferLeadership(to));
  }

  /** Start an election now (PreVote first if enabled). */
  campaign(): void {
    this.#checked(() => this.#raft.hup(this.config.preVote ? 'preElection' : 'election'));
  }

  reportUnreachable(id: NodeId): void {
    this.#raft.reportUnreachable(id);
  }

  reportSnapshot(id: NodeId, ok: boolean): void {
    this.#raft.reportSnapshot(id, ok);
  }

  hasReady(): boolean {
    const r = this.#raft;
    if (r.lead !== this.#prevSoft.lead || r.publicRole() !== this.#prevSoft.role) return true;
    const hs = this.#prevHard;
    if (r.term !== hs.term || r.vote !== hs.vote || r.log.committed !== hs.commit) return true;
    if (r.log.unstable.snapshot !== undefined) return true;
    if (r.log.unstable.entries.length > 0) return true;
    if (r.msgs.length > 0 || r.readStates.length > 0) return true;
    return r.log.hasNextCommittedEntries();
  }

  /** Collect the work to do. Messages and read states are handed over (not repeated). */
  ready(): Ready {
    const r = this.#raft;
    const soft = this.#softState();
    const hard = this.#hardState();
    const entries = [...r.log.unstableEntries()];
    const snapshot = r.log.unstable.snapshot;
    const softChanged = soft.lead !== this.#prevSoft.lead || soft.role !== this.#prevSoft.role;
    const hardChanged = !sameHardState(hard, this.#prevHard);
    const rd: { -readonly [K in keyof Ready]: Ready[K] } = {
      readStates: r.readStates,
      entries,
      committedEntries: r.log.nextCommittedEntries(this.config.maxCommittedSizePerReadyBytes),
      messages: r.msgs,
      mustSync:
        entries.length > 0 || snapshot !== undefined || hard.term !== this.#prevHard.term || hard.vote !== this.#prevHard.vote,
    };
    if (softChanged) rd.softState = soft;
    if (hardChanged) rd.hardState = hard;
    if (snapshot !== undefined) rd.snapshot = snapshot;
    r.msgs = [];
    r.readStates = [];
    if (softChanged) this.#prevSoft = soft;
    return rd;
  }

  /**
   * Hand over now, ahead of the next Ready, the pending messages `pick` selects; the rest stay
   * for the next Ready. For messages that depend on nothing the application has yet to persist
   * (heartbeats and their answers, read-index traffic) while it is still persisting an earlier
   * Ready: a slow fsync must not silence a leader's heartbeats or a follower's answers, or the
   * cluster elects a new leader although nobody failed. The caller checks that the current term
   * and vote are durable (`term`, `vote`) before sending what this returns.
   */
  takeMessages(pick: (m: Message) => boolean): Message[] {
    const r = this.#raft;
    if (r.msgs.length === 0) return [];
    const taken: Message[] = [];
    const kept: Message[] = [];
    for (const m of r.msgs) (pick(m) ? taken : kept).push(m);
    if (taken.length > 0) r.msgs = kept;
    return taken;
  }

  /** The current term (in memory: durable only once a Ready carrying it is persisted). */
  get term(): Term {
    return this.#raft.term;
  }

  /** The vote in the current term (in memory, like `term`). */
  get vote(): NodeId {
    return this.#raft.vote;
  }

  /** The Ready was persisted, sent and applied. */
  advance(rd: Ready): void {
    const r = this.#raft;
    if (rd.hardState !== undefined) this.#prevHard = rd.hardState;
    if (rd.snapshot !== undefined) r.log.stableSnapTo(rd.snapshot.metadata.index);
    const last = rd.entries[rd.entries.length - 1];
    if (last !== undefined) {
      r.log.stableTo(last.index, last.term);
      r.selfPersisted(last.index, last.term);
    }
    const lastApplied = rd.committedEntries[rd.committedEntries.length - 1];
    if (lastApplied !== undefined) {
      r.log.appliedTo(lastApplied.index);
      r.reduceUncommittedBytes(rd.committedEntries);
    } else if (rd.snapshot !== undefined && rd.snapshot.metadata.index > r.log.applied) {
      // Installing a snapshot applies everything it covers.
      r.log.applied = rd.snapshot.metadata.index;
    }
    r.assertInvariants();
  }

  status(): Status {
    const r = this.#raft;
    let progress: Record<number, ProgressStatus> | undefined;
    if (r.role === 'leader') {
      progress = {};
      for (const [id, pr] of r.progress) {
        progress[id] = {
          match: pr.match,
          next: pr.next,
          state: pr.state,
          recentActive: pr.recentActive,
          isLearner: pr.isLearner,
          inflight: pr.inflights.count,
        };
      }
    }
    return {
      id: r.id,
      term: r.term,
      vote: r.vote,
      commit: r.log.committed,
      applied: r.log.applied,
      lastIndex: r.log.lastIndex(),
      lead: r.lead,
      role: r.publicRole(),
      ...(progress !== undefined ? { progress } : {}),
      ...(r.role !== 'leader' ? { leaderSuspicion: r.watch.suspicion(r.nowMs) } : {}),
      leaderPenaltyMs: r.watch.penaltyMs(r.nowMs),
      leadTransferee: r.leadTransferee,
      confState: r.confState(),
    };
  }

  /** A lease read is possible right now (leaseReads on, leader, lease valid). */
  leaseValid(): boolean {
    return this.#raft.leaseValid();
  }
}
