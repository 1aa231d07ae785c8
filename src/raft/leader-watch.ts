import type { FailureDetector } from '../detect/detector.js';
import type { RequiredConfig } from './config.js';

/**
 * A follower's (or candidate's) view of its leader: when to campaign, and whether a leader
 * lease is still being honoured (for refusing votes under CheckQuorum).
 *
 * - fixed (no detector): etcd's rule. Campaign after a silence drawn in [E, 2E), redrawn
 *   at every reset.
 * - adaptive (a detector): every leader message is fed to the detector as a heartbeat.
 *   With a known leader, campaign when the detector suspects it AND the silence is at least
 *   a floor drawn in [F, 2F) (the spread keeps split votes rare); in any case after the
 *   [E, 2E) draw (a detector can never block liveness). With no known leader (start-up, a
 *   lost election) the [F, 2F) draw alone decides.
 *
 * The lease guard (fixed: E, adaptive: F) is the shortest silence after which this node
 * may campaign or grant a vote; it bounds leader leases (see docs/raft.md).
 */
export class LeaderWatch {
  readonly #cfg: RequiredConfig;
  #detector: FailureDetector | undefined;
  /** Start of the current silence: the last leader contact or timer reset. */
  #sinceMs = 0;
  #timeoutMs: number;
  #floorMs: number;
  /** The detector has at least one arrival from the current leader. */
  #heard = false;

  constructor(cfg: RequiredConfig) {
    this.#cfg = cfg;
    this.#detector = cfg.detector?.();
    this.#timeoutMs = cfg.electionTimeoutMs;
    this.#floorMs = cfg.detectorFloorMs;
  }

  get adaptive(): boolean {
    return this.#detector !== undefined;
  }

  /** Restart the silence at `nowMs` and redraw the random timeouts. */
  reset(nowMs: number): void {
    this.#sinceMs = nowMs;
    const r = this.#cfg.random;
    this.#timeoutMs = this.#cfg.electionTimeoutMs * (1 + r.float());
    this.#floorMs = this.#cfg.detectorFloorMs * (1 + r.float());
  }

  /** Forget the current leader's history (a new leader, or none). */
  forgetLeader(): void {
    this.#detector?.reset();
    this.#heard = false;
  }

  /** A message from the leader arrived at `nowMs`. */
  leaderContact(nowMs: number): void {
    this.#sinceMs = nowMs;
    if (this.#detector !== undefined) {
      this.#detector.heartbeat(nowMs);
      this.#heard = true;
    }
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
    if (this.#detector === undefined) return elapsed >= this.#timeoutMs;
    if (elapsed >= this.#timeoutMs) return true;
    if (!hasLeader || !this.#heard) return elapsed >= this.#floorMs;
    return elapsed >= this.#floorMs && this.#detector.suspected(nowMs);
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
    if (this.#detector !== undefined) return this.#heard ? this.#detector.suspicion(nowMs) : 0;
    return this.elapsedMs(nowMs) / this.#timeoutMs;
  }
}
