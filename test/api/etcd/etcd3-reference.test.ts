import type { Etcd3 } from 'etcd3';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ETCD_BINARY, etcd3Client, sleep, TARGETS, type Target } from './etcd3-helpers.js';

/**
 * Differential test: the same etcd3 calls against nines and against real etcd, outcome by
 * outcome (value, or error class and message). Any difference is a nines bug, unless the
 * case says why it may differ. Both servers start empty, so revisions line up too.
 */

/** What a case produced, comparable across servers. */
type Outcome = { ok: unknown } | { error: string };

/** Drop response headers (member and cluster ids, raft term differ by design). */
function strip(value: unknown): unknown {
  if (Buffer.isBuffer(value)) return `buf:${value.toString('base64')}`;
  if (Array.isArray(value)) return value.map(strip);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) if (k !== 'header' && k !== 'member_id' && k !== 'raft_term') out[k] = strip(v);
    return out;
  }
  return value;
}

async function outcome(fn: () => Promise<unknown>): Promise<Outcome> {
  try {
    return { ok: strip(await fn()) };
  } catch (err) {
    return { error: `${(err as Error).constructor.name}: ${(err as Error).message}` };
  }
}

const MiB = 1024 * 1024;

/** A keep-alive through the raw stream (etcd3's Lease object hides unknown-lease answers). */
async function keepAliveOnce(c: Etcd3, id: string): Promise<unknown> {
  const stream = await c.leaseClient.leaseKeepAlive();
  try {
    return await new Promise((resolve, reject) => {
      stream.on('data', resolve);
      stream.on('error', reject);
      stream.write({ ID: id });
    });
  } finally {
    stream.end();
  }
}

/** Cases run in order on a fresh server; later cases see earlier cases' writes. */
const CASES: readonly [name: string, run: (c: Etcd3) => Promise<unknown>][] = [
  ['put then get with all kv fields', async (c) => [await c.put('a').value('1').exec(), await c.get('a').exec()]],
  ['put an empty key', (c) => c.put('').value('x').exec()],
  ['touch (ignore_value) a missing key', (c) => c.put('missing').touch()],
  ['touch an existing key keeps the value, bumps the version', async (c) => [await c.put('a').touch(), await c.get('a').exec()]],
  ['ignore_lease on a key without a lease', (c) => c.put('a').value('2').ignoreLease().exec()],
  ['ignore_value together with a value', (c) => c.kv.put({ key: Buffer.from('a'), value: Buffer.from('v'), ignore_value: true })],
  ['a value over the 1.5 MiB request limit', (c) => c.put('big').value(Buffer.alloc(2 * MiB, 1)).exec()],
  ['a value just under the request limit', async (c) => (await c.put('big').value(Buffer.alloc(MiB, 2)).exec()).header.revision],
  ['range with revision filters and sorts', async (c) => {
    for (const k of ['r/c', 'r/a', 'r/b']) await c.put(k).value(k.toUpperCase());
    await c.put('r/a').value('A2');
    return [
      await c.getAll().prefix('r/').sort('Create', 'Descend').keys(),
      await c.getAll().prefix('r/').sort('Mod', 'Ascend').keys(),
      await c.getAll().prefix('r/').sort('Version', 'Descend').keys(),
      await c.getAll().prefix('r/').minModRevision(11).keys(),
      await c.getAll().prefix('r/').maxCreateRevision(10).keys(),
      await c.getAll().prefix('r/').serializable(true).count(),
      await c.getAll().prefix('r/').limit(2).exec(),
    ];
  }],
  ['delete a key range [r/a, r/c)', (c) => c.delete().inRange({ start: 'r/a', end: 'r/c' }).getPrevious()],
  ['txn with duplicate puts of one key', (c) => c.if('a', 'Version', '>', 0).then(c.put('d').value('1'), c.put('d').value('2')).commit()],
  ['txn with 129 operations', (c) => c.if('a', 'Version', '>', 0).then(...Array.from({ length: 129 }, (_, i) => c.put(`many/${i}`).value('x'))).commit()],
  ['txn comparing a missing key', (c) => c.if('nope', 'Value', '==', '').then(c.put('t').value('then')).else(c.put('t').value('else')).commit()],
  ['txn comparing lease', (c) => c.if('a', 'Lease', '==', 0).then(c.get('a')).commit()],
  ['compact a future revision', (c) => c.kv.compact({ revision: '1000' })],
  ['compact, then compact again at the same revision', async (c) => [await c.kv.compact({ revision: '3', physical: true }), await c.kv.compact({ revision: '3' }).catch((e: Error) => e.message)]],
  ['get at a compacted revision', (c) => c.get('a').revision(2).exec()],
  ['lease grant with a chosen id, twice', async (c) => [
    await c.leaseClient.leaseGrant({ TTL: 60, ID: '4242' }),
    await c.leaseClient.leaseGrant({ TTL: 60, ID: '4242' }).catch((e: Error) => `${e.constructor.name}: ${e.message}`),
  ]],
  ['keep-alive of a known and of an unknown lease', async (c) => [await keepAliveOnce(c, '4242'), await keepAliveOnce(c, '999999')]],
  ['time-to-live of an unknown lease', (c) => c.leaseClient.leaseTimeToLive({ ID: '999999' })],
  ['time-to-live of a lease with keys', async (c) => {
    await c.put('leased').value('x').lease('4242');
    const r = await c.leaseClient.leaseTimeToLive({ ID: '4242', keys: true });
    return { ...r, TTL: Number(r.TTL) > 50 };
  }],
  ['revoke an unknown lease', (c) => c.leaseClient.leaseRevoke({ ID: '31337' })],
  ['put with an unknown lease', (c) => c.put('x').value('y').lease('31337').exec()],
  ['a lease grant with a negative TTL', (c) => c.leaseClient.leaseGrant({ TTL: -5 })],
  ['member list has one started member', async (c) => {
    const r = await c.cluster.memberList({});
    return r.members.map((m) => ({ started: m.name !== '', clientURLs: m.clientURLs.length, isLearner: m.isLearner ?? false }));
  }],
  ['status fields are set', async (c) => {
    const s = await c.maintenance.status();
    return { version: /^3\.\d+\.\d+$/.test(s.version), leader: s.leader !== '0', dbSize: Number(s.dbSize) > 0, raftIndex: Number(s.raftIndex) > 0 };
  }],
  ['alarm list is empty', (c) => c.maintenance.alarm({ action: 'Get', memberID: '0', alarm: 'None' })],
  ['watch from a future revision sees the write that reaches it', async (c) => {
    const rev = Number((await c.get('a').exec()).header.revision);
    const w = await c.watch().key('fw').startRevision(String(rev + 2)).create();
    const seen: string[] = [];
    w.on('put', (kv) => seen.push(kv.value.toString()));
    await c.put('fw').value('too-early');
    await c.put('fw').value('reached');
    for (let i = 0; i < 100 && seen.length === 0; i++) await sleep(20);
    await w.cancel();
    return seen;
  }],
  ['user and role errors', async (c) => {
    const results: string[] = [];
    for (const op of [
      () => c.user('nobody').delete(),
      () => c.role('nothing').delete(),
      () => c.user('nobody').addRole('nothing'),
      () => c.auth.authEnable(),
      () => c.role('r1').create().then(() => c.role('r1').create()),
      () => c.user('u1').create('p').then(() => c.user('u1').removeRole('r1')),
      () => c.role('r1').grant({ permission: 'Read', key: 'k' }).then(() => c.role('r1').revoke({ permission: 'Read', key: 'other' })),
    ]) {
      results.push(await op().then(() => 'ok', (e: Error) => `${e.constructor.name}: ${e.message}`));
    }
    return results;
  }],
];

/**
 * Where nines may answer differently, why, and what must still hold. Each is either by
 * design or written up in /work/notes/etcd3-findings.md.
 */
const KNOWN_DIFFERENCES = new Map<string, { why: string; check(etcd: Outcome, nines: Outcome): void }>([
  [
    'a value over the 1.5 MiB request limit',
    {
      why: 'the gRPC library words the size error (grpc-go vs grpc-js); same status code and limit',
      check: (etcd, nines) => {
        const limit = (o: Outcome) => ('error' in o ? /^(\w+): 8 RESOURCE_EXHAUSTED: .*larger than max \((\d+) vs\.? (\d+)\)$/.exec(o.error)?.slice(1) : undefined);
        expect(limit(etcd)).toBeDefined();
        expect(limit(nines)).toEqual(limit(etcd));
      },
    },
  ],
  [
    'a lease grant with a negative TTL',
    {
      why: 'lease ids: etcd picks random ones, nines counts up (by design); both raise a short TTL to 1.5 election timeouts (2 s)',
      check: (etcd, nines) => {
        const ok = (o: Outcome) => ('ok' in o ? (o.ok as { ID: string; TTL: string; error: string }) : undefined);
        expect(ok(etcd)?.TTL).toBe('2');
        expect(ok(nines)?.error).toBe('');
        expect(ok(nines)?.TTL).toBe(ok(etcd)?.TTL);
        expect(BigInt(ok(nines)?.ID ?? '0')).toBeGreaterThan(0n);
      },
    },
  ],
]);

describe.skipIf(ETCD_BINARY === undefined)('etcd3 client: nines answers exactly as etcd does', () => {
  const results = new Map<string, Map<string, Outcome>>();
  const targets: Target[] = [];
  const clients: Etcd3[] = [];

  beforeAll(async () => {
    targets.push(...(await Promise.all(TARGETS.map((k) => k.start()))));
    await Promise.all(
      targets.map(async (t) => {
        const c = etcd3Client(t.endpoint, { retries: 0 });
        clients.push(c);
        const byCase = new Map<string, Outcome>();
        for (const [name, run] of CASES) byCase.set(name, await outcome(() => run(c)));
        results.set(t.name, byCase);
      }),
    );
  });
  afterAll(async () => {
    for (const c of clients) c.close();
    await Promise.all(targets.map((t) => t.stop()));
  });

  test.each(CASES.map(([name]) => name))('%s', (name) => {
    const etcd = results.get('etcd')?.get(name);
    const nines = results.get('nines')?.get(name);
    expect(etcd).toBeDefined();
    expect(nines).toBeDefined();
    const known = KNOWN_DIFFERENCES.get(name);
    if (known === undefined) expect(nines).toEqual(etcd);
    else known.check(etcd as Outcome, nines as Outcome);
  });
});
