import { assert } from '../core/errors.js';
import type { LogIndex } from '../core/ids.js';
import { Inflights } from './inflights.js';

/**
 * How the leader replicates to one follower (etcd-io/raft's tracker.Progress):
 * - probe: one AppendEntries at a time until the follower's match is found;
 * - replicate: optimistic pipelining, bounded by the inflight window;
 * - snapshot: a snapshot is on its way; nothing else is sent until it is reported.
 */
export type ProgressState = 'probe' | 'replicate' | 'snapshot';

export class Progress {
  /** Highest index known replicated on the follower. Invariant: match < next. */
  match: LogIndex;
  /** Next index to send. */
  next: LogIndex;
  state: ProgressState = 'probe';
  /** Index of the snapshot in flight (snapshot state only). */
  pendingSnapshot: LogIndex = 0 as LogIndex;
  /** When the pending snapshot was sent (leader's clock). */
  snapshotSentMs = 0;
  /** Heard from since the last CheckQuorum round. */
  recentActive = false;
  /** Probe: an append is out. Replicate: the window is full. */
  msgAppFlowPaused = false;
  isLearner: boolean;
  readonly inflights: Inflights;

  constructor(next: LogIndex, isLearner: boolean, inflightMax: number, inflightBytesMax: number) {
    this.match = 0 as LogIndex;
    this.next = next;
    this.isLearner = isLearner;
    this.inflights = new Inflights(inflightMax, inflightBytesMax);
  }

  #resetState(state: ProgressState): void {
    this.msgAppFlowPaused = false;
    this.pendingSnapshot = 0 as LogIndex;
    this.state = state;
    this.inflights.reset();
  }

  becomeProbe(): void {
    if (this.state === 'snapshot') {
      const pending = this.pendingSnapshot;
      this.#resetState('probe');
      this.next = Math.max(this.match + 1, pending + 1) as LogIndex;
    } else {
      this.#resetState('probe');
      this.next = (this.match + 1) as LogIndex;
    }
  }

  becomeReplicate(): void {
    this.#resetState('replicate');
    this.next = (this.match + 1) as LogIndex;
  }

  becomeSnapshot(snapshotIndex: LogIndex): void {
    this.#resetState('snapshot');
    this.pendingSnapshot = snapshotIndex;
    this.next = (snapshotIndex + 1) as LogIndex;
  }

  /** Account for an append of `entries` entries (`bytes` payload) just sent. */
  sentEntries(entries: number, bytes: number): void {
    if (this.state === 'replicate') {
      if (entries > 0) {
        this.next = (this.next + entries) as LogIndex;
        this.inflights.add((this.next - 1) as LogIndex, bytes);
      }
      this.msgAppFlowPaused = this.inflights.full();
    } else if (this.state === 'probe') {
      this.msgAppFlowPaused = true;
    }
  }

  /** The follower acknowledged `n`; false if that is stale. */
  maybeUpdate(n: LogIndex): boolean {
    if (n <= this.match) return false;
    this.match = n;
    this.next = Math.max(this.next, n + 1) as LogIndex;
    this.msgAppFlowPaused = false;
    return true;
  }

  /**
   * The follower rejected an append at `rejected`; `matchHint` is where to probe next.
   * False if the rejection is stale.
   */
  maybeDecrTo(rejected: LogIndex, matchHint: LogIndex): boolean {
    if (this.state === 'replicate') {
      if (rejected <= this.match) return false;
      this.next = (this.match + 1) as LogIndex;
      this.msgAppFlowPaused = false;
      return true;
    }
    if (this.next - 1 !== rejected) return false;
    this.next = Math.max(Math.min(rejected, matchHint + 1), this.match + 1) as LogIndex;
    this.msgAppFlowPaused = false;
    assert(this.next > this.match, 'progress next must stay above match');
    return true;
  }

  isPaused(): boolean {
    switch (this.state) {
      case 'probe':
        return this.msgAppFlowPaused;
      case 'replicate':
        return this.inflights.full();
      case 'snapshot':
        return true;
      default: {
        const never: never = this.state;
        return never;
      }
    }
  }
}
