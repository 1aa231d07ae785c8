import { assert, InvalidArgumentError, LimitExceededError } from '../core/errors.js';
import type { Revision } from '../core/ids.js';
import { Limits } from '../core/limits.js';
import { type KeySpan, keySpan, spanContains } from './bytes.js';
import { KvMessages } from './errors.js';
import type { Change } from './history.js';
import { isTombstone } from './key-index.js';
import { toKeyValue } from './key-value.js';
import { KvLimits } from './limits.js';
import type { WatchEvent } from './types.js';
import { checkCount } from './validate.js';

/** What a watch asks for (etcd's WatchCreateRequest, minus the stream's concerns). */
export interface WatchRequest {
  readonly key: Uint8Array;
  /** As in range: empty = one key, "\0" = every key ≥ key, else [key, rangeEnd). */
  readonly rangeEnd?: Uint8Array;
  /** First revision to deliver (inclusive); 0/absent = only changes after now. */
  readonly startRevision?: number;
  readonly prevKv?: boolean;
  readonly filters?: { readonly noPut?: boolean; readonly noDelete?: boolean };
}

/** One delivery to a watcher. */
export interface WatchBatch {
  readonly watchId: number;
  /** Events of whole revisions, in revision order. */
  readonly events: readonly WatchEvent[];
  /** The store's revision when the batch was made (header revision). */
  readonly revision: Revision;
  /** The watcher is gone; this is its last batch. */
  readonly canceled: boolean;
  readonly cancelReason?: string;
  /** Set when cancelled because history at the start revision was compacted. */
  readonly compactRevision?: Revision;
}

/** Read access to the store that the hub needs. */
export interface WatchSource {
  readonly currentRevision: number;
  readonly compactRevision: number;
  changesAt(revision: number): readonly Change[];
}

interface Watcher {
  readonly id: number;
  readonly span: KeySpan;
  readonly prevKv: boolean;
  readonly noPut: boolean;
  readonly noDelete: boolean;
  /** Store revision when created: later events count toward the backlog. */
  readonly createdAt: number;
  /** Next revision to deliver. */
  nextRevision: number;
  /** Live events produced (after `createdAt`) and not yet delivered. */
  backlogEvents: number;
  cancel: { reason: string; compactRevision?: number } | undefined;
  readonly onReady: ((watchId: number) => void) | undefined;
  readonly onBatch: ((batch: WatchBatch) => void) | undefined;
}

export const WatchCancelReasons = {
  compacted: KvMessages.compacted,
  slow: `watcher too slow: more than ${KvLimits.watchBacklogEventsMax} events unread`,
  callbackFailed: 'watch callback failed',
} as const;

/**
 * Watches over the store's history. A watcher is a cursor into the history (no copy of
 * events is queued), so replaying from an old revision and following live changes are the
 * same loop, with no gap and no duplicate between them.
 *
 * Two ways to consume:
 * - pull (`watch`): the hub calls `onReady(id)` when events may be waiting; the consumer
 *   calls `poll(id)` for the next batch when it can send. A consumer that leaves more than
 *   `KvLimits.watchBacklogEventsMax` live events unread is cancelled ("slow watcher").
 * - push (`subscribe`): batches are handed to `onBatch` synchronously, at creation (history
 *   replay) and after every revision.
 *
 * A watcher whose next revision is below the compacted revision is cancelled with
 * `compactRevision` set (the client may restart from it). Batches hold whole revisions.
 * Callbacks run synchronously inside the store's `apply`; they must not call `apply`, and
 * one that throws loses its watcher (the store carries on).
 */
export class WatchHub {
  readonly #source: WatchSource;
  readonly #watchers = new Map<number, Watcher>();
  #nextId = 1;

  constructor(source: WatchSource) {
    this.#source = source;
  }

  get size(): number {
    return this.#watchers.size;
  }

  /** Creates a pulled watcher; returns its id. */
  watch(request: WatchRequest, onReady?: (watchId: number) => void): number {
    const w = this.#create(request, onReady, undefined);
    if (this.#pending(w)) this.#wake(w);
    return w.id;
  }

  /** Creates a pushed watcher; history replay is delivered before this returns. */
  subscribe(request: WatchRequest, onBatch: (batch: WatchBatch) => void): number {
    const w = this.#create(request, undefined, onBatch);
    this.#drain(w);
    return w.id;
  }

  /** Cancels a watcher (no final batch). Returns false if it did not exist. */
  cancel(watchId: number): boolean {
    return this.#watchers.delete(watchId);
  }

  /**
   * The next batch for a watcher: up to `maxEvents` events (whole revisions, so possibly
   * more), or its cancellation. `undefined` when nothing is waiting or the id is unknown.
   */
  poll(watchId: number, maxEvents: number = KvLimits.watchBatchEventsMax): WatchBatch | undefined {
    const w = this.#watchers.get(watchId);
    if (w === undefined) return undefined;
    if (w.cancel !== undefined) {
      this.#watchers.delete(watchId);
      return {
        watchId,
        events: [],
        revision: this.#source.currentRevision as Revision,
        canceled: true,
        cancelReason: w.cancel.reason,
        ...(w.cancel.compactRevision !== undefined ? { compactRevision: w.cancel.compactRevision as Revision } : {}),
      };
    }
    const current = this.#source.currentRevision;
    const events: WatchEvent[] = [];
    while (w.nextRevision <= current && events.length < Math.max(1, maxEvents)) {
      const rev = w.nextRevision;
      const before = events.length;
      for (const change of this.#source.changesAt(rev)) {
        const ev = this.#event(w, change);
        if (ev !== undefined) events.push(ev);
      }
      if (rev > w.createdAt) w.backlogEvents -= events.length - before;
      w.nextRevision = rev + 1;
    }
    assert(w.backlogEvents >= 0, 'watch backlog never negative');
    if (events.length === 0) return undefined;
    return { watchId, events, revision: current as Revision, canceled: false };
  }

  /** Whether the watcher has delivered everything up to the current revision. */
  isSynced(watchId: number): boolean {
    const w = this.#watchers.get(watchId);
    return w !== undefined && w.cancel === undefined && w.nextRevision > this.#source.currentRevision;
  }

  /**
   * A progress notification (etcd's progress_notify / RequestProgress): an empty batch at
   * the current revision, only when the watcher has delivered everything before it.
   */
  progress(watchId: number): WatchBatch | undefined {
    if (!this.isSynced(watchId)) return undefined;
    return { watchId, events: [], revision: this.#source.currentRevision as Revision, canceled: false };
  }

  /** Ids of all watchers, ascending. */
  ids(): number[] {
    return [...this.#watchers.keys()].sort((a, b) => a - b);
  }

  /** Called by the store after each new revision. */
  onRevision(revision: number, changes: readonly Change[]): void {
    for (const w of [...this.#watchers.values()]) {
      if (w.cancel !== undefined || w.nextRevision > revision) continue;
      let matched = 0;
      for (const change of changes) if (this.#matches(w, change)) matched++;
      if (matched === 0 && w.nextRevision === revision) {
        // Nothing here for a synced watcher: it stays synced without a wake-up.
        w.nextRevision = revision + 1;
        continue;
      }
      if (revision > w.createdAt) w.backlogEvents += matched;
      if (w.onBatch !== undefined) {
        this.#drain(w);
        continue;
      }
      if (w.backlogEvents > KvLimits.watchBacklogEventsMax) w.cancel = { reason: WatchCancelReasons.slow };
      this.#wake(w);
    }
  }

  /** Called by the store after compaction: cancels watchers that fell below it. */
  onCompact(compactRevision: number): void {
    for (const w of [...this.#watchers.values()]) {
      if (w.cancel !== undefined || w.nextRevision >= compactRevision) continue;
      w.cancel = { reason: WatchCancelReasons.compacted, compactRevision };
      if (w.onBatch !== undefined) this.#drain(w);
      else this.#wake(w);
    }
  }

  #create(
    request: WatchRequest,
    onReady: ((id: number) => void) | undefined,
    onBatch: ((b: WatchBatch) => void) | undefined,
  ): Watcher {
    if (typeof request !== 'object' || request === null) throw new InvalidArgumentError('watch request must be an object');
    if (!(request.key instanceof Uint8Array)) throw new InvalidArgumentError('watch.key must be bytes');
    if (request.rangeEnd !== undefined && !(request.rangeEnd instanceof Uint8Array)) {
      throw new InvalidArgumentError('watch.rangeEnd must be bytes');
    }
    if (request.key.length === 0 && (request.rangeEnd === undefined || request.rangeEnd.length === 0)) {
      throw new InvalidArgumentError(`watch.key: ${KvMessages.emptyKey}`);
    }
    for (const [what, bytes] of [['watch.key', request.key], ['watch.rangeEnd', request.rangeEnd]] as const) {
      if (bytes !== undefined && bytes.length > Limits.keyBytesMax) {
        throw new LimitExceededError(`${what} bytes`, bytes.length, Limits.keyBytesMax);
      }
    }
    if (request.filters !== undefined && (typeof request.filters !== 'object' || request.filters === null)) {
      throw new InvalidArgumentError('watch.filters must be an object');
    }
    const start = request.startRevision === undefined ? 0 : checkCount(request.startRevision, 'watch.startRevision');
    if (this.#watchers.size >= KvLimits.watchersMax) {
      throw new LimitExceededError('watchers', this.#watchers.size + 1, KvLimits.watchersMax);
    }
    const current = this.#source.currentRevision;
    const compact = this.#source.compactRevision;
    const w: Watcher = {
      id: this.#nextId++,
      span: keySpan(request.key, request.rangeEnd),
      prevKv: request.prevKv === true,
      noPut: request.filters?.noPut === true,
      noDelete: request.filters?.noDelete === true,
      createdAt: current,
      nextRevision: start === 0 ? current + 1 : start,
      backlogEvents: 0,
      cancel: undefined,
      onReady,
      onBatch,
    };
    if (start !== 0 && start < compact) w.cancel = { reason: WatchCancelReasons.compacted, compactRevision: compact };
    this.#watchers.set(w.id, w);
    return w;
  }

  #pending(w: Watcher): boolean {
    return w.cancel !== undefined || w.nextRevision <= this.#source.currentRevision;
  }

  /** Pull mode: tells the consumer to poll. A throwing callback cancels its watcher. */
  #wake(w: Watcher): void {
    if (w.onReady === undefined) return;
    try {
      w.onReady(w.id);
    } catch (err) {
      w.cancel = { reason: `${WatchCancelReasons.callbackFailed}: ${(err as Error).message}` };
    }
  }

  /** Push mode: hands every pending batch to the consumer. A throwing callback removes it. */
  #drain(w: Watcher): void {
    const onBatch = w.onBatch;
    assert(onBatch !== undefined, 'drain only pushed watchers');
    for (let i = 0; i < Number.MAX_SAFE_INTEGER; i++) {
      const batch = this.poll(w.id);
      if (batch === undefined) return;
      try {
        onBatch(batch);
      } catch {
        this.#watchers.delete(w.id);
        return;
      }
      if (batch.canceled) return;
    }
  }

  #matches(w: Watcher, change: Change): boolean {
    const rec = change.record;
    if (!spanContains(w.span, rec.key)) return false;
    return isTombstone(rec) ? !w.noDelete : !w.noPut;
  }

  #event(w: Watcher, change: Change): WatchEvent | undefined {
    if (!this.#matches(w, change)) return undefined;
    const rec = change.record;
    const deleted = isTombstone(rec);
    const kv = toKeyValue(rec);
    const type = deleted ? 'delete' : 'put';
    if (w.prevKv && change.prev !== undefined) return { type, kv, prevKv: toKeyValue(change.prev) };
    return { type, kv };
  }
}
