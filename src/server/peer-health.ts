import type { NodeId } from '../core/ids.js';
import type { DetectorFactory, FailureDetector } from '../detect/detector.js';
import type { MemberConfig } from './config.js';
import { formatId } from './member-id.js';
import type { PeerStatus } from './service.js';

/**
 * This node's view of each peer: a failure detector fed by every message received from the
 * peer (raft traffic and the members' pings, at least one per heartbeat interval). Shown in
 * /v1/status, /metrics and the dashboard. Time: monotonic ms.
 */
export class PeerHealth {
  readonly #detectors = new Map<NodeId, FailureDetector>();
  readonly #lastHeardMs = new Map<NodeId, number>();
  readonly #factory: DetectorFactory;

  constructor(peers: readonly NodeId[], factory: DetectorFactory) {
    this.#factory = factory;
    for (const id of peers) this.#detectors.set(id, factory());
  }

  /** Watch a member added to the cluster (no-op if already watched). */
  add(id: NodeId): void {
    if (!this.#detectors.has(id)) this.#detectors.set(id, this.#factory());
  }

  /** Stop watching a removed member. */
  forget(id: NodeId): void {
    this.#detectors.delete(id);
    this.#lastHeardMs.delete(id);
  }

  /** The members watched. */
  ids(): NodeId[] {
    return [...this.#detectors.keys()];
  }

  heard(from: NodeId, nowMs: number): void {
    const d = this.#detectors.get(from);
    if (d === undefined) return;
    const last = this.#lastHeardMs.get(from) ?? Number.NEGATIVE_INFINITY;
    // Arrivals never go backwards for a detector; equal times (a batch) count once.
    if (nowMs <= last) return;
    this.#lastHeardMs.set(from, nowMs);
    d.heartbeat(nowMs);
  }

  /**
   * Suspicion of `id` at `nowMs`; undefined if not a peer or never heard from (a detector
   * says 0 before the first heartbeat, which would read as "trusted").
   */
  suspicion(id: NodeId, nowMs: number): { suspicion: number; suspected: boolean; lastHeardMsAgo: number } | undefined {
    const d = this.#detectors.get(id);
    const last = this.#lastHeardMs.get(id);
    if (d === undefined || last === undefined) return undefined;
    const at = Math.max(nowMs, last);
    return { suspicion: d.suspicion(at), suspected: d.suspected(at), lastHeardMsAgo: nowMs - last };
  }

  /** The status of each peer among `members` (JSON-safe: an infinite suspicion is sent as MAX_VALUE). */
  statuses(members: readonly MemberConfig[], self: NodeId, nowMs: number): PeerStatus[] {
    return members
      .filter((m) => m.id !== self)
      .map((m) => {
        const h = this.suspicion(m.id, nowMs);
        const base = {
          id: formatId(m.id),
          name: m.name,
          peerUrl: m.peerUrl,
          suspicion: h === undefined ? null : jsonNumber(h.suspicion),
          suspected: h?.suspected ?? false,
          lastHeardMsAgo: h === undefined ? null : Math.round(h.lastHeardMsAgo),
        };
        return m.httpUrl === undefined ? base : { ...base, httpUrl: m.httpUrl };
      });
  }
}

/** JSON has no Infinity: send it as the largest finite double; round to 3 decimals. */
export function jsonNumber(x: number): number {
  return Number.isFinite(x) ? Math.round(x * 1000) / 1000 : Number.MAX_VALUE;
}
