import type { KvStore } from '../kv/store.js';
import type { WatchBatch, WatchRequest as HubRequest } from '../kv/watch-hub.js';
import type { WatchHandle, WatchRequest, WatchSink } from './service.js';

interface Subscription {
  readonly request: WatchRequest;
  readonly sink: WatchSink;
  /** Next revision this subscription has not delivered yet. */
  nextRevision: number;
  hubId: number;
  done: boolean;
}

/**
 * Client watches over the node's current KvStore. When a snapshot from the leader replaces
 * the store, `rebind` moves every watch to the new store, resuming at the first revision it
 * has not delivered (the snapshot carries history), so a watch misses nothing across it.
 */
export class WatchRelay {
  readonly #store: () => KvStore;
  readonly #subs = new Set<Subscription>();

  constructor(store: () => KvStore) {
    this.#store = store;
  }

  get size(): number {
    return this.#subs.size;
  }

  add(request: WatchRequest, sink: WatchSink): WatchHandle {
    const kv = this.#store();
    const sub: Subscription = {
      request,
      sink,
      nextRevision: request.startRevision > 0 ? request.startRevision : kv.revision + 1,
      hubId: 0,
      done: false,
    };
    this.#subs.add(sub);
    sink.created(kv.revision);
    this.#subscribe(sub, kv);
    return {
      cancel: () => {
        if (sub.done) return;
        sub.done = true;
        this.#subs.delete(sub);
        this.#store().watches.cancel(sub.hubId);
      },
    };
  }

  #subscribe(sub: Subscription, kv: KvStore): void {
    const r = sub.request;
    const req: HubRequest = {
      key: r.key,
      ...(r.rangeEnd !== undefined ? { rangeEnd: r.rangeEnd } : {}),
      startRevision: sub.nextRevision,
      prevKv: r.prevKv,
      filters: { noPut: r.noPut, noDelete: r.noDelete },
    };
    sub.hubId = kv.watches.subscribe(req, (batch) => this.#deliver(sub, batch));
  }

  #deliver(sub: Subscription, batch: WatchBatch): void {
    if (sub.done) return;
    if (batch.canceled) {
      sub.done = true;
      this.#subs.delete(sub);
      sub.sink.cancelled(batch.cancelReason ?? 'cancelled', batch.compactRevision ?? 0);
      return;
    }
    if (batch.events.length > 0) sub.sink.events(batch.events);
    sub.nextRevision = Math.max(sub.nextRevision, batch.revision + 1);
  }

  /** The store was replaced: follow the new one from where each watch stopped. */
  rebind(): void {
    const kv = this.#store();
    for (const sub of [...this.#subs]) if (!sub.done) this.#subscribe(sub, kv);
  }

  cancelAll(reason: string): void {
    for (const sub of [...this.#subs]) {
      sub.done = true;
      this.#store().watches.cancel(sub.hubId);
      sub.sink.cancelled(reason, 0);
    }
    this.#subs.clear();
  }
}
