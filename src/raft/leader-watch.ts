import { NO_NODE, type NodeId, type Term } from '../core/ids.js';
import type { FailureDetector } from '../detect/detector.js';
import type { RequiredConfig } from './config.js';
import { RaftLimits } from './limits.js';
import { PAUSE_PENALTY_SPREAD, PauseMemory } from './pause-memory.js';

/**
 * A leader's detector history is kept across a leadership gap only if the gap (from its
 * last message as leader to its first as leader again) is at most this many heartbeat
 * intervals; a longer gap is no inter-arrival time of a working leader, so the history is
 * re-seeded instead of being fed the gap.
 */
export const LEADER_HISTORY_GAP_HEARTBEATS = 2;

/** What the watch knows of one peer as a leader. */
interface PeerHistory {
  readonly detector: FailureDetector | undefined;
  /** Arrival of its last message while it was our leader (-Infinity: none). */
  lastArrivalMs: number;
  /** The detector holds at least one arrival. */
  heard: boolean;
}

/** This node suspected `id` (leader in `term`), which had been silent since `silentSinceMs`. */
interface Suspicion {
  readonly id: NodeId;
  readonly term: Term;
  readonly silentSinceMs: number;
}

/** Message kinds only a leader sends: hearing one from L in its old term proves L never restarted. */
const LEADER_MESSAGES: ReadonlySet<string> = new Set(['app', 'heartbeat', 'snap']);

/**
 * A follower's (or candidate's) view of its leader: when to campaign, and whether a leader
 * lease is still being honoured (for refusing votes under CheckQuorum).
 *
 * - fixed (no detector): etcd's rule. Campaign after a silence drawn in [E, 2E), redrawn
 *   at every reset. Nothing below changes it.
 * - adaptive (a detector per leader, kept across leader changes): every leader message is
 *   fed to that leader's detector. With a known leader, campaign when the detector
 *   suspects it AND the silence is at least max(floor draw in [F, 2F), penalty wait); in
 *   any case after max([E, 2E) draw, penalty wait) (a detector can never block liveness).
 *   With no known leader (start-up, a lost election) the [F, 2F) draw alone decides.
 *
 * Learning from mistakes (adaptive only): the penalty is a `PauseMemory` fed by
 * - a false suspicion: this node suspected leader L (campaigned on a tick, or granted a
 *   (pre-)vote to another node) and later received a leader message from L in L's old term
 *   (L never restarted: its silence was a pause); the pause is L's silence;
 * - its own stalls: a gap between two ticks longer than a heartbeat interval (the caller
 *   ticks at least that often; a restarted node has no previous tick, so crashes never count);
 * - gossip: the penalty of the peer at the other end of heartbeats, with its age (adopted
 *   if larger now; it keeps decaying on its original schedule).
 * The penalty wait is penalty × (1 + PAUSE_PENALTY_SPREAD × u), u the floor's draw, and is
 * below 2E because the penalty is capped at `pausePenaltyMaxMs` = 2E / (1 + spread).
 *
 * The lease guard (fixed: E, adaptive: F) is the shortest silence after which this node
 * may campaign or grant a vote; the penalty only makes campaigns later (see docs/raft.md).
 */
export class LeaderWatch {
  readonly #cfg: RequiredConfig;
  readonly #adaptive: boolean;
  /** Adaptive only: per-peer leader histories, at most RaftLimits.leaderHistoriesMax. */
  readonly #peers = new Map<NodeId, PeerHistory>();
  readonly #memory: PauseMemory | undefined;
  /** Start of the current silence: the last leader contact or timer reset. */
  #sinceMs = 0;
  #timeoutMs: number;
  #floorMs: number;
  /** The floor's random draw u in [0, 1), reused for the penalty spread. */
  #drawU = 0;
  #lead: NodeId = NO_NODE;
  /** The last leader other than this node, kept while no leader is known. */
  #lastLeader: { readonly id: NodeId; readonly term: Term } | undefined;
  #suspicion: Suspicion | undefined;

  constructor(cfg: RequiredConfig) {
    this.#cfg = cfg;
    this.#adaptive = cfg.detector !== undefined;
    this.#memory = this.#adaptive ? new PauseMemory(cfg.pausePenaltyMaxMs, cfg.pausePenaltyHalfLifeMs) : undefined;
    this.#timeoutMs = cfg.electionTimeoutMs;
    this.#floorMs = cfg.detectorFloorMs;
  }

  get adaptive(): boolean {
    return this.#adaptive;
  }

  /** Restart the silence at `nowMs` and redraw the random timeouts. */
  reset(nowMs: number): void {
    this.#sinceMs = nowMs;
    const r = this.#cfg.random;
    this.#timeoutMs = this.#cfg.electionTimeoutMs * (1 + r.float());
    this.#drawU = r.float();
    this.#floorMs = this.#cfg.detectorFloorMs * (1 + this.#drawU);
  }

  /**
   * The leader is now `lead` (NO_NODE: none known) in `term`. A peer's detector history
   * survives if it leads again within LEADER_HISTORY_GAP_HEARTBEATS heartbeat intervals of
   * its last message; otherwise it is reset (the gap is not an inter-arrival time).
   */
  leaderChanged(lead: NodeId, term: Term, nowMs: number): void {
    this.#lead = lead;
    if (lead === this.#cfg.id) this.#lastLeader = undefined;
    if (lead === NO_NODE || lead === this.#cfg.id) return;
    this.#lastLeader = { id: lead, term };
    if (!this.#adaptive) return;
    const h = this.#peers.get(lead);
    if (h === undefined) {
      if (this.#peers.size >= RaftLimits.leaderHistoriesMax) {
        const oldest = this.#peers.keys().next();
        if (!oldest.done) this.#peers.delete(oldest.value);
      }
      this.#peers.set(lead, { detector: this.#cfg.detector?.(), lastArrivalMs: Number.NEGATIVE_INFINITY, heard: false });
      return;
    }
    // Most recently used last (eviction takes the oldest).
    this.#peers.delete(lead);
    this.#peers.set(lead, h);
    if (nowMs - h.lastArrivalMs > LEADER_HISTORY_GAP_HEARTBEATS * this.#cfg.heartbeatIntervalMs) {
      h.detector?.reset();
      h.heard = false;
    }
  }

  /** A message from the leader arrived at `nowMs`. */
  leaderContact(nowMs: number): void {
    this.#sinceMs = nowMs;
    const h = this.#current();
    if (h === undefined) return;
    h.detector?.heartbeat(nowMs);
    h.heard = true;
    h.lastArrivalMs = nowMs;
  }

  /**
   * Any message arrived from `from` (before it is handled). Completes a pending false
   * suspicion of `from` (see the class comment). Returns the pause learnt, if any.
   */
  heardFrom(from: NodeId, type: string, term: Term, nowMs: number): number | undefined {
    const s = this.#suspicion;
    if (s === undefined || this.#memory === undefined) return undefined;
    if (nowMs - s.silentSinceMs > this.#cfg.pauseObserveMaxMs) {
      this.#suspicion = undefined; // no word in time: a crash, or L no longer talks to us
      return undefined;
    }
    if (from !== s.id || term !== s.term || !LEADER_MESSAGES.has(type)) return undefined;
    this.#suspicion = undefined;
    const pauseMs = nowMs - s.silentSinceMs;
    this.#memory.recordPause(pauseMs, nowMs);
    return pauseMs;
  }

  /**
   * This node acts on a suspicion of its last leader: it campaigns because of
   * the leader's silence, or grants a (pre-)vote to `candidate`. No-op in fixed mode, when
   * no other node was leader, or when the candidate is that leader.
   */
  suspectLeader(candidate: NodeId = NO_NODE): void {
    const last = this.#lastLeader;
    if (this.#memory === undefined || last === undefined || candidate === last.id) return;
    if (this.#suspicion !== undefined && this.#suspicion.id === last.id && this.#suspicion.term === last.term) return;
    const since = this.#peers.get(last.id)?.lastArrivalMs ?? Number.NEGATIVE_INFINITY;
    if (!Number.isFinite(since)) return;
    this.#suspicion = { id: last.id, term: last.term, silentSinceMs: since };
  }

  /** This node went `gapMs` without a tick (its own stall). Adaptive: learnt if > a heartbeat interval. */
  tickGap(gapMs: number, nowMs: number): void {
    if (this.#memory === undefined || gapMs <= this.#cfg.heartbeatIntervalMs) return;
    this.#memory.recordPause(gapMs, nowMs);
  }

  /** Adopt a peer's gossiped penalty (learnt `ageMs` ago) if larger than ours now (adaptive only). */
  adoptPenalty(peakMs: number, ageMs: number, nowMs: number): void {
    this.#memory?.adopt(peakMs, nowMs, ageMs);
  }

  /** What to gossip on heartbeats and their responses (undefined: nothing to tell). */
  penaltyGossip(nowMs: number): { readonly peakMs: number; readonly ageMs: number } | undefined {
    return this.#memory?.gossip(nowMs);
  }

  /** The current penalty (0 in fixed mode or when nothing is remembered). */
  penaltyMs(nowMs: number): number {
    return this.#memory?.penaltyMs(nowMs) ?? 0;
  }

  /** The penalty wait: penalty × (1 + spread × u), 0 without a penalty. Always < 2E. */
  penaltyWaitMs(nowMs: number): number {
    return this.penaltyMs(nowMs) * (1 + PAUSE_PENALTY_SPREAD * this.#drawU);
  }

  elapsedMs(nowMs: number): number {
    return nowMs - this.#sinceMs;
  }

  /** The randomised fixed timeout currently drawn (for status and tests). */
  get randomizedTimeoutMs(): number {
    return this.#timeoutMs;
  }

  shouldCampaign(nowMs: number, hasLeader: boolean): boolean {
    const elapsed = this.elapsedMs(nowMs);
    if (!this.#adaptive) return elapsed >= this.#timeoutMs;
    const waitMs = this.penaltyWaitMs(nowMs);
    if (elapsed >= Math.max(this.#timeoutMs, waitMs)) return true;
    const h = this.#current();
    if (!hasLeader || h === undefined || !h.heard || h.detector === undefined) return elapsed >= this.#floorMs;
    return elapsed >= Math.max(this.#floorMs, waitMs) && h.detector.suspected(nowMs);
  }

  /** Still honouring a leader lease: refuse (pre)votes. */
  inLease(nowMs: number, hasLeader: boolean): boolean {
    return hasLeader && this.elapsedMs(nowMs) < this.#cfg.leaseGuardMs;
  }

  /**
   * How strongly the leader is suspected: the detector's suspicion (adaptive), or
   * silence / drawn timeout (fixed; >= 1 means a campaign is due).
   */
  suspicion(nowMs: number): number {
    if (!this.#adaptive) return this.elapsedMs(nowMs) / this.#timeoutMs;
    const h = this.#current();
    return h?.detector !== undefined && h.heard ? h.detector.suspicion(nowMs) : 0;
  }

  #current(): PeerHistory | undefined {
    if (this.#lead === NO_NODE || this.#lead === this.#cfg.id) return undefined;
    return this.#peers.get(this.#lead);
  }
}
