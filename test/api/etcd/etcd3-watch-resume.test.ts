import type { Etcd3, Watcher } from 'etcd3';
import { afterEach, describe, expect, test } from 'vitest';
import { MemoryEtcdBackend } from '../../../src/api/etcd/memory-backend.js';
import { EtcdGrpcServer } from '../../../src/api/etcd/server.js';
import { etcd3Client, recordEvents, type SeenEvent, waitFor, within } from './etcd3-helpers.js';

const enc = (s: string): Uint8Array => Buffer.from(s);

/** Servers and clients a test made, shut down after it whatever happens. */
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function serve(backend: MemoryEtcdBackend, port = 0): Promise<{ server: EtcdGrpcServer; port: number }> {
  const server = await EtcdGrpcServer.start({ backend, listenUrls: [`http://127.0.0.1:${port}`] });
  const bound = Number((server.addresses[0] as string).split(':').pop());
  return { server, port: bound };
}

function expectExactlyOnceInOrder(seen: readonly SeenEvent[], values: readonly string[]): void {
  expect(seen.map((e) => e.value)).toEqual(values);
  for (let i = 1; i < seen.length; i++) expect(seen[i]!.modRevision).toBeGreaterThan(seen[i - 1]!.modRevision);
}

function connectionLog(w: Watcher): { disconnects: number; connects: number } {
  const log = { disconnects: 0, connects: 0 };
  w.on('disconnected', () => log.disconnects++);
  w.on('connected', () => log.connects++);
  return log;
}

describe('etcd3 watch resumes after the connection drops (nines, memory backend)', () => {
  test('server stopped, writes while down, restarted on the same port: every event once, in order', async () => {
    const backend = new MemoryEtcdBackend();
    cleanups.push(() => backend.close());
    let { server, port } = await serve(backend);
    cleanups.push(() => server.stop(100));
    const client: Etcd3 = etcd3Client(`127.0.0.1:${port}`);
    cleanups.push(() => client.close());
    const w = await client.watch().prefix('r/').withPreviousKV().create();
    const log = connectionLog(w);
    const seen = recordEvents(w);
    const expected: string[] = [];
    const write = async (n: number, via: 'client' | 'backend') => {
      for (let i = 0; i < n; i++) {
        const value = `v${expected.length}`;
        expected.push(value);
        if (via === 'client') await client.put(`r/${expected.length % 3}`).value(value);
        else await backend.put({ key: enc(`r/${expected.length % 3}`), value: enc(value) });
      }
    };
    await write(5, 'client');
    await waitFor('the first 5 events', () => seen.length >= 5);
    for (let round = 0; round < 2; round++) {
      await server.stop(100);
      await waitFor('the watcher to notice the drop', () => log.disconnects > round);
      await write(5, 'backend');
      await backend.deleteRange({ key: enc('r/0') });
      expected.push('');
      ({ server } = await serve(backend, port));
      await waitFor(`${expected.length} events after restart ${round + 1}`, () => seen.length >= expected.length);
      await write(3, 'client');
      await waitFor(`${expected.length} events`, () => seen.length >= expected.length);
    }
    expectExactlyOnceInOrder(seen, expected);
    // prevKv survives the resume: every put after the first round trip of a key names its predecessor.
    const lastByKey = new Map<string, string>();
    for (const e of seen) {
      const prev = lastByKey.get(e.key);
      if (prev !== undefined && prev !== '') expect(e.prevValue).toBe(prev);
      lastByKey.set(e.key, e.value);
    }
    // etcd3 reports each failed reconnect attempt as another disconnect.
    expect(log.disconnects).toBeGreaterThanOrEqual(2);
    expect(log.connects).toBeGreaterThanOrEqual(2);
    await w.cancel();
  });

  test('history compacted while disconnected: the resumed watcher is told, not silently skipped', async () => {
    const backend = new MemoryEtcdBackend();
    cleanups.push(() => backend.close());
    let { server, port } = await serve(backend);
    cleanups.push(() => server.stop(100));
    const client: Etcd3 = etcd3Client(`127.0.0.1:${port}`);
    cleanups.push(() => client.close());
    const w = await client.watch().key('c/k').create();
    const log = connectionLog(w);
    const seen = recordEvents(w);
    await client.put('c/k').value('before');
    await waitFor('the first event', () => seen.length >= 1);
    await server.stop(100);
    await waitFor('the watcher to notice the drop', () => log.disconnects >= 1);
    await backend.put({ key: enc('c/k'), value: enc('missed') });
    const r = await backend.put({ key: enc('c/k'), value: enc('latest') });
    await backend.compact(r.revision);
    const errored = new Promise<Error>((resolve) => w.once('error', resolve));
    ({ server } = await serve(backend, port));
    const err = await within('the compacted watch to be cancelled', errored);
    // etcd 3.4 cancels with an empty reason and compact_revision set; etcd3 reports this.
    expect(err.message).toBe('Watcher canceled: ');
    expect(seen.map((e) => e.value)).toEqual(['before']);
  });

  test('two servers on one backend, stopped in turn: the watch moves between them without loss or duplicates', async () => {
    const backend = new MemoryEtcdBackend();
    cleanups.push(() => backend.close());
    const servers = [await serve(backend), await serve(backend)];
    cleanups.push(async () => {
      for (const s of servers) await s.server.stop(100);
    });
    const hosts = servers.map((s) => `127.0.0.1:${s.port}`);
    const watcherClient = etcd3Client(hosts);
    const writer = etcd3Client(hosts, { retries: 10 });
    cleanups.push(() => {
      watcherClient.close();
      writer.close();
    });
    const w = await watcherClient.watch().prefix('m/').create();
    const log = connectionLog(w);
    const seen = recordEvents(w);
    const expected: string[] = [];
    const write = async (n: number) => {
      for (let i = 0; i < n; i++) {
        const value = `m${expected.length}`;
        expected.push(value);
        await writer.put(`m/${expected.length % 4}`).value(value);
      }
    };
    await write(4);
    for (let round = 0; round < 4; round++) {
      const i = round % 2;
      const victim = servers[i]!;
      await victim.server.stop(100);
      // While one server is down the other serves both the writer and (maybe) the watch.
      await write(4);
      servers[i] = await serve(backend, victim.port);
      await write(2);
      await waitFor(`${expected.length} events after round ${round + 1}`, () => seen.length >= expected.length);
    }
    expectExactlyOnceInOrder(seen, expected);
    // Both servers were stopped in turn, so the watch stream was cut at least once.
    expect(log.disconnects).toBeGreaterThanOrEqual(1);
    await w.cancel();
  });
});
