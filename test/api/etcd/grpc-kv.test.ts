import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { MemoryEtcdBackend } from '../../../src/api/etcd/memory-backend.js';
import { EtcdGrpcServer } from '../../../src/api/etcd/server.js';
import type { NodeStatus } from '../../../src/server/service.js';
import { call, callRaw, clients, type Reply } from './grpc-client.js';
import { type Served, serveMemory } from './serve-memory.js';

const b = (s: string) => Buffer.from(s);

describe('etcd KV and Lease over raw gRPC (memory backend)', () => {
  let s: Served;
  let c: ReturnType<typeof clients>;

  beforeAll(async () => {
    s = await serveMemory();
    c = clients(s.endpoint);
    for (let i = 1; i <= 5; i++) await call(c.KV, 'Put', { key: b(`k${i}`), value: b(`v${6 - i}`) });
    await call(c.KV, 'Put', { key: b('k2'), value: b('v4b') });
  });
  afterAll(async () => {
    c.close();
    await s.stop();
  });

  test('every response header carries cluster_id, member_id, revision and raft_term', async () => {
    const st = s.backend.status();
    const r = await call(c.KV, 'Range', { key: b('k1') });
    expect(r.header).toEqual({
      cluster_id: BigInt(`0x${st.clusterId}`).toString(),
      member_id: BigInt(`0x${st.memberId}`).toString(),
      revision: String(s.backend.store.revision),
      raft_term: '1',
    });
  });

  test('range: count_only, keys_only, limit/more, sort, min/max mod and create revision', async () => {
    const all = { key: b('k'), range_end: b('l') };
    const count = await call(c.KV, 'Range', { ...all, count_only: true });
    expect(count.count).toBe('5');
    expect(count.kvs).toEqual([]);
    const keys = await call(c.KV, 'Range', { ...all, keys_only: true, limit: 2 });
    expect((keys.kvs as { key: Buffer; value: Buffer }[]).map((kv) => [kv.key.toString(), kv.value.length])).toEqual([
      ['k1', 0],
      ['k2', 0],
    ]);
    expect(keys.more).toBe(true);
    const byValue = await call(c.KV, 'Range', { ...all, sort_target: 'VALUE', sort_order: 'DESCEND' });
    expect((byValue.kvs as { key: Buffer }[]).map((kv) => kv.key.toString())).toEqual(['k1', 'k2', 'k3', 'k4', 'k5']);
    const byMod = await call(c.KV, 'Range', { ...all, sort_target: 'MOD', sort_order: 'NONE' });
    expect((byMod.kvs as { key: Buffer }[]).map((kv) => kv.key.toString())).toEqual(['k1', 'k3', 'k4', 'k5', 'k2']);
    const k2 = (await call(c.KV, 'Range', { key: b('k2') })).kvs as { mod_revision: string; create_revision: string }[];
    const mod = Number(k2[0]?.mod_revision);
    const minMod = await call(c.KV, 'Range', { ...all, min_mod_revision: mod });
    expect((minMod.kvs as { key: Buffer }[]).map((kv) => kv.key.toString())).toEqual(['k2']);
    const maxCreate = await call(c.KV, 'Range', { ...all, max_create_revision: Number(k2[0]?.create_revision) });
    expect((maxCreate.kvs as { key: Buffer }[]).map((kv) => kv.key.toString())).toEqual(['k1', 'k2']);
    const fromKey = await call(c.KV, 'Range', { key: b('k4'), range_end: Buffer.from([0]) });
    expect((fromKey.kvs as { key: Buffer }[]).map((kv) => kv.key.toString())).toEqual(['k4', 'k5']);
    const serial = await call(c.KV, 'Range', { key: b('k1'), serializable: true });
    expect(serial.count).toBe('1');
  });

  test('txn: compare on a range (range_end), nested request_txn, response headers', async () => {
    const r = await call(c.KV, 'Txn', {
      compare: [{ key: b('k'), range_end: b('l'), target: 'VERSION', result: 'GREATER', version: 0 }],
      success: [
        { request_put: { key: b('t1'), value: b('x') } },
        {
          request_txn: {
            compare: [{ key: b('k2'), target: 'VALUE', result: 'EQUAL', value: b('v4b') }],
            success: [{ request_range: { key: b('t1') } }],
            failure: [{ request_put: { key: b('t2'), value: b('no') } }],
          },
        },
      ],
    });
    expect(r.succeeded).toBe(true);
    const responses = r.responses as Record<string, Reply>[];
    expect(responses[0]?.['response_put']).toBeDefined();
    const nested = responses[1]?.['response_txn'] as Reply;
    expect(nested.succeeded).toBe(true);
    const inner = (nested.responses as Record<string, Reply>[])[0]?.['response_range'] as Reply;
    expect((inner.kvs as { value: Buffer }[])[0]?.value.toString()).toBe('x');
    expect(inner.header?.['revision']).toBe(r.header?.['revision']);
    const fail = await call(c.KV, 'Txn', {
      compare: [{ key: b('k'), range_end: b('l'), target: 'CREATE', result: 'LESS', create_revision: 2 }],
      success: [{ request_put: { key: b('never'), value: b('x') } }],
    });
    expect(fail.succeeded).toBe(false);
    expect((await call(c.KV, 'Range', { key: b('never') })).count).toBe('0');
  });

  test('txn duplicate-key rules: put twice or put inside a deleted range fail; exclusive nested branches pass', async () => {
    const dup = (success: unknown[]) => call(c.KV, 'Txn', { success });
    await expect(dup([{ request_put: { key: b('a') } }, { request_put: { key: b('a') } }])).rejects.toMatchObject({
      code: grpc.status.INVALID_ARGUMENT,
      details: 'etcdserver: duplicate key given in txn request',
    });
    await expect(dup([{ request_delete_range: { key: b('a'), range_end: b('b') } }, { request_put: { key: b('ab') } }])).rejects.toMatchObject({
      details: 'etcdserver: duplicate key given in txn request',
    });
    const ok = await dup([{ request_txn: { success: [{ request_put: { key: b('z') } }], failure: [{ request_put: { key: b('z') } }] } }]);
    expect(ok.succeeded).toBe(true);
    const tooMany = Array.from({ length: 129 }, (_, i) => ({ request_put: { key: b(`m${i}`) } }));
    await expect(dup(tooMany)).rejects.toMatchObject({ code: grpc.status.INVALID_ARGUMENT, details: 'etcdserver: too many operations in txn request' });
  });

  test('put ignore_value / ignore_lease with a value or lease: etcd errors', async () => {
    await expect(call(c.KV, 'Put', { key: b('k1'), value: b('x'), ignore_value: true })).rejects.toMatchObject({
      details: 'etcdserver: value is provided',
    });
    await expect(call(c.KV, 'Put', { key: b('k1'), lease: 5, ignore_lease: true })).rejects.toMatchObject({
      details: 'etcdserver: lease is provided',
    });
    const kept = await call(c.KV, 'Put', { key: b('k1'), ignore_value: true, prev_kv: true });
    expect((kept.prev_kv as { value: Buffer }).value.toString()).toBe('v5');
    expect(((await call(c.KV, 'Range', { key: b('k1') })).kvs as { value: Buffer }[])[0]?.value.toString()).toBe('v5');
  });

  test('malformed protobuf bytes: INTERNAL from gRPC, nothing changed, server still serves', async () => {
    const rev = s.backend.store.revision;
    for (const garbage of [Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f]), Buffer.from([0xff, 0xff, 0xff]), Buffer.from('not protobuf at all')]) {
      await expect(callRaw(c.KV, '/etcdserverpb.KV/Put', garbage)).rejects.toMatchObject({ code: grpc.status.INTERNAL });
      await expect(callRaw(c.KV, '/etcdserverpb.KV/Txn', garbage)).rejects.toMatchObject({ code: grpc.status.INTERNAL });
    }
    expect(s.backend.store.revision).toBe(rev);
    expect((await call(c.KV, 'Range', { key: b('k1') })).count).toBe('1');
  });

  test('oversized requests: "request is too large" past 1.5 MiB, gRPC RESOURCE_EXHAUSTED past 2 MiB', async () => {
    const rev = s.backend.store.revision;
    await expect(call(c.KV, 'Put', { key: b('big'), value: Buffer.alloc(1.6 * 1024 * 1024) })).rejects.toMatchObject({
      code: grpc.status.INVALID_ARGUMENT,
      details: 'etcdserver: request is too large',
    });
    await expect(call(c.KV, 'Put', { key: b('big'), value: Buffer.alloc(3 * 1024 * 1024) })).rejects.toMatchObject({
      code: grpc.status.RESOURCE_EXHAUSTED,
    });
    expect(s.backend.store.revision).toBe(rev);
    const fits = await call(c.KV, 'Put', { key: b('big'), value: Buffer.alloc(1024 * 1024) });
    expect(Number(fits.header?.['revision'])).toBe(rev + 1);
  });

  test('empty key and negative/huge int64 fields', async () => {
    await expect(call(c.KV, 'Range', { key: b('') })).rejects.toMatchObject({ details: 'etcdserver: key is not provided' });
    await expect(call(c.KV, 'DeleteRange', { key: b('') })).rejects.toMatchObject({ details: 'etcdserver: key is not provided' });
    const neg = await call(c.KV, 'Range', { key: b('k1'), revision: '-5', limit: '-1' });
    expect(neg.count).toBe('1');
    await expect(call(c.KV, 'Range', { key: b('k1'), revision: '9223372036854775807' })).rejects.toMatchObject({
      code: grpc.status.OUT_OF_RANGE,
      details: 'etcdserver: mvcc: required revision is a future revision',
    });
  });

  test('lease ids: granted with a chosen id, 64-bit ids refused on grant and unknown elsewhere', async () => {
    const g = await call(c.Lease, 'LeaseGrant', { TTL: 60, ID: 424242 });
    expect(g.ID).toBe('424242');
    expect(g.TTL).toBe('60');
    await expect(call(c.Lease, 'LeaseGrant', { TTL: 60, ID: 424242 })).rejects.toMatchObject({
      code: grpc.status.FAILED_PRECONDITION,
      details: 'etcdserver: lease already exists',
    });
    await expect(call(c.Lease, 'LeaseGrant', { TTL: 60, ID: '9223372036854775807' })).rejects.toMatchObject({ code: grpc.status.INVALID_ARGUMENT });
    await expect(call(c.Lease, 'LeaseGrant', { TTL: '9000000001' })).rejects.toMatchObject({ details: 'etcdserver: too large lease TTL' });
    const ttl = await call(c.Lease, 'LeaseTimeToLive', { ID: '9223372036854775807' });
    expect(ttl.TTL).toBe('-1');
    expect(ttl.ID).toBe('9223372036854775807');
    await expect(call(c.Lease, 'LeaseRevoke', { ID: '9007199254740993' })).rejects.toMatchObject({
      code: grpc.status.NOT_FOUND,
      details: 'etcdserver: requested lease not found',
    });
    const list = await call(c.Lease, 'LeaseLeases', {});
    expect((list.leases as { ID: string }[]).map((l) => l.ID)).toContain('424242');
  });

  test('keep-alive stream answers in order; unknown ids get TTL 0', async () => {
    const g = await call(c.Lease, 'LeaseGrant', { TTL: 30 });
    const stream = (c.Lease as unknown as { LeaseKeepAlive(): grpc.ClientDuplexStream<unknown, Reply> }).LeaseKeepAlive();
    const got: Reply[] = [];
    const done = new Promise<void>((resolve) => {
      stream.on('data', (r: Reply) => {
        got.push(r);
        if (got.length === 3) resolve();
      });
    });
    stream.write({ ID: g.ID });
    stream.write({ ID: 999999 });
    stream.write({ ID: g.ID });
    await done;
    stream.end();
    expect(got.map((r) => [r.ID, r.TTL])).toEqual([
      [g.ID, '30'],
      ['999999', '0'],
      [g.ID, '30'],
    ]);
  });

  test('compact: future revision and compacted revision errors', async () => {
    const rev = s.backend.store.revision;
    await expect(call(c.KV, 'Compact', { revision: rev + 10 })).rejects.toMatchObject({
      details: 'etcdserver: mvcc: required revision is a future revision',
    });
    await call(c.KV, 'Compact', { revision: rev, physical: true });
    await expect(call(c.KV, 'Compact', { revision: rev })).rejects.toMatchObject({
      code: grpc.status.OUT_OF_RANGE,
      details: 'etcdserver: mvcc: required revision has been compacted',
    });
    const hk = await call(c.Maintenance, 'HashKV', { revision: 0 });
    expect(hk.compact_revision).toBe(String(rev));
  });
});

describe('the hasleader metadata on unary calls', () => {
  test('a call that requires a leader fails with "etcdserver: no leader" (UNAVAILABLE) when there is none', async () => {
    class Leaderless extends MemoryEtcdBackend {
      override status(): NodeStatus {
        return { ...super.status(), leader: '' };
      }
    }
    const backend = new Leaderless();
    const server = await EtcdGrpcServer.start({ backend, listenUrls: ['http://127.0.0.1:0'] });
    const c = clients(server.addresses[0] as string);
    try {
      const md = new grpc.Metadata();
      md.set('hasleader', 'true');
      await expect(call(c.KV, 'Put', { key: b('x'), value: b('y') }, md)).rejects.toMatchObject({
        code: grpc.status.UNAVAILABLE,
        details: 'etcdserver: no leader',
      });
      expect(backend.store.revision).toBe(1);
      // Without the metadata the call is served (serializable reads need no leader).
      expect((await call(c.KV, 'Range', { key: b('x'), serializable: true })).count).toBe('0');
    } finally {
      c.close();
      await server.stop(100);
      backend.close();
    }
  });
});

describe('unexpected failures', () => {
  test('a bug in the backend: the client sees INTERNAL "etcdserver: internal error", the reporter the cause', async () => {
    class Buggy extends MemoryEtcdBackend {
      override async range(): Promise<never> {
        throw new TypeError('boom: secret detail');
      }
    }
    const backend = new Buggy();
    const reported: [string, unknown][] = [];
    const server = await EtcdGrpcServer.start({
      backend,
      listenUrls: ['http://127.0.0.1:0'],
      onInternalError: (method, err) => reported.push([method, err]),
    });
    const c = clients(server.addresses[0] as string);
    try {
      await expect(call(c.KV, 'Range', { key: b('x') })).rejects.toMatchObject({ code: grpc.status.INTERNAL, details: 'etcdserver: internal error' });
      expect(reported).toHaveLength(1);
      expect(reported[0]?.[0]).toBe('Range');
      expect(String(reported[0]?.[1])).toContain('boom');
      // Expected refusals are not reported.
      await expect(call(c.KV, 'Put', { key: b('') })).rejects.toMatchObject({ code: grpc.status.INVALID_ARGUMENT });
      expect(reported).toHaveLength(1);
    } finally {
      c.close();
      await server.stop(100);
      backend.close();
    }
  });
});

describe('onRequest (SLIs)', () => {
  test('every answered KV and Lease call is reported with its error and latency; maintenance is not', async () => {
    const backend = new MemoryEtcdBackend();
    const seen: { method: string; error: unknown; latencyMs: number }[] = [];
    const server = await EtcdGrpcServer.start({ backend, listenUrls: ['http://127.0.0.1:0'], onRequest: (r) => seen.push(r) });
    const c = clients(server.addresses[0] as string);
    try {
      await call(c.KV, 'Put', { key: b('a'), value: b('1') });
      await expect(call(c.KV, 'Range', { key: b('a'), revision: 99 })).rejects.toMatchObject({ code: grpc.status.OUT_OF_RANGE });
      await call(c.Lease, 'LeaseGrant', { TTL: 5 });
      await call(c.Maintenance, 'Status', {});
      expect(seen.map((r) => [r.method, r.error === undefined])).toEqual([
        ['etcd.Put', true],
        ['etcd.Range', false],
        ['etcd.LeaseGrant', true],
      ]);
      expect((seen[1]?.error as { code?: string } | undefined)?.code).toBe('NINES_ERR_FUTURE_REVISION');
      for (const r of seen) expect(r.latencyMs).toBeGreaterThanOrEqual(0);
    } finally {
      c.close();
      await server.stop(100);
      backend.close();
    }
  });
});
