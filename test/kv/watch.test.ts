import { describe, expect, it } from 'vitest';
import { ErrorCodes } from '../../src/core/errors.js';
import { prefixEnd } from '../../src/kv/bytes.js';
import { KvLimits } from '../../src/kv/limits.js';
import type { WatchEvent } from '../../src/kv/types.js';
import { type WatchBatch, WatchCancelReasons } from '../../src/kv/watch-hub.js';
import { b, Driver, str } from './helpers.js';

function summary(events: readonly WatchEvent[]): string[] {
  return events.map((e) => `${e.type}:${str(e.kv.key)}@${e.kv.modRevision}`);
}

function drain(d: Driver, id: number, max?: number): { events: WatchEvent[]; batches: WatchBatch[] } {
  const events: WatchEvent[] = [];
  const batches: WatchBatch[] = [];
  for (let i = 0; i < 10_000; i++) {
    const batch = d.store.watches.poll(id, max);
    if (batch === undefined) break;
    batches.push(batch);
    events.push(...batch.events);
    if (batch.canceled) break;
  }
  return { events, batches };
}

describe('watches', () => {
  it('replays history from the start revision (inclusive) then follows live events, no gaps or duplicates', () => {
    const d = new Driver();
    d.put('a', '1'); // 2
    d.put('b', '1'); // 3
    d.del('a'); // 4
    const id = d.store.watches.watch({ key: b('a'), rangeEnd: b('c'), startRevision: 3 });
    expect(summary(drain(d, id).events)).toEqual(['put:b@3', 'delete:a@4']);
    d.put('a', '2'); // 5
    d.put('zz', '1'); // 6 (outside)
    d.put('b', '2'); // 7
    expect(summary(drain(d, id).events)).toEqual(['put:a@5', 'put:b@7']);
    expect(drain(d, id).events).toEqual([]);
    expect(d.store.watches.isSynced(id)).toBe(true);
  });

  it('start revision 0 means only changes after now', () => {
    const d = new Driver();
    d.put('a', '1');
    const id = d.store.watches.watch({ key: b('a') });
    expect(drain(d, id).events).toEqual([]);
    d.put('a', '2');
    expect(summary(drain(d, id).events)).toEqual(['put:a@3']);
  });

  it('delivers prevKv and applies noPut / noDelete filters', () => {
    const d = new Driver();
    const withPrev = d.store.watches.watch({ key: b('k'), prevKv: true });
    const noPut = d.store.watches.watch({ key: b('k'), filters: { noPut: true } });
    const noDelete = d.store.watches.watch({ key: b('k'), filters: { noDelete: true } });
    d.put('k', 'v1');
    d.put('k', 'v2');
    d.del('k');
    const events = drain(d, withPrev).events;
    expect(summary(events)).toEqual(['put:k@2', 'put:k@3', 'delete:k@4']);
    expect(events[0]!.prevKv).toBeUndefined();
    expect(str(events[1]!.prevKv!.value)).toBe('v1');
    expect(str(events[2]!.prevKv!.value)).toBe('v2');
    expect(events[2]!.kv).toMatchObject({ version: 0, createRevision: 0, modRevision: 4 });
    expect(summary(drain(d, noPut).events)).toEqual(['delete:k@4']);
    expect(summary(drain(d, noDelete).events)).toEqual(['put:k@2', 'put:k@3']);
  });

  it('a start revision below the compacted revision is cancelled with compactRevision', () => {
    const d = new Driver();
    for (let i = 0; i < 5; i++) d.put('a', `${i}`); // 2..6
    d.ok({ type: 'compact', revision: 4 }, 'compact');
    const id = d.store.watches.watch({ key: b('a'), startRevision: 3 });
    const batch = d.store.watches.poll(id);
    expect(batch).toMatchObject({ canceled: true, compactRevision: 4, cancelReason: WatchCancelReasons.compacted });
    expect(d.store.watches.poll(id)).toBeUndefined();
    // Restarting from the compacted revision itself loses nothing.
    const again = d.store.watches.watch({ key: b('a'), startRevision: 4 });
    expect(summary(drain(d, again).events)).toEqual(['put:a@4', 'put:a@5', 'put:a@6']);
  });

  it('compaction overtaking an unread watcher cancels it', () => {
    const d = new Driver();
    const id = d.store.watches.watch({ key: b('a'), startRevision: 1 });
    d.put('a', '1');
    d.put('a', '2');
    d.put('a', '3');
    d.ok({ type: 'compact', revision: 3 }, 'compact');
    expect(d.store.watches.poll(id)).toMatchObject({ canceled: true, compactRevision: 3 });
  });

  it('a resumed watch (from last seen revision + 1) misses nothing', () => {
    const d = new Driver();
    const first = d.store.watches.watch({ key: b('k/'), rangeEnd: prefixEnd(b('k/')) });
    const seen: string[] = [];
    for (let i = 0; i < 30; i++) {
      d.put(`k/${i % 4}`, `${i}`);
      if (i === 12) {
        const got = drain(d, first).events;
        seen.push(...summary(got));
        d.store.watches.cancel(first);
      }
    }
    const last = Number(seen[seen.length - 1]!.split('@')[1]);
    const resumed = d.store.watches.watch({ key: b('k/'), rangeEnd: prefixEnd(b('k/')), startRevision: last + 1 });
    seen.push(...summary(drain(d, resumed).events));
    expect(seen).toHaveLength(30);
    expect(seen.map((s) => Number(s.split('@')[1]))).toEqual(Array.from({ length: 30 }, (_, i) => i + 2));
  });

  it('batches keep whole revisions and respect the batch size', () => {
    const d = new Driver();
    const id = d.store.watches.watch({ key: b('a'), rangeEnd: b('z'), startRevision: 1 });
    d.ok({ type: 'txn', request: { success: ['a', 'b', 'c'].map((k) => ({ type: 'put', request: { key: b(k), value: b('1') } })) } }, 'txn');
    d.put('d', '1');
    const { batches } = drain(d, id, 2);
    expect(batches.map((x) => x.events.length)).toEqual([3, 1]);
  });

  it('push subscribers get history and live batches synchronously', () => {
    const d = new Driver();
    d.put('a', '1');
    const got: WatchBatch[] = [];
    d.store.watches.subscribe({ key: b('a'), startRevision: 2 }, (batch) => got.push(batch));
    expect(got).toHaveLength(1);
    d.put('a', '2');
    expect(got.flatMap((x) => summary(x.events))).toEqual(['put:a@2', 'put:a@3']);
    expect(got[1]!.revision).toBe(3);
  });

  it('pull watchers are woken when events arrive', () => {
    const d = new Driver();
    const woken: number[] = [];
    const id = d.store.watches.watch({ key: b('a') }, (w) => woken.push(w));
    d.put('b', '1');
    expect(woken).toEqual([]); // nothing for it
    d.put('a', '1');
    expect(woken).toEqual([id]);
    expect(summary(drain(d, id).events)).toEqual(['put:a@3']);
  });

  it(`cancels a slow watcher past ${KvLimits.watchBacklogEventsMax} unread live events`, () => {
    const d = new Driver();
    const slow = d.store.watches.watch({ key: b('k'), rangeEnd: new Uint8Array([0]) });
    const fast = d.store.watches.watch({ key: b('k'), rangeEnd: new Uint8Array([0]) });
    const perTxn = KvLimits.txnOpsMax;
    const txns = Math.ceil((KvLimits.watchBacklogEventsMax + 1) / perTxn);
    for (let t = 0; t < txns; t++) {
      const ops = Array.from({ length: perTxn }, (_, i) => ({ type: 'put' as const, request: { key: b(`k${i}`), value: b('v') } }));
      d.ok({ type: 'txn', request: { success: ops } }, 'txn');
      if (t % 50 === 0) drain(d, fast);
    }
    drain(d, fast);
    const batch = d.store.watches.poll(slow);
    expect(batch).toMatchObject({ canceled: true, cancelReason: WatchCancelReasons.slow });
    expect(d.store.watches.isSynced(fast)).toBe(true);
  });

  it('validates watch requests', () => {
    const d = new Driver();
    expect(() => d.store.watches.watch({ key: new Uint8Array(0) })).toThrow(/key/);
    try {
      d.store.watches.watch({ key: b('a'), startRevision: -1 });
      expect.unreachable();
    } catch (err) {
      expect((err as { code: string }).code).toBe(ErrorCodes.INVALID_ARGUMENT);
    }
  });
});

describe('watch progress and callback failures', () => {
  it('progress is reported only for synced watchers, at the current revision', () => {
    const d = new Driver();
    d.put('a', '1');
    const id = d.store.watches.watch({ key: b('a'), startRevision: 1 });
    expect(d.store.watches.progress(id)).toBeUndefined();
    d.store.watches.poll(id);
    expect(d.store.watches.progress(id)).toMatchObject({ events: [], revision: 2, canceled: false });
    d.put('zz', '1'); // not watched: the watcher stays synced
    expect(d.store.watches.progress(id)).toMatchObject({ revision: 3 });
    d.put('a', '2');
    expect(d.store.watches.progress(id)).toBeUndefined();
    expect(d.store.watches.poll(id)?.events).toHaveLength(1);
    expect(d.store.watches.progress(id)).toMatchObject({ revision: 4 });
  });

  it('a throwing callback loses its watcher but never breaks apply', () => {
    const d = new Driver();
    const pushed = d.store.watches.subscribe({ key: b('a') }, () => {
      throw new Error('boom');
    });
    const pulled = d.store.watches.watch({ key: b('a') }, () => {
      throw new Error('bang');
    });
    expect(d.put('a', '1').revision).toBe(2);
    expect(d.store.watches.ids()).not.toContain(pushed);
    expect(d.store.watches.poll(pulled)).toMatchObject({ canceled: true, cancelReason: `${WatchCancelReasons.callbackFailed}: bang` });
    expect(d.store.watches.size).toBe(0);
  });
});
