import type { NodeId } from '../core/ids.js';
import { quorumTime } from './quorum.js';

/**
 * A leader's lease (see docs/raft.md, "Lease reads: the argument"). For each voter it keeps
 * the leader-local send time of the latest heartbeat that voter acknowledged; the lease
 * runs from the latest time a quorum has acknowledged, for `durationMs`.
 */
export class LeaderLease {
  readonly #durationMs: number;
  readonly #ackMs = new Map<NodeId, number>();
  #revoked = false;

  constructor(durationMs: number) {
    this.#durationMs = durationMs;
  }

  /** `id` acknowledged a heartbeat sent at `sentMs` (leader clock). */
  ack(id: NodeId, sentMs: number): void {
    this.#ackMs.set(id, Math.max(this.#ackMs.get(id) ?? Number.NEGATIVE_INFINITY, sentMs));
  }

  /** No more lease this term (a TimeoutNow went out: the transferee's votes ignore leases). */
  revoke(): void {
    this.#revoked = true;
  }

  /** A new term: forget everything. */
  reset(): void {
    this.#ackMs.clear();
    this.#revoked = false;
  }

  /** The lease covers `nowMs`; the leader `self` counts as acknowledging at `nowMs`. */
  valid(nowMs: number, voters: readonly NodeId[], self: NodeId): boolean {
    if (this.#revoked) return false;
    const start = quorumTime(voters, (id) => (id === self ? nowMs : (this.#ackMs.get(id) ?? Number.NEGATIVE_INFINITY)));
    return start + this.#durationMs > nowMs;
  }
}
