import { assert, CorruptError, InvalidArgumentError, LimitExceededError } from '../core/errors.js';
import { type LogIndex, NO_NODE, type NodeId, type Term } from '../core/ids.js';
import {
  applyToConfState,
  type ConfChange,
  confChangeProblem,
  decodeConfChange,
  encodeConfChange,
} from './confchange.js';
import type { RequiredConfig } from './config.js';
import { NotLeaderError, ProposalDroppedError } from './errors.js';
import { LeaderLease } from './lease.js';
import { LeaderWatch } from './leader-watch.js';
import { RaftLimits } from './limits.js';
import { RaftLog } from './log.js';
import type {
  AppMessage,
  AppRespMessage,
  HeartbeatMessage,
  HeartbeatRespMessage,
  Message,
  PropMessage,
  ReadIndexMessage,
  ReadState,
  Role,
  SnapMessage,
  TransferLeaderMessage,
  VoteMessage,
  VoteRespMessage,
} from './messages.js';
import { Progress } from './progress.js';
import { committedIndex, voteResult, type VoteResult } from './quorum.js';
import { ReadOnlyQueue } from './read-only.js';
import type { ConfState, Entry, Snapshot } from './types.js';
import { EMPTY_BYTES, payloadBytes } from './util.js';

type CampaignType = 'preElection' | 'election' | 'transfer';
type StateRole = 'follower' | 'candidate' | 'precandidate' | 'leader';

/** A proposal entry before the leader gives it a term and an index. */
export interface ProposedEntry {
  readonly type: Entry['type'];
  readonly data: Uint8Array;
}

/**
 * The raft state machine (etcd-io/raft's `raft`). Driven by RawNode: `tick`, `step`,
 * local requests; its outputs (`msgs`, `readStates`, log changes) are collected into a Ready.
 *
 * The role is the pair of swapped handlers (#stepRole, #tickRole) set by the become*
 * functions. Invariants (asserted): applied <= committed <= lastIndex; at most one vote per
 * term; a leader's term is the term of its election.
 */
export class Raft {
  readonly id: NodeId;
  readonly cfg: RequiredConfig;
  readonly log: RaftLog;

  term: Term = 0 as Term;
  vote: NodeId = NO_NODE;
  lead: NodeId = NO_NODE;
  role: StateRole = 'follower';
  isLearner = false;

  voters: NodeId[] = [];
  learners: NodeId[] = [];
  readonly progress = new Map<NodeId, Progress>();
  readonly votes = new Map<NodeId, boolean>();

  /** Outbox, drained by Ready. */
  msgs: Message[] = [];
  readStates: ReadState[] = [];

  readonly readOnly = new ReadOnlyQueue();
  /** ReadIndex requests waiting for the leader to commit an entry of its term. */
  pendingReadIndex: { from: NodeId; context: Uint8Array }[] = [];

  leadTransferee: NodeId = NO_NODE;
  /** Index of the latest conf change proposed by this leader; none may be proposed until applied >= it. */
  pendingConfIndex: LogIndex = 0 as LogIndex;
  /** Payload bytes appended by this leader and not yet applied. */
  uncommittedBytes = 0;

  nowMs = 0;
  readonly watch: LeaderWatch;
  #heartbeatSentMs = 0;
  /** Start of the current CheckQuorum / transfer-timeout period (leader). */
  #quorumCheckStartMs = 0;
  /** Leader: the lease for lease reads. */
  readonly #lease: LeaderLease;
  /** Time of the first tick: a restarted node honours a lease it may have forgotten. */
  #bootMs: number | undefined = undefined;

  #stepRole: (m: Message) => void = (m) => this.#stepFollower(m);
  #tickRole: () => void = () => this.#tickElection();

  constructor(cfg: RequiredConfig) {
    this.id = cfg.id;
    this.cfg = cfg;
    this.log = new RaftLog(cfg.storage);
    this.watch = new LeaderWatch(cfg);
    this.#lease = new LeaderLease(cfg.leaseDurationMs);
    const { hardState, confState } = cfg.storage.initialState();
    const haveConf = confState.voters.length > 0 || confState.learners.length > 0;
    this.#switchToConfig(
      haveConf ? confState : { voters: cfg.voters, learners: cfg.learners, votersOutgoing: [] },
    );
    if (hardState.commit > this.log.lastIndex()) {
      throw new CorruptError(`hard state commit ${hardState.commit} is beyond the last index ${this.log.lastIndex()}`);
    }
    // A commit below the snapshot (firstIndex - 1) is stale: the snapshot is committed.
    this.log.commitTo(hardState.commit);
    this.term = hardState.term;
    this.vote = hardState.vote;
    if (cfg.applied !== undefined && cfg.applied > 0) {
      if (cfg.applied > this.log.committed) {
        throw new InvalidArgumentError(`raft config: applied (${cfg.applied}) is beyond commit (${this.log.committed})`);
      }
      this.log.applied = Math.max(this.log.applied, cfg.applied) as LogIndex;
    }
    this.becomeFollower(this.term, NO_NODE);
    this.#logEvent('start', {
      term: this.term,
      commit: this.log.committed,
      applied: this.log.applied,
      lastIndex: this.log.lastIndex(),
      voters: this.voters,
      learners: this.learners,
    });
  }

  // ---- helpers ------------------------------------------------------------------------

  #logEvent(event: string, fields: Record<string, unknown>): void {
    this.cfg.logger?.(event, { id: this.id, ...fields });
  }

  #send(m: Message): void {
    assert(m.from === this.id, 'messages are sent from this node');
    if (this.msgs.length >= RaftLimits.outboxMessagesMax) {
      this.#logEvent('outbox-full-drop', { type: m.type, to: m.to });
      return;
    }
    this.msgs.push(m);
  }

  promotable(): boolean {
    return this.voters.includes(this.id);
  }

  confState(): ConfState {
    return { voters: [...this.voters], learners: [...this.learners], votersOutgoing: [] };
  }

  publicRole(): Role {
    return this.role === 'follower' && this.isLearner ? 'learner' : this.role;
  }

  committedEntryInCurrentTerm(): boolean {
    return this.log.term(this.log.committed) === this.term;
  }

  #setLead(lead: NodeId): void {
    if (lead !== this.lead) this.watch.leaderChanged(lead, this.term, this.nowMs);
    this.lead = lead;
  }

  // ---- role transitions ---------------------------------------------------------------

  #reset(t: Term): void {
    if (t !== this.term) {
      if (!(t > this.term)) assert(false, `term must not go backwards (${this.term} -> ${t})`);
      this.term = t;
      this.vote = NO_NODE;
    }
    this.#setLead(NO_NODE);
    this.watch.reset(this.nowMs);
    this.#abortLeaderTransfer();
    this.votes.clear();
    const last = this.log.lastIndex();
    for (const [id, pr] of this.progress) {
      const fresh = new Progress((last + 1) as LogIndex, pr.isLearner, this.cfg.maxInflightMsgs, this.cfg.maxInflightBytes);
      if (id === this.id) fresh.match = this.log.persistedLastIndex();
      this.progress.set(id, fresh);
    }
    this.pendingConfIndex = 0 as LogIndex;
    this.uncommittedBytes = 0;
    this.readOnly.clear();
    this.pendingReadIndex = [];
    this.#lease.reset();
  }

  becomeFollower(t: Term, lead: NodeId): void {
    this.#stepRole = (m) => this.#stepFollower(m);
    this.#tickRole = () => this.#tickElection();
    this.#reset(t);
    this.#setLead(lead);
    this.role = 'follower';
    this.#logEvent('become-follower', { term: this.term, lead });
  }

  becomeCandidate(): void {
    assert(this.role !== 'leader', 'a leader cannot become a candidate');
    this.#stepRole = (m) => this.#stepCandidate(m);
    this.#tickRole = () => this.#tickElection();
    this.#reset((this.term + 1) as Term);
    this.vote = this.id;
    this.role = 'candidate';
    this.#logEvent('become-candidate', { term: this.term });
  }

  becomePreCandidate(): void {
    assert(this.role !== 'leader', 'a leader cannot become a pre-candidate');
    // A pre-candidate changes neither its term nor its vote.
    this.#stepRole = (m) => this.#stepCandidate(m);
    this.#tickRole = () => this.#tickElection();
    this.votes.clear();
    this.#setLead(NO_NODE);
    this.role = 'precandidate';
    this.#logEvent('become-precandidate', { term: this.term });
  }

  becomeLeader(): void {
    assert(this.role === 'candidate' || this.role === 'leader', 'only a candidate can become leader');
    this.#stepRole = (m) => this.#stepLeader(m);
    this.#tickRole = () => this.#tickHeartbeat();
    this.#reset(this.term);
    this.#setLead(this.id);
    this.role = 'leader';
    const self = this.progress.get(this.id);
    assert(self !== undefined, 'a leader is a member');
    self.becomeReplicate();
    self.recentActive = true;
    this.#heartbeatSentMs = this.nowMs;
    this.#quorumCheckStartMs = this.nowMs;
    // Conf changes wait until the no-op of this term is applied (the single-server change
    // fix: a new leader must commit an entry of its term before changing the configuration).
    this.pendingConfIndex = (this.log.lastIndex() + 1) as LogIndex;
    const ok = this.#appendEntries([{ type: 'normal', data: EMPTY_BYTES }]);
    assert(ok, 'the empty entry is never refused');
    this.#logEvent('become-leader', { term: this.term });
  }

  // ---- elections ----------------------------------------------------------------------

  #hasUnappliedConfChanges(): boolean {
    if (this.log.committed <= this.log.applied) return false;
    let lo = (this.log.applied + 1) as LogIndex;
    const hi = (this.log.committed + 1) as LogIndex;
    for (let round = 0; lo < hi && round < RaftLimits.scanRoundsMax; round++) {
      let ents: Entry[];
      try {
        ents = this.log.slice(lo, hi, this.cfg.maxCommittedSizePerReadyBytes);
      } catch {
        return false;
      }
      if (ents.length === 0) break;
      if (ents.some((e) => e.type === 'confChange')) return true;
      lo = (ents[ents.length - 1]!.index + 1) as LogIndex;
    }
    return false;
  }

  /** Start an election (etcd's MsgHup). */
  hup(t: CampaignType): void {
    if (this.role === 'leader') {
      this.#logEvent('ignore-campaign-leader', { term: this.term });
      return;
    }
    if (!this.promotable()) {
      this.#logEvent('ignore-campaign-not-voter', { term: this.term });
      return;
    }
    if (this.#hasUnappliedConfChanges()) {
      this.#logEvent('ignore-campaign-unapplied-conf', { term: this.term });
      return;
    }
    this.#campaign(t);
  }

  #campaign(t: CampaignType): void {
    let voteTerm: Term;
    let type: 'vote' | 'preVote';
    if (t === 'preElection') {
      this.becomePreCandidate();
      type = 'preVote';
      voteTerm = (this.term + 1) as Term;
    } else {
      this.becomeCandidate();
      type = 'vote';
      voteTerm = this.term;
    }
    const result = this.#poll(this.id, true);
    if (result === 'won') {
      if (t === 'preElection') this.#campaign('election');
      else this.becomeLeader();
      return;
    }
    const index = this.log.lastIndex();
    const logTerm = this.log.lastTerm();
    for (const v of this.voters) {
      if (v === this.id) continue;
      this.#send({ type, from: this.id, to: v, term: voteTerm, index, logTerm, transfer: t === 'transfer' });
    }
    this.#logEvent('campaign', { type, term: voteTerm, index, logTerm });
  }

  #poll(id: NodeId, granted: boolean): VoteResult {
    if (!this.votes.has(id)) this.votes.set(id, granted);
    return voteResult(this.voters, this.votes);
  }

  // ---- ticks --------------------------------------------------------------------------

  tick(nowMs: number): void {
    if (!Number.isFinite(nowMs)) throw new InvalidArgumentError(`tick: nowMs must be finite, got ${nowMs}`);
    if (nowMs < this.nowMs) throw new InvalidArgumentError(`tick: time went backwards (${nowMs} < ${this.nowMs})`);
    if (this.#bootMs === undefined) {
      // The first tick fixes the time origin; timers restart from it.
      this.#bootMs = nowMs;
      this.nowMs = nowMs;
      this.watch.reset(nowMs);
      this.#heartbeatSentMs = nowMs;
      this.#quorumCheckStartMs = nowMs;
      return;
    }
    this.watch.tickGap(nowMs - this.nowMs, nowMs);
    this.nowMs = nowMs;
    this.#tickRole();
  }

  #tickElection(): void {
    if (!this.promotable()) return;
    if (this.watch.shouldCampaign(this.nowMs, this.lead !== NO_NODE)) {
      this.watch.suspectLeader();
      this.watch.reset(this.nowMs);
      this.hup(this.cfg.preVote ? 'preElection' : 'election');
    }
  }

  #tickHeartbeat(): void {
    if (this.nowMs - this.#quorumCheckStartMs >= this.cfg.electionTimeoutMs) {
      this.#quorumCheckStartMs = this.nowMs;
      if (this.cfg.checkQuorum) {
        if (!this.#quorumActive()) {
          this.#logEvent('step-down-no-quorum', { term: this.term });
          this.becomeFollower(this.term, NO_NODE);
          return;
        }
      }
      if (this.leadTransferee !== NO_NODE) this.#abortLeaderTransfer();
    }
    if (this.role !== 'leader') return;
    if (this.nowMs - this.#heartbeatSentMs >= this.cfg.heartbeatIntervalMs) this.#bcastHeartbeat();
  }

  /** CheckQuorum: did a quorum of voters talk to us since the last check? Resets the marks. */
  #quorumActive(): boolean {
    const votes = new Map<NodeId, boolean>();
    for (const [id, pr] of this.progress) {
      if (id === this.id) {
        votes.set(id, true);
        continue;
      }
      if (pr.recentActive && !pr.isLearner) votes.set(id, true);
      pr.recentActive = false;
    }
    return voteResult(this.voters, votes) === 'won';
  }

  // ---- step ---------------------------------------------------------------------------

  step(m: Message): void {
    if (m.term !== 0) {
      // Adaptive: a leader message from a leader this node suspected proves it was paused.
      const pauseMs = this.watch.heardFrom(m.from, m.type, m.term, this.nowMs);
      if (pauseMs !== undefined) this.#logEvent('pause-learnt', { from: m.from, pauseMs, penaltyMs: this.watch.penaltyMs(this.nowMs) });
    }
    if (m.term === 0) {
      // Only forwarded requests travel without a term.
      if (m.type !== 'prop' && m.type !== 'readIndex') {
        throw new InvalidArgumentError(`step: a ${m.type} message needs a term`);
      }
    } else if (m.term > this.term) {
      if (m.type === 'vote' || m.type === 'preVote') {
        const inLease = this.cfg.checkQuorum && this.#honoursLease();
        if (!m.transfer && inLease) {
          this.#logEvent('ignore-vote-in-lease', { type: m.type, from: m.from, term: m.term, lead: this.lead });
          return;
        }
      }
      if (m.type === 'preVote') {
        // Never change our term in response to a PreVote.
      } else if (m.type === 'preVoteResp' && !m.reject) {
        // We bump our term when we win the pre-election.
      } else if (m.type === 'app' || m.type === 'heartbeat' || m.type === 'snap') {
        this.becomeFollower(m.term, m.from);
      } else {
        this.becomeFollower(m.term, NO_NODE);
      }
    } else if (m.term < this.term) {
      if ((this.cfg.checkQuorum || this.cfg.preVote) && (m.type === 'heartbeat' || m.type === 'app')) {
        // A stale leader (or a partitioned node's old leader) learns our term and steps down.
        this.#send({
          type: 'appResp',
          from: this.id,
          to: m.from,
          term: this.term,
          index: 0 as LogIndex,
          reject: false,
          rejectHint: 0 as LogIndex,
          logTerm: 0 as Term,
        });
      } else if (m.type === 'preVote') {
        this.#send({ type: 'preVoteResp', from: this.id, to: m.from, term: this.term, reject: true });
      }
      return;
    }

    if (m.type === 'vote' || m.type === 'preVote') {
      this.#handleVote(m);
      return;
    }
    this.#stepRole(m);
  }

  #honoursLease(): boolean {
    if (this.watch.inLease(this.nowMs, this.lead !== NO_NODE)) return true;
    // With lease reads on, a restarted node cannot know whose lease it granted: it waits
    // one guard period after boot before voting.
    return this.cfg.leaseReads && this.#bootMs !== undefined && this.nowMs - this.#bootMs < this.cfg.leaseGuardMs;
  }

  #handleVote(m: VoteMessage): void {
    const respType = m.type === 'vote' ? 'voteResp' : 'preVoteResp';
    const canVote =
      this.vote === m.from ||
      (this.vote === NO_NODE && this.lead === NO_NODE) ||
      (m.type === 'preVote' && m.term > this.term) ||
      (this.cfg.testBugs.doubleVote === true && m.type === 'vote' && m.term === this.term);
    if (canVote && this.log.isUpToDate(m.index, m.logTerm)) {
      this.#send({ type: respType, from: this.id, to: m.from, term: m.term, reject: false });
      this.watch.suspectLeader(m.from);
      if (m.type === 'vote') {
        assert(
          this.cfg.testBugs.doubleVote === true || this.vote === NO_NODE || this.vote === m.from,
          `one vote per term: already voted for ${this.vote} in term ${this.term}`,
        );
        this.watch.reset(this.nowMs);
        this.vote = m.from;
      }
      this.#logEvent('vote-granted', { type: m.type, to: m.from, term: m.term });
    } else {
      this.#send({ type: respType, from: this.id, to: m.from, term: this.term, reject: true });
      this.#logEvent('vote-rejected', { type: m.type, to: m.from, term: m.term });
    }
  }

  // ---- follower -----------------------------------------------------------------------

  #stepFollower(m: Message): void {
    switch (m.type) {
      case 'prop':
        if (this.lead === NO_NODE) {
          this.#logEvent('drop-proposal-no-leader', { from: m.from });
          return;
        }
        this.#send({ ...m, from: this.id, to: this.lead });
        return;
      case 'app':
        this.#setLead(m.from);
        this.watch.leaderContact(this.nowMs);
        this.#handleAppend(m);
        return;
      case 'heartbeat':
        this.#setLead(m.from);
        this.watch.leaderContact(this.nowMs);
        this.#handleHeartbeat(m);
        return;
      case 'snap':
        this.#setLead(m.from);
        this.watch.leaderContact(this.nowMs);
        this.#handleSnapshot(m);
        return;
      case 'transferLeader':
        if (this.lead === NO_NODE) return;
        this.#send({ ...m, from: this.id, to: this.lead, term: this.term });
        return;
      case 'timeoutNow':
        this.#logEvent('timeout-now', { from: m.from, term: this.term });
        this.hup('transfer');
        return;
      case 'readIndex':
        if (this.lead === NO_NODE) return;
        this.#send({ ...m, from: this.id, to: this.lead });
        return;
      case 'readIndexResp':
        this.#pushReadState({ index: m.index, context: m.context });
        return;
      case 'appResp':
      case 'voteResp':
      case 'preVoteResp':
      case 'heartbeatResp':
      case 'vote':
      case 'preVote':
        return;
      default: {
        const never: never = m;
        throw new InvalidArgumentError(`unknown message type ${(never as Message).type}`);
      }
    }
  }

  #pushReadState(rs: ReadState): void {
    if (this.readStates.length >= RaftLimits.readStatesMax) return;
    this.readStates.push(rs);
  }

  #handleAppend(m: AppMessage): void {
    const reply = (index: LogIndex, reject: boolean, rejectHint: LogIndex, logTerm: Term) =>
      this.#send({ type: 'appResp', from: this.id, to: m.from, term: this.term, index, reject, rejectHint, logTerm });
    if (m.index < this.log.committed) {
      reply(this.log.committed, false, 0 as LogIndex, 0 as Term);
      return;
    }
    const lastNew = this.log.maybeAppend(
      m.index,
      m.logTerm,
      m.commit,
      m.entries,
      this.cfg.testBugs.noConflictTruncation === true,
    );
    if (lastNew !== undefined) {
      reply(lastNew, false, 0 as LogIndex, 0 as Term);
      return;
    }
    const hint = this.log.findConflictByTerm(Math.min(m.index, this.log.lastIndex()) as LogIndex, m.logTerm);
    this.#logEvent('append-rejected', { from: m.from, index: m.index, logTerm: m.logTerm, hintIndex: hint.index, hintTerm: hint.term });
    reply(m.index, true, hint.index, hint.term);
  }

  #handleHeartbeat(m: HeartbeatMessage): void {
    this.log.commitTo(Math.min(m.commit, this.log.lastIndex()) as LogIndex);
    if (m.pausePeakMs !== undefined) this.watch.adoptPenalty(m.pausePeakMs, m.pauseAgeMs ?? 0, this.nowMs);
    this.#send({
      type: 'heartbeatResp',
      from: this.id,
      to: m.from,
      term: this.term,
      context: m.context,
      sentMs: m.sentMs,
      ...this.#penaltyGossip(),
    });
  }

  /** Adaptive: this node's pause penalty, gossiped on heartbeats and their responses (absent when 0). */
  #penaltyGossip(): { pausePeakMs?: number; pauseAgeMs?: number } {
    const g = this.watch.penaltyGossip(this.nowMs);
    return g === undefined ? {} : { pausePeakMs: g.peakMs, pauseAgeMs: g.ageMs };
  }

  #handleSnapshot(m: SnapMessage): void {
    const { index, term } = m.snapshot.metadata;
    if (this.#restore(m.snapshot)) {
      this.#logEvent('snapshot-restored', { index, term });
      this.#sendAppResp(m.from, this.log.lastIndex());
    } else {
      this.#logEvent('snapshot-ignored', { index, term });
      this.#sendAppResp(m.from, this.log.committed);
    }
  }

  #sendAppResp(to: NodeId, index: LogIndex): void {
    this.#send({ type: 'appResp', from: this.id, to, term: this.term, index, reject: false, rejectHint: 0 as LogIndex, logTerm: 0 as Term });
  }

  #restore(s: Snapshot): boolean {
    const { index, term, confState } = s.metadata;
    if (index <= this.log.committed) return false;
    if (this.role !== 'follower') {
      // Only a follower gets snapshots; anything else is a bug upstream. Be defensive.
      this.becomeFollower((this.term + 1) as Term, NO_NODE);
      return false;
    }
    if (!confState.voters.includes(this.id) && !confState.learners.includes(this.id)) {
      // A node added after the leader's last snapshot: accept it; the conf change that adds
      // this node follows in the log. Until then it is a non-member (never campaigns).
      this.#logEvent('snapshot-without-self', { index });
    }
    if (this.log.matchTerm(index, term)) {
      // Our log already has the snapshot's last entry: just fast-forward the commit.
      this.log.commitTo(index);
      return false;
    }
    this.log.restore(s);
    this.#switchToConfig(confState);
    return true;
  }

  // ---- candidate ----------------------------------------------------------------------

  #stepCandidate(m: Message): void {
    const myResp = this.role === 'precandidate' ? 'preVoteResp' : 'voteResp';
    switch (m.type) {
      case 'prop':
        this.#logEvent('drop-proposal-no-leader', { from: m.from });
        return;
      case 'app':
        this.becomeFollower(m.term, m.from);
        this.watch.leaderContact(this.nowMs);
        this.#handleAppend(m);
        return;
      case 'heartbeat':
        this.becomeFollower(m.term, m.from);
        this.watch.leaderContact(this.nowMs);
        this.#handleHeartbeat(m);
        return;
      case 'snap':
        this.becomeFollower(m.term, m.from);
        this.watch.leaderContact(this.nowMs);
        this.#handleSnapshot(m);
        return;
      case 'voteResp':
      case 'preVoteResp':
        if (m.type !== myResp) return;
        this.#handleVoteResp(m);
        return;
      case 'timeoutNow':
      case 'transferLeader':
      case 'readIndex':
      case 'readIndexResp':
      case 'appResp':
      case 'heartbeatResp':
      case 'vote':
      case 'preVote':
        return;
      default: {
        const never: never = m;
        throw new InvalidArgumentError(`unknown message type ${(never as Message).type}`);
      }
    }
  }

  #handleVoteResp(m: VoteRespMessage): void {
    const result = this.#poll(m.from, !m.reject);
    this.#logEvent('vote-received', { from: m.from, type: m.type, granted: !m.reject, result });
    if (result === 'won') {
      if (this.role === 'precandidate') {
        this.#campaign('election');
      } else {
        this.becomeLeader();
        this.#bcastAppend();
      }
    } else if (result === 'lost') {
      // A pre-candidate that lost keeps its term; a rejection with a higher term was handled in step.
      this.becomeFollower(this.term, NO_NODE);
    }
  }

  // ---- leader -------------------------------------------------------------------------

  #stepLeader(m: Message): void {
    switch (m.type) {
      case 'prop':
        this.#leaderPropose(m, false);
        return;
      case 'readIndex':
        this.#leaderReadIndex(m.from, m.context, false);
        return;
      case 'transferLeader':
        this.#leaderTransfer(m);
        return;
      case 'appResp':
        this.#handleAppResp(m);
        return;
      case 'heartbeatResp':
        this.#handleHeartbeatResp(m);
        return;
      case 'app':
      case 'heartbeat':
      case 'snap':
        // Another leader in our term would break election safety.
        assert(false, `leader ${this.id} got ${m.type} from ${m.from} in its own term ${this.term}`);
        return;
      case 'voteResp':
      case 'preVoteResp':
      case 'timeoutNow':
      case 'readIndexResp':
      case 'vote':
      case 'preVote':
        return;
      default: {
        const never: never = m;
        throw new InvalidArgumentError(`unknown message type ${(never as Message).type}`);
      }
    }
  }

  /** Append proposals as leader. `local`: throw on refusal (else drop silently). */
  #leaderPropose(m: PropMessage, local: boolean): void {
    if (!this.progress.has(this.id)) {
      if (local) throw new NotLeaderError('this leader was removed from the cluster');
      return;
    }
    if (this.leadTransferee !== NO_NODE) {
      if (local) throw new ProposalDroppedError(`leadership transfer to ${this.leadTransferee} in progress`);
      return;
    }
    const ents: { type: Entry['type']; data: Uint8Array }[] = [];
    let confIndex: LogIndex | undefined;
    for (const [i, e] of m.entries.entries()) {
      if (e.type === 'confChange') {
        const refused = this.#confChangeRefusal(e.data);
        if (refused !== undefined) {
          if (local) throw refused;
          this.#logEvent('conf-change-refused', { reason: refused.message });
          ents.push({ type: 'normal', data: EMPTY_BYTES });
          continue;
        }
        confIndex = (this.log.lastIndex() + 1 + i) as LogIndex;
      }
      ents.push({ type: e.type, data: e.data });
    }
    if (!this.#appendEntries(ents)) {
      if (local) {
        throw new LimitExceededError(
          'maxUncommittedEntriesBytes',
          this.uncommittedBytes + payloadBytes(m.entries),
          this.cfg.maxUncommittedEntriesBytes,
        );
      }
      return;
    }
    if (confIndex !== undefined) this.pendingConfIndex = confIndex;
    this.#bcastAppend();
  }

  #confChangeRefusal(data: Uint8Array): Error | undefined {
    if (this.pendingConfIndex > this.log.applied) {
      return new ProposalDroppedError(
        `a configuration change is pending (index ${this.pendingConfIndex}, applied ${this.log.applied}); retry after it is applied`,
      );
    }
    let cc: ConfChange;
    try {
      cc = decodeConfChange(data);
    } catch (err) {
      return err as Error;
    }
    const problem = confChangeProblem(this.confState(), cc);
    return problem === undefined ? undefined : new InvalidArgumentError(`conf change refused: ${problem}`);
  }

  /** Append as leader; false if the uncommitted-size limit refuses them. */
  #appendEntries(es: readonly { type: Entry['type']; data: Uint8Array }[]): boolean {
    const li = this.log.lastIndex();
    const ents: Entry[] = es.map((e, i) => ({ term: this.term, index: (li + 1 + i) as LogIndex, type: e.type, data: e.data }));
    const size = payloadBytes(ents);
    const max = this.cfg.maxUncommittedEntriesBytes;
    if (max > 0 && this.uncommittedBytes > 0 && size > 0 && this.uncommittedBytes + size > max) return false;
    this.uncommittedBytes += size;
    this.log.append(ents);
    return true;
  }

  /** Counts the leader's own entries only once durable (called from advance). */
  selfPersisted(index: LogIndex, t: Term): void {
    if (this.role !== 'leader' || !this.log.matchTerm(index, t)) return;
    const pr = this.progress.get(this.id);
    if (pr === undefined || !pr.maybeUpdate(index)) return;
    if (this.#maybeCommit()) {
      this.#releasePendingReadIndex();
      this.#bcastAppend();
    }
  }

  #maybeCommit(): boolean {
    const mci = committedIndex(this.voters, (id) => this.progress.get(id)?.match ?? (0 as LogIndex));
    return this.log.maybeCommit(mci, this.term, this.cfg.testBugs.commitPreviousTermByCount === true);
  }

  reduceUncommittedBytes(ents: readonly Entry[]): void {
    if (this.role !== 'leader') return;
    this.uncommittedBytes = Math.max(0, this.uncommittedBytes - payloadBytes(ents));
  }

  #handleAppResp(m: AppRespMessage): void {
    const pr = this.progress.get(m.from);
    if (pr === undefined) return;
    pr.recentActive = true;
    if (m.reject) {
      let nextProbe = m.rejectHint;
      if (m.logTerm > 0) nextProbe = this.log.findConflictByTerm(m.rejectHint, m.logTerm).index;
      if (pr.maybeDecrTo(m.index, nextProbe)) {
        if (pr.state === 'replicate') pr.becomeProbe();
        this.#sendAppend(m.from);
      }
      return;
    }
    const wasProbing = pr.match === m.index && pr.state === 'probe';
    const wasPaused = pr.isPaused();
    if (!pr.maybeUpdate(m.index) && !wasProbing) return;
    if (pr.state === 'probe') {
      pr.becomeReplicate();
    } else if (pr.state === 'snapshot' && pr.match + 1 >= this.log.firstIndex()) {
      pr.becomeProbe();
      pr.becomeReplicate();
    } else if (pr.state === 'replicate') {
      pr.inflights.freeLE(m.index);
    }
    if (this.#maybeCommit()) {
      this.#releasePendingReadIndex();
      this.#bcastAppend();
    } else if (wasPaused) {
      // The follower may be missing our commit index (or entries): tell it now.
      this.#sendAppend(m.from);
    }
    for (let i = 0; i < this.cfg.maxInflightMsgs && this.#maybeSendAppend(m.from, false); i++) {
      // Fill the window with further size-limited appends.
    }
    if (m.from === this.leadTransferee && pr.match === this.log.lastIndex()) this.#sendTimeoutNow(m.from);
  }

  #handleHeartbeatResp(m: HeartbeatRespMessage): void {
    const pr = this.progress.get(m.from);
    if (pr === undefined) return;
    if (m.pausePeakMs !== undefined) this.watch.adoptPenalty(m.pausePeakMs, m.pauseAgeMs ?? 0, this.nowMs);
    pr.recentActive = true;
    pr.msgAppFlowPaused = false;
    if (!pr.isLearner) this.#lease.ack(m.from, m.sentMs);
    if (pr.state === 'replicate' && pr.inflights.full()) pr.inflights.freeFirstOne();
    if (pr.state === 'snapshot' && this.nowMs - pr.snapshotSentMs >= this.cfg.electionTimeoutMs) {
      // No word on the snapshot for an election timeout although the follower is alive: the
      // transport lost it without calling reportSnapshot. Probe again (may resend it).
      this.#logEvent('snapshot-timeout', { to: m.from, index: pr.pendingSnapshot });
      pr.becomeProbe();
    }
    if (pr.match < this.log.lastIndex()) this.#sendAppend(m.from);
    if (m.context.length === 0) return;
    const acks = this.readOnly.recvAck(m.from, m.context);
    if (acks === undefined) return;
    const votes = new Map<NodeId, boolean>();
    for (const a of acks) votes.set(a, true);
    if (voteResult(this.voters, votes) !== 'won') return;
    for (const req of this.readOnly.advance(m.context)) this.#respondReadIndex(req.from, req.index, req.context);
  }

  #leaderTransfer(m: TransferLeaderMessage): void {
    const to = m.transferee;
    const pr = this.progress.get(to);
    if (pr === undefined || pr.isLearner) {
      this.#logEvent('transfer-ignored-not-voter', { to });
      return;
    }
    if (this.leadTransferee !== NO_NODE) {
      if (this.leadTransferee === to) return;
      this.#abortLeaderTransfer();
    }
    if (to === this.id) return;
    this.#quorumCheckStartMs = this.nowMs;
    this.leadTransferee = to;
    this.#logEvent('transfer-start', { to, term: this.term });
    if (pr.match === this.log.lastIndex()) this.#sendTimeoutNow(to);
    else this.#sendAppend(to);
  }

  #sendTimeoutNow(to: NodeId): void {
    // The transferee will win votes that bypass leases: this term's lease is over.
    this.#lease.revoke();
    this.#send({ type: 'timeoutNow', from: this.id, to, term: this.term });
  }

  #abortLeaderTransfer(): void {
    if (this.leadTransferee !== NO_NODE) this.#logEvent('transfer-abort', { to: this.leadTransferee });
    this.leadTransferee = NO_NODE;
  }

  // ---- replication --------------------------------------------------------------------

  #sendAppend(to: NodeId): void {
    this.#maybeSendAppend(to, true);
  }

  /** Send entries (or a snapshot) to `to` if its progress allows; true if something was sent. */
  #maybeSendAppend(to: NodeId, sendIfEmpty: boolean): boolean {
    if (to === this.id) return false;
    const pr = this.progress.get(to);
    if (pr === undefined || pr.isPaused()) return false;
    const prevIndex = (pr.next - 1) as LogIndex;
    const prevTerm = this.log.term(prevIndex);
    const ents = this.log.entries(pr.next, this.cfg.maxSizePerMsgBytes);
    if (ents !== undefined && ents.length === 0 && !sendIfEmpty) return false;
    if (prevTerm === undefined || ents === undefined) return this.#sendSnapshot(to, pr);
    this.#send({ type: 'app', from: this.id, to, term: this.term, index: prevIndex, logTerm: prevTerm, entries: ents, commit: this.log.committed });
    pr.sentEntries(ents.length, payloadBytes(ents));
    return true;
  }

  #sendSnapshot(to: NodeId, pr: Progress): boolean {
    if (!pr.recentActive) return false;
    const snapshot = this.log.snapshot();
    if (snapshot.metadata.index === 0) {
      this.#logEvent('snapshot-unavailable', { to });
      return false;
    }
    pr.becomeSnapshot(snapshot.metadata.index);
    pr.snapshotSentMs = this.nowMs;
    this.#send({ type: 'snap', from: this.id, to, term: this.term, snapshot });
    this.#logEvent('snapshot-sent', { to, index: snapshot.metadata.index, term: snapshot.metadata.term });
    return true;
  }

  #bcastAppend(): void {
    for (const id of this.progress.keys()) if (id !== this.id) this.#sendAppend(id);
  }

  #bcastHeartbeat(): void {
    const ctx = this.readOnly.lastPendingContext() ?? EMPTY_BYTES;
    this.#bcastHeartbeatWithContext(ctx);
  }

  #bcastHeartbeatWithContext(ctx: Uint8Array): void {
    this.#heartbeatSentMs = this.nowMs;
    const gossip = this.#penaltyGossip();
    for (const [id, pr] of this.progress) {
      if (id === this.id) continue;
      const commit = Math.min(pr.match, this.log.committed) as LogIndex;
      this.#send({ type: 'heartbeat', from: this.id, to: id, term: this.term, commit, context: ctx, sentMs: this.nowMs, ...gossip });
    }
  }

  // ---- reads --------------------------------------------------------------------------

  /** True while a leader lease covers `nowMs` (lease reads; see docs/raft.md). */
  leaseValid(): boolean {
    if (!this.cfg.leaseReads || this.role !== 'leader' || this.leadTransferee !== NO_NODE) return false;
    if (!this.committedEntryInCurrentTerm()) return false;
    return this.#lease.valid(this.nowMs, this.voters, this.id);
  }

  #leaderReadIndex(from: NodeId, context: Uint8Array, local: boolean): void {
    if (this.voters.length === 1 && this.voters[0] === this.id) {
      this.#respondReadIndex(from, this.log.committed, context);
      return;
    }
    if (!this.committedEntryInCurrentTerm()) {
      if (this.pendingReadIndex.length >= RaftLimits.pendingReadIndexMax) {
        if (local) throw new ProposalDroppedError('too many ReadIndex requests waiting for the first commit of this term');
        return;
      }
      this.pendingReadIndex.push({ from, context });
      return;
    }
    this.#sendReadIndexResponse(from, context, local);
  }

  #sendReadIndexResponse(from: NodeId, context: Uint8Array, local: boolean): void {
    if (this.leaseValid()) {
      this.#respondReadIndex(from, this.log.committed, context);
      return;
    }
    if (this.readOnly.size >= RaftLimits.pendingReadIndexMax) {
      if (local) throw new ProposalDroppedError('too many ReadIndex requests in flight');
      return;
    }
    if (!this.readOnly.add(this.log.committed, from, context)) return;
    this.readOnly.recvAck(this.id, context);
    this.#bcastHeartbeatWithContext(context);
  }

  #releasePendingReadIndex(): void {
    if (this.pendingReadIndex.length === 0 || !this.committedEntryInCurrentTerm()) return;
    const pending = this.pendingReadIndex;
    this.pendingReadIndex = [];
    for (const p of pending) this.#sendReadIndexResponse(p.from, p.context, false);
  }

  #respondReadIndex(from: NodeId, index: LogIndex, context: Uint8Array): void {
    if (from === this.id) this.#pushReadState({ index, context });
    else this.#send({ type: 'readIndexResp', from: this.id, to: from, term: this.term, index, context });
  }

  // ---- local requests (RawNode) -------------------------------------------------------

  propose(entries: readonly ProposedEntry[]): void {
    const m: PropMessage = {
      type: 'prop',
      from: this.id,
      to: this.id,
      term: 0 as Term,
      entries: entries.map((e) => ({ term: 0 as Term, index: 0 as LogIndex, type: e.type, data: e.data })),
    };
    switch (this.role) {
      case 'leader':
        this.#leaderPropose(m, true);
        return;
      case 'follower':
        if (this.lead === NO_NODE) throw new NotLeaderError(`node ${this.id} is a follower with no known leader`);
        this.#send({ ...m, to: this.lead });
        return;
      case 'candidate':
      case 'precandidate':
        throw new NotLeaderError(`node ${this.id} is campaigning (no leader known)`);
      default: {
        const never: never = this.role;
        throw new InvalidArgumentError(`unknown role ${String(never)}`);
      }
    }
  }

  proposeConfChange(cc: ConfChange): void {
    this.propose([{ type: 'confChange', data: encodeConfChange(cc) }]);
  }

  readIndex(context: Uint8Array): void {
    if (this.role === 'leader') {
      this.#leaderReadIndex(this.id, context, true);
      return;
    }
    if (this.role !== 'follower' || this.lead === NO_NODE) {
      throw new NotLeaderError(`node ${this.id} knows no leader to confirm a read with`, this.lead);
    }
    const m: ReadIndexMessage = { type: 'readIndex', from: this.id, to: this.lead, term: 0 as Term, context };
    this.#send(m);
  }

  transferLeadership(to: NodeId): void {
    const m: TransferLeaderMessage = { type: 'transferLeader', from: this.id, to: this.id, term: this.term, transferee: to };
    if (this.role === 'leader') {
      this.#leaderTransfer(m);
      return;
    }
    if (this.role !== 'follower' || this.lead === NO_NODE) {
      throw new NotLeaderError(`node ${this.id} knows no leader to transfer leadership from`);
    }
    this.#send({ ...m, to: this.lead });
  }

  reportUnreachable(id: NodeId): void {
    if (this.role !== 'leader') return;
    const pr = this.progress.get(id);
    if (pr !== undefined && pr.state === 'replicate') pr.becomeProbe();
  }

  reportSnapshot(id: NodeId, ok: boolean): void {
    if (this.role !== 'leader') return;
    const pr = this.progress.get(id);
    if (pr === undefined || pr.state !== 'snapshot') return;
    if (!ok) pr.pendingSnapshot = 0 as LogIndex;
    // Probe from the snapshot (or the match after a failure); wait for a heartbeat response.
    pr.becomeProbe();
    pr.msgAppFlowPaused = true;
  }

  // ---- membership ---------------------------------------------------------------------

  /** Apply a committed conf change; returns the configuration now in force. */
  applyConfChange(cc: ConfChange): ConfState {
    const problem = confChangeProblem(this.confState(), cc);
    if (problem !== undefined) {
      this.#logEvent('conf-change-skipped', { type: cc.type, node: cc.nodeId, problem });
      return this.confState();
    }
    const cs = applyToConfState(this.confState(), cc);
    this.#switchToConfig(cs);
    this.#logEvent('conf-change-applied', { type: cc.type, node: cc.nodeId, voters: cs.voters, learners: cs.learners });
    if (this.role !== 'leader') return cs;
    if (!this.voters.includes(this.id)) {
      // A removed or demoted leader steps down; the rest elect a new one.
      this.becomeFollower(this.term, NO_NODE);
      return cs;
    }
    if (this.leadTransferee !== NO_NODE && !this.voters.includes(this.leadTransferee)) this.#abortLeaderTransfer();
    if (this.#maybeCommit()) {
      this.#releasePendingReadIndex();
      this.#bcastAppend();
    } else {
      for (const id of this.progress.keys()) this.#maybeSendAppend(id, false);
    }
    return cs;
  }

  #switchToConfig(cs: ConfState): void {
    this.voters = [...cs.voters].sort((a, b) => a - b);
    this.learners = [...cs.learners].sort((a, b) => a - b);
    const members = new Set<NodeId>([...this.voters, ...this.learners]);
    for (const id of [...this.progress.keys()]) if (!members.has(id)) this.progress.delete(id);
    const last = this.log.lastIndex();
    for (const id of members) {
      const isLearner = this.learners.includes(id);
      const pr = this.progress.get(id);
      if (pr !== undefined) {
        pr.isLearner = isLearner;
        continue;
      }
      const fresh = new Progress((last + 1) as LogIndex, isLearner, this.cfg.maxInflightMsgs, this.cfg.maxInflightBytes);
      fresh.recentActive = true;
      if (id === this.id) fresh.match = this.log.persistedLastIndex();
      this.progress.set(id, fresh);
    }
    this.isLearner = this.learners.includes(this.id);
  }

  /** Checks the log invariants; cheap enough to run after every step. */
  assertInvariants(): void {
    const { applied, committed } = this.log;
    if (!(applied <= committed)) assert(false, `applied ${applied} <= committed ${committed}`);
    if (!(committed <= this.log.lastIndex())) assert(false, `committed ${committed} <= lastIndex ${this.log.lastIndex()}`);
    assert(this.role !== 'leader' || this.lead === this.id, 'a leader leads');
    if (this.cfg.testBugs.doubleVote !== true) {
      assert(this.role !== 'candidate' || this.vote === this.id, 'a candidate votes for itself');
    }
  }
}
