import { logIndex } from '../../src/core/ids.js';
import { fromUtf8, utf8 } from '../../src/kv/bytes.js';
import type { KvCommand, KvResult } from '../../src/kv/commands.js';
import { KvStore } from '../../src/kv/store.js';
import type { KeyValue, PutRequest } from '../../src/kv/types.js';

export const b = utf8;
export const str = fromUtf8;

/** Drives a store the way a server would: consecutive log indexes and a settable time. */
export class Driver {
  store: KvStore;
  index = 0;
  nowMs = 1_000_000;

  constructor(store: KvStore = new KvStore()) {
    this.store = store;
    this.index = store.consistentIndex;
  }

  apply(command: KvCommand): KvResult {
    this.index++;
    return this.store.apply(command, { index: logIndex(this.index), nowMs: this.nowMs });
  }

  /** Applies and fails the test unless the result has the expected type. */
  ok<T extends KvResult['type']>(command: KvCommand, type: T): Extract<KvResult, { type: T }> {
    const r = this.apply(command);
    if (r.type !== type) throw new Error(`expected ${type}, got ${JSON.stringify(r, replacer)}`);
    return r as Extract<KvResult, { type: T }>;
  }

  put(key: string, value: string, extra: Omit<PutRequest, 'key' | 'value'> = {}) {
    return this.ok({ type: 'put', request: { key: b(key), value: b(value), ...extra } }, 'put').response;
  }

  del(key: string, rangeEnd?: string, prevKv = false) {
    return this.ok(
      { type: 'deleteRange', request: { key: b(key), ...(rangeEnd !== undefined ? { rangeEnd: b(rangeEnd) } : {}), prevKv } },
      'deleteRange',
    ).response;
  }

  get(key: string, revision = 0): KeyValue | undefined {
    return this.store.range({ key: b(key), revision }).kvs[0];
  }

  grant(ttlSec: number, id = 0): number {
    return this.ok({ type: 'leaseGrant', id, ttlSec }, 'leaseGrant').response.id;
  }

  error(command: KvCommand): { code: string; message: string } {
    const r = this.apply(command);
    if (r.type !== 'error') throw new Error(`expected an error, got ${r.type}`);
    return { code: r.error.code, message: r.error.message };
  }
}

function replacer(_k: string, v: unknown): unknown {
  return v instanceof Uint8Array ? fromUtf8(v) : v;
}

/** Keys of a range as strings. */
export function keysOf(kvs: readonly KeyValue[]): string[] {
  return kvs.map((kv) => str(kv.key));
}
