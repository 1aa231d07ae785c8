import type { LogIndex, NodeId } from '../core/ids.js';
import { bytesKey } from './util.js';

/** A ReadIndex request waiting for a heartbeat round to confirm leadership. */
export interface ReadIndexRequest {
  /** The commit index when the request arrived: the read index once confirmed. */
  readonly index: LogIndex;
  /** Who asked (this node, or a follower that forwarded it). */
  readonly from: NodeId;
  readonly context: Uint8Array;
  readonly acks: Set<NodeId>;
}

/**
 * Pending ReadIndex requests in arrival order (etcd-io/raft's readOnly). A heartbeat round
 * carries the context of the newest request; a quorum of acks for it confirms it and every
 * request queued before it.
 */
export class ReadOnlyQueue {
  readonly #pending = new Map<string, ReadIndexRequest>();
  #queue: string[] = [];

  get size(): number {
    return this.#queue.length;
  }

  /** Queue a request; a duplicate context is ignored (false). */
  add(index: LogIndex, from: NodeId, context: Uint8Array): boolean {
    const key = bytesKey(context);
    if (this.#pending.has(key)) return false;
    this.#pending.set(key, { index, from, context, acks: new Set() });
    this.#queue.push(key);
    return true;
  }

  /** Record `id`'s ack for `context`; returns the acks so far (undefined if unknown). */
  recvAck(id: NodeId, context: Uint8Array): ReadonlySet<NodeId> | undefined {
    const req = this.#pending.get(bytesKey(context));
    if (req === undefined) return undefined;
    req.acks.add(id);
    return req.acks;
  }

  /** Dequeue the request with `context` and every earlier one, oldest first. */
  advance(context: Uint8Array): ReadIndexRequest[] {
    const key = bytesKey(context);
    const at = this.#queue.indexOf(key);
    if (at < 0) return [];
    const done = this.#queue.slice(0, at + 1);
    this.#queue = this.#queue.slice(at + 1);
    const out: ReadIndexRequest[] = [];
    for (const k of done) {
      const req = this.#pending.get(k);
      this.#pending.delete(k);
      if (req !== undefined) out.push(req);
    }
    return out;
  }

  /** Context of the newest pending request (heartbeats carry it), if any. */
  lastPendingContext(): Uint8Array | undefined {
    const key = this.#queue[this.#queue.length - 1];
    return key === undefined ? undefined : this.#pending.get(key)?.context;
  }

  clear(): void {
    this.#pending.clear();
    this.#queue = [];
  }
}
