import type * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { call, clients, type Reply } from './grpc-client.js';
import { type Served, serveMemory } from './serve-memory.js';

const b = (s: string) => Buffer.from(s);

/** A watch stream that collects responses and lets a test wait for them. */
class Stream {
  readonly s: grpc.ClientDuplexStream<unknown, Reply>;
  readonly got: Reply[] = [];
  error: grpc.ServiceError | undefined;
  constructor(client: grpc.Client) {
    this.s = (client as unknown as { Watch(): grpc.ClientDuplexStream<unknown, Reply> }).Watch();
    this.s.on('data', (r: Reply) => this.got.push(r));
    this.s.on('error', (e: grpc.ServiceError) => {
      this.error = e;
    });
  }
  send(req: unknown): void {
    this.s.write(req);
  }
  async until(pred: (got: Reply[]) => boolean, timeoutMs = 3000): Promise<void> {
    const start = Date.now();
    while (!pred(this.got)) {
      if (Date.now() - start > timeoutMs) throw new Error(`timed out: ${JSON.stringify(this.got)}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }
  events(watchId: string): { type: string; key: string; prev?: string }[] {
    return this.got
      .filter((r) => r.watch_id === watchId)
      .flatMap((r) => (r.events as { type: string; kv: { key: Buffer }; prev_kv?: { value: Buffer } }[]) ?? [])
      .map((e) => ({ type: e.type, key: e.kv.key.toString(), ...(e.prev_kv ? { prev: e.prev_kv.value.toString() } : {}) }));
  }
  close(): void {
    this.s.cancel();
  }
}

describe('etcd Watch over raw gRPC (memory backend)', () => {
  let s: Served;
  let c: ReturnType<typeof clients>;

  beforeAll(async () => {
    s = await serveMemory({}, { watch: { progressNotifyIntervalMs: 200 } });
    c = clients(s.endpoint);
  });
  afterAll(async () => {
    c.close();
    await s.stop();
  });

  test('several watches on one stream, with filters, prev_kv and cancel', async () => {
    const w = new Stream(c.Watch);
    try {
      w.send({ create_request: { key: b('a'), range_end: b('b') } });
      w.send({ create_request: { key: b('a1'), filters: ['NOPUT'], prev_kv: true } });
      w.send({ create_request: { key: b('a2'), watch_id: 7 } });
      await w.until((g) => g.filter((r) => r.created).length === 3);
      expect(w.got.filter((r) => r.created).map((r) => r.watch_id)).toEqual(['0', '1', '7']);
      await call(c.KV, 'Put', { key: b('a1'), value: b('x') });
      await call(c.KV, 'DeleteRange', { key: b('a1') });
      await call(c.KV, 'Put', { key: b('a2'), value: b('y') });
      await w.until((g) => g.filter((r) => r.watch_id === '7' && (r.events as unknown[]).length > 0).length === 1);
      expect(w.events('0')).toEqual([
        { type: 'PUT', key: 'a1' },
        { type: 'DELETE', key: 'a1' },
        { type: 'PUT', key: 'a2' },
      ]);
      expect(w.events('1')).toEqual([{ type: 'DELETE', key: 'a1', prev: 'x' }]);
      expect(w.events('7')).toEqual([{ type: 'PUT', key: 'a2' }]);
      w.send({ cancel_request: { watch_id: 0 } });
      await w.until((g) => g.some((r) => r.watch_id === '0' && r.canceled));
      await call(c.KV, 'Put', { key: b('a2'), value: b('z') });
      await w.until((g) => g.filter((r) => r.watch_id === '7' && (r.events as unknown[]).length > 0).length === 2);
      expect(w.events('0')).toHaveLength(3);
      // A duplicate id and an empty range are refused with etcd's reasons.
      w.send({ create_request: { key: b('q'), watch_id: 7 } });
      w.send({ create_request: { key: b('z'), range_end: b('a') } });
      await w.until((g) => g.filter((r) => r.canceled && r.created).length === 2);
      const refused = w.got.filter((r) => r.canceled && r.created).map((r) => r.cancel_reason);
      expect(refused).toEqual(['mvcc: duplicate watch ID provided on the WatchStream', 'mvcc: watcher range is empty']);
    } finally {
      w.close();
    }
  });

  test('progress request and progress_notify report the current revision', async () => {
    const w = new Stream(c.Watch);
    try {
      w.send({ create_request: { key: b('p'), progress_notify: true } });
      await w.until((g) => g.some((r) => r.created));
      w.send({ progress_request: {} });
      await w.until((g) => g.some((r) => r.watch_id === '-1'));
      const progress = w.got.find((r) => r.watch_id === '-1') as Reply;
      expect(progress.header?.['revision']).toBe(String(s.backend.store.revision));
      expect(progress.events).toEqual([]);
      await w.until((g) => g.some((r) => r.watch_id === '0' && !r.created && (r.events as unknown[]).length === 0), 2000);
    } finally {
      w.close();
    }
  });

  test('start_revision replays history; compacted start cancels with compact_revision', async () => {
    const first = Number((await call(c.KV, 'Put', { key: b('h'), value: b('1') })).header?.['revision']);
    await call(c.KV, 'Put', { key: b('h'), value: b('2') });
    const w = new Stream(c.Watch);
    try {
      w.send({ create_request: { key: b('h'), start_revision: first } });
      await w.until((g) => g.filter((r) => r.events && (r.events as unknown[]).length > 0).length >= 1);
      await w.until(() => w.events('0').length === 2);
      await call(c.KV, 'Compact', { revision: first + 1 });
      w.send({ create_request: { key: b('h'), start_revision: first } });
      await w.until((g) => g.some((r) => r.watch_id === '1' && r.canceled));
      const cancelled = w.got.find((r) => r.watch_id === '1' && r.canceled) as Reply;
      expect(cancelled.compact_revision).toBe(String(first + 1));
    } finally {
      w.close();
    }
  });

  test('fragment splits a revision larger than the request limit into several responses', async () => {
    const w = new Stream(c.Watch);
    try {
      const value = Buffer.alloc(600 * 1024, 1);
      for (const i of [0, 1, 2, 3]) await call(c.KV, 'Put', { key: b(`f/${i}`), value });
      // One delete revision whose events (with their 600 KiB prev_kv) exceed 1.5 MiB.
      w.send({ create_request: { key: b('f/'), range_end: b('f0'), fragment: true, prev_kv: true } });
      await w.until((g) => g.some((r) => r.created));
      await call(c.KV, 'DeleteRange', { key: b('f/'), range_end: b('f0') });
      await w.until(() => w.events('0').length === 4);
      const parts = w.got.filter((r) => r.watch_id === '0' && (r.events as unknown[]).length > 0);
      expect(parts.length).toBeGreaterThan(1);
      expect(parts.map((p) => p.fragment)).toEqual([...parts.slice(1).map(() => true), false]);
    } finally {
      w.close();
    }
  });
});

describe('a client that stops reading its watch stream', () => {
  test('its watches are cancelled as too slow instead of buffering without bound', async () => {
    const s = await serveMemory();
    const c = clients(s.endpoint);
    const w = new Stream(c.Watch);
    try {
      w.send({ create_request: { key: b('slow') } });
      await w.until((g) => g.some((r) => r.created));
      w.s.pause();
      const value = Buffer.alloc(1024, 1);
      for (let i = 0; i < 20_000; i++) await s.backend.put({ key: b('slow'), value });
      w.s.resume();
      await w.until((g) => g.some((r) => r.canceled), 10_000);
      const cancelled = w.got.find((r) => r.canceled) as Reply;
      expect(cancelled.cancel_reason).toContain('too slow');
      expect(w.events('0').length).toBeLessThan(20_000);
    } finally {
      w.close();
      c.close();
      await s.stop();
    }
  });
});
