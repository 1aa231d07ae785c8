import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readSse, type WatchEventJson } from '../../src/server/client.js';
import { http, retrying, sleep, TestCluster } from './harness.js';

/**
 * One real 3-member cluster (processes on 127.0.0.1), exercised through the HTTP API:
 * reads and writes through any member, input validation, leases, watches, then a leader
 * killed with SIGKILL and restarted.
 */
describe('a 3-member cluster over HTTP', () => {
  let c: TestCluster;

  beforeAll(async () => {
    c = await TestCluster.create({ nodes: 3 });
    await c.startAll();
    await c.waitLeader();
  }, 60_000);

  afterAll(async () => {
    await c?.cleanup();
  });

  const url = (i: number, path: string): string => `${c.members[i]!.httpUrl}${path}`;

  it('writes through any member and reads the value back from every member', async () => {
    for (let i = 0; i < 3; i++) {
      const put = await retrying(() => http(url(i, `/v1/kv/any-${i}`), 'PUT', JSON.stringify({ value: `from-${i}` })));
      expect(put.status).toBe(200);
      expect(put.json['revision']).toBeGreaterThan(1);
    }
    for (let reader = 0; reader < 3; reader++) {
      for (let writer = 0; writer < 3; writer++) {
        const get = await http(url(reader, `/v1/kv/any-${writer}`));
        expect(get.status).toBe(200);
        expect(get.json['value']).toBe(`from-${writer}`);
        expect(get.json['version']).toBe(1);
      }
    }
    const missing = await http(url(1, '/v1/kv/never-written'));
    expect(missing.status).toBe(404);
    expect(missing.json['code']).toBe('NINES_ERR_NOT_FOUND');
  });

  it('answers bad requests with 4xx and a stable code, and changes nothing', async () => {
    const before = (await c.status(0))!.revision;
    const cases: { path: string; method: string; body?: string | Buffer; status: number; code: string }[] = [
      { path: '/v1/kv/bad', method: 'PUT', body: '{"value": ', status: 400, code: 'NINES_ERR_INVALID_ARGUMENT' },
      { path: '/v1/kv/bad', method: 'PUT', body: '[1,2]', status: 400, code: 'NINES_ERR_INVALID_ARGUMENT' },
      { path: '/v1/kv/bad', method: 'PUT', body: '{"value": 5}', status: 400, code: 'NINES_ERR_INVALID_ARGUMENT' },
      { path: '/v1/kv/bad', method: 'PUT', body: '{"vaule": "typo"}', status: 400, code: 'NINES_ERR_INVALID_ARGUMENT' },
      { path: '/v1/kv/bad', method: 'PUT', body: JSON.stringify({ value: 'x'.repeat(1.5 * 1024 * 1024 + 1) }), status: 413, code: 'NINES_ERR_LIMIT_EXCEEDED' },
      { path: '/v1/kv/bad', method: 'PUT', body: Buffer.alloc(3 * 1024 * 1024, 32), status: 413, code: 'NINES_ERR_LIMIT_EXCEEDED' },
      { path: '/v1/kv/range', method: 'POST', body: JSON.stringify({ key: 'k'.repeat(70_000) }), status: 413, code: 'NINES_ERR_LIMIT_EXCEEDED' },
      { path: '/v1/txn', method: 'POST', body: JSON.stringify({ success: [{ put: { key: 'k'.repeat(70_000), value: 'v' } }] }), status: 413, code: 'NINES_ERR_LIMIT_EXCEEDED' },
      { path: '/v1/nothing-here', method: 'GET', status: 404, code: 'NINES_ERR_NOT_FOUND' },
      { path: '/v1/kv/bad', method: 'POST', body: '{}', status: 405, code: 'NINES_ERR_INVALID_ARGUMENT' },
      { path: '/v1/kv/any-0?revision=99999999', method: 'GET', status: 400, code: 'NINES_ERR_FUTURE_REVISION' },
      { path: '/v1/kv/any-0?revision=-1', method: 'GET', status: 400, code: 'NINES_ERR_INVALID_ARGUMENT' },
      { path: '/v1/kv/any-0?revision=abc', method: 'GET', status: 400, code: 'NINES_ERR_INVALID_ARGUMENT' },
      { path: '/v1/kv/range', method: 'POST', body: '{"key":"a","revision":"x"}', status: 400, code: 'NINES_ERR_INVALID_ARGUMENT' },
      { path: '/v1/compact', method: 'POST', body: '{"revision": 99999999}', status: 400, code: 'NINES_ERR_FUTURE_REVISION' },
      { path: '/v1/compact', method: 'POST', body: '{}', status: 400, code: 'NINES_ERR_INVALID_ARGUMENT' },
      { path: '/v1/txn', method: 'POST', body: '{"success":[{"put":{"key":"t"}}]}', status: 400, code: 'NINES_ERR_INVALID_ARGUMENT' },
      { path: '/v1/lease/revoke', method: 'POST', body: '{"id": 424242}', status: 404, code: 'NINES_ERR_LEASE_NOT_FOUND' },
      { path: '/v1/kv/leased', method: 'PUT', body: '{"value":"v","lease":424242}', status: 404, code: 'NINES_ERR_LEASE_NOT_FOUND' },
      { path: '/v1/watch?key=a&startRevision=x', method: 'GET', status: 400, code: 'NINES_ERR_INVALID_ARGUMENT' },
    ];
    for (const k of cases) {
      const res = await http(url(0, k.path), k.method, k.body);
      expect({ path: k.path.slice(0, 60), status: res.status, code: res.json['code'] }).toEqual({
        path: k.path.slice(0, 60),
        status: k.status,
        code: k.code,
      });
      expect(typeof res.json['message']).toBe('string');
    }
    // A refused lease put went through raft and was refused by every replica: no revision used.
    for (let i = 0; i < 3; i++) expect((await http(url(i, '/v1/kv/bad?serializable=true'))).status).toBe(404);
    expect((await c.status(0))!.revision).toBe(before);
  });

  it('runs transactions, ranges and compaction with etcd semantics', async () => {
    const txn = await http(
      url(1, '/v1/txn'),
      'POST',
      JSON.stringify({
        compare: [{ key: 'any-0', target: 'value', result: '=', value: 'from-0' }],
        success: [{ put: { key: 'txn-a', value: '1' } }, { put: { key: 'txn-b', value: '2' } }],
        failure: [{ put: { key: 'txn-failed', value: '1' } }],
      }),
    );
    expect(txn.status).toBe(200);
    expect(txn.json['succeeded']).toBe(true);
    const range = await http(url(2, '/v1/kv/range'), 'POST', JSON.stringify({ key: 'txn-', prefix: true }));
    expect(range.json['count']).toBe(2);
    const kvs = range.json['kvs'] as { key: string; modRevision: number }[];
    expect(kvs.map((k) => k.key)).toEqual(['txn-a', 'txn-b']);
    // One transaction = one revision.
    expect(kvs[0]!.modRevision).toBe(kvs[1]!.modRevision);
    const rev = kvs[0]!.modRevision;
    await http(url(0, '/v1/kv/txn-a'), 'PUT', JSON.stringify({ value: 'changed' }));
    const compacted = await http(url(0, '/v1/compact'), 'POST', JSON.stringify({ revision: rev }));
    expect(compacted.status).toBe(200);
    const old = await http(url(0, `/v1/kv/txn-a?revision=${rev - 1}`));
    expect(old.status).toBe(410);
    expect(old.json['code']).toBe('NINES_ERR_COMPACTED');
    const atRev = await http(url(0, `/v1/kv/txn-a?revision=${rev}`));
    expect(atRev.json['value']).toBe('1');
  });

  it('expires leases on the leader and deletes their keys on every member at the same revision', async () => {
    const grant = await retrying(() => http(url(0, '/v1/lease/grant'), 'POST', JSON.stringify({ ttl: 1 })));
    expect(grant.status).toBe(200);
    const id = grant.json['id'] as number;
    expect(id).toBeGreaterThan(0);
    await http(url(1, '/v1/kv/leased-a'), 'PUT', JSON.stringify({ value: 'a', lease: id }));
    const put = await http(url(2, '/v1/kv/leased-b'), 'PUT', JSON.stringify({ value: 'b', lease: id }));
    const putRev = put.json['revision'] as number;
    const kept = await http(url(1, '/v1/lease/keepalive'), 'POST', JSON.stringify({ id }));
    // A 1 s grant is raised to etcd's minimum, ceil(1.5 × the 1000 ms election timeout) = 2 s.
    expect(kept.json).toMatchObject({ id, ttl: 2 });
    const listed = await http(url(2, '/v1/lease/leases'), 'POST', '{}');
    expect(listed.json['ids']).toContain(id);
    const ttl = await http(url(0, '/v1/lease/ttl'), 'POST', JSON.stringify({ id, keys: true }));
    expect(ttl.json['keys']).toEqual(['leased-a', 'leased-b']);
    // Wait until every member no longer has the keys.
    const deadline = Date.now() + 15_000;
    for (;;) {
      const gone = await Promise.all([0, 1, 2].map((i) => http(url(i, '/v1/kv/leased-a?serializable=true'))));
      if (gone.every((g) => g.status === 404)) break;
      expect(Date.now()).toBeLessThan(deadline);
      await sleep(100);
    }
    // Find the deletion revision on each member from its own history: the first revision
    // after the put where the keys are absent.
    const deletedAt: number[] = [];
    for (let i = 0; i < 3; i++) {
      const current = (await c.status(i))!.revision;
      let found = -1;
      for (let r = putRev + 1; r <= current; r++) {
        const res = await http(url(i, '/v1/kv/range?serializable=true'), 'POST', JSON.stringify({ key: 'leased-', prefix: true, revision: r }));
        if (res.json['count'] === 0) {
          found = r;
          break;
        }
      }
      deletedAt.push(found);
    }
    expect(deletedAt[0]).toBeGreaterThan(putRev);
    expect(new Set(deletedAt).size).toBe(1);
    const after = await http(url(1, '/v1/lease/ttl'), 'POST', JSON.stringify({ id }));
    expect(after.json['code']).toBe('NINES_ERR_LEASE_NOT_FOUND');
  });

  it('resumes a watch from a revision without missing or repeating an event', async () => {
    const first = await http(url(0, '/v1/kv/w/0'), 'PUT', JSON.stringify({ value: 'v0' }));
    const startRev = first.json['revision'] as number;
    const writes: number[] = [startRev];
    for (let k = 1; k < 20; k++) {
      const r = await retrying(() => http(url(k % 3, `/v1/kv/w/${k}`), 'PUT', JSON.stringify({ value: `v${k}` })));
      writes.push(r.json['revision'] as number);
    }
    // First watcher: from startRev on member 0, stops after 7 events.
    const seen: WatchEventJson[] = [];
    const abort1 = new AbortController();
    const res1 = await fetch(url(0, `/v1/watch?key=w/&prefix=true&startRevision=${startRev}`), { signal: abort1.signal });
    expect(res1.status).toBe(200);
    await readSse(res1.body!, (e) => {
      if (e.event !== 'put' || seen.length >= 7) return;
      seen.push(e);
      if (seen.length === 7) abort1.abort();
    }).catch(() => undefined);
    expect(seen.length).toBe(7);
    // Resume on another member from the last id + 1, via Last-Event-ID as an EventSource would.
    const abort2 = new AbortController();
    const res2 = await fetch(url(2, '/v1/watch?key=w/&prefix=true'), {
      signal: abort2.signal,
      headers: { 'last-event-id': String(seen[6]!.id) },
    });
    expect(res2.status).toBe(200);
    const timer = setTimeout(() => abort2.abort(), 10_000);
    await readSse(res2.body!, (e) => {
      if (e.event !== 'put' || seen.length >= writes.length) return;
      seen.push(e);
      if (seen.length === writes.length) abort2.abort();
    }).catch(() => undefined);
    clearTimeout(timer);
    expect(seen.map((e) => e.id)).toEqual(writes);
    expect(seen.map((e) => (e.data['kv'] as { key: string }).key)).toEqual(writes.map((_, k) => `w/${k}`));
  });

  it('reports status, health and metrics', async () => {
    const s = (await c.status(1))!;
    expect(s.name).toBe('n2');
    expect(s.peers.map((p) => p.name).sort()).toEqual(['n1', 'n3']);
    expect(s.appliedIndex).toBeLessThanOrEqual(s.commitIndex);
    expect(s.leaderName).not.toBe('');
    expect((await http(url(1, '/livez'))).status).toBe(200);
    expect((await http(url(1, '/readyz'))).status).toBe(200);
    const metrics = await (await fetch(url(0, '/metrics'))).text();
    expect(metrics).toMatch(/nines_requests_total\{method="kv.put",outcome="good",member="n1"\} [1-9]/);
    expect(metrics).toMatch(/nines_requests_total\{method="kv.put",outcome="client_error",member="n1"\} [1-9]/);
    expect(metrics).toContain('nines_request_duration_seconds_bucket');
    expect(metrics).toContain('nines_peer_suspicion{peer="n2"');
    expect(metrics).toContain('nines_disk_fsync_duration_seconds_count');
    const page = await (await fetch(url(0, '/'))).text();
    expect(page).toContain('<title>nines');
  });

  it('keeps every replica identical (HashKV at one revision) and moves leadership on request', async () => {
    const leader = await c.waitLeader();
    const rev = (await c.status(leader))!.revision;
    const hashes: number[] = [];
    for (let i = 0; i < 3; i++) {
      while (((await c.status(i))?.revision ?? 0) < rev) await sleep(50);
      const h = await http(url(i, `/v1/hash?revision=${rev}&serializable=true`));
      expect(h.status).toBe(200);
      expect(h.json['revision']).toBe(rev);
      hashes.push(h.json['hash'] as number);
    }
    expect(new Set(hashes).size).toBe(1);
    const target = (leader + 1) % 3;
    const follower = (leader + 2) % 3;
    const refused = await http(url(follower, '/v1/move-leader'), 'POST', JSON.stringify({ to: c.members[target]!.name }));
    expect(refused.json['code']).toBe('NINES_ERR_NOT_LEADER');
    const unknown = await http(url(leader, '/v1/move-leader'), 'POST', JSON.stringify({ to: 'nobody' }));
    expect(unknown.status).toBe(400);
    const moved = await http(url(leader, '/v1/move-leader'), 'POST', JSON.stringify({ to: c.members[target]!.name }));
    expect(moved.status).toBe(200);
    expect(moved.json['leader']).toBe(c.members[target]!.name);
    expect(await c.waitLeader()).toBe(target);
  });

  it('elects a new leader after kill -9 of the leader, keeps taking writes, and the old leader catches up', async () => {
    const leader = await c.waitLeader();
    const oldTerm = (await c.status(leader))!.term;
    await c.kill9(leader);
    const rest = [0, 1, 2].filter((i) => i !== leader);
    const client = c.client(rest);
    const acked: string[] = [];
    for (let k = 0; k < 20; k++) {
      await retrying(() => client.put(`after-kill/${k}`, `v${k}`));
      acked.push(`after-kill/${k}`);
    }
    const newLeader = await c.waitLeader(20_000, rest);
    expect(newLeader).not.toBe(leader);
    expect((await c.status(newLeader))!.term).toBeGreaterThan(oldTerm);
    // Restart the old leader: it catches up from the others.
    c.spawn(leader);
    await c.waitReady([leader]);
    const target = (await c.status(newLeader))!.commitIndex;
    const deadline = Date.now() + 20_000;
    while (((await c.status(leader))?.appliedIndex ?? 0) < target) {
      expect(Date.now()).toBeLessThan(deadline);
      await sleep(100);
    }
    for (const key of acked) {
      const res = await http(url(leader, `/v1/kv/${encodeURIComponent(key)}?serializable=true`));
      expect(res.status).toBe(200);
    }
  }, 90_000);

  it('hands leadership over on SIGTERM and exits 0', async () => {
    const leader = await c.waitLeader();
    const rest = [0, 1, 2].filter((i) => i !== leader);
    const t0 = Date.now();
    expect(await c.stop(leader)).toBe(0);
    expect(c.log(leader)).toContain('transferring leadership before shutdown');
    expect(c.log(leader)).toContain('stopped cleanly');
    const next = await c.waitLeader(15_000, rest).catch(async (err: unknown) => {
      // Diagnostics for a failure: what the survivors think, and their logs.
      const statuses = await Promise.all(rest.map((i) => c.status(i)));
      throw new Error(`${String(err)}\n${JSON.stringify(statuses)}\n${rest.map((i) => c.log(i).slice(-4000)).join('\n----\n')}`);
    });
    expect(rest).toContain(next);
    // The handover makes the stop quick even on a loaded machine.
    expect(Date.now() - t0).toBeLessThan(10_000);
    await retrying(() => c.client(rest).put('after-handover', 'ok'));
  }, 60_000);
});
