import { type Etcd3, EtcdLockFailedError, type Watcher } from 'etcd3';
// etcd3's own switch for trying hosts in a fixed order (last first) instead of at random.
import { ConnectionPool } from 'etcd3/lib/connection-pool.js';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { TestCluster } from '../../server/harness.js';
import { etcd3Client, recordEvents, sleep, waitFor, within } from './etcd3-helpers.js';

/** Retries across the three members while a new leader is elected. */
const FAILOVER_RETRIES = 30;

/**
 * End to end: the unmodified etcd3 client against a real 3-member nines cluster
 * (`nines start` processes on 127.0.0.1; needs the built CLI in dist/).
 */
describe('etcd3 client against a 3-member nines cluster', () => {
  let cluster: TestCluster;
  let hosts: string[];
  const clients: Etcd3[] = [];
  const connect = (which: string | string[], retries = FAILOVER_RETRIES): Etcd3 => {
    const c = etcd3Client(which, { retries });
    clients.push(c);
    return c;
  };

  beforeAll(async () => {
    cluster = await TestCluster.create({ nodes: 3 });
    await cluster.startAll();
    await cluster.waitLeader();
    hosts = cluster.members.map((m) => m.clientUrl.replace('http://', ''));
  });
  afterAll(async () => {
    for (const c of clients) c.close();
    await cluster.cleanup();
  });

  test('CRUD and a transaction through one member are seen through every member', async () => {
    const c = connect(hosts[0]!);
    await c.put('e2e/k').value('v1');
    await c.put('e2e/j').value(JSON.stringify({ n: 1 }));
    for (const h of hosts) {
      const one = connect(h);
      expect(await one.get('e2e/k').string()).toBe('v1');
      expect(await one.get('e2e/j').json()).toEqual({ n: 1 });
    }
    const txn = await connect(hosts[1]!).if('e2e/k', 'Value', '==', 'v1').then(c.put('e2e/k').value('v2')).commit();
    expect(txn.succeeded).toBe(true);
    expect(await connect(hosts[2]!).getAll().prefix('e2e/').strings()).toEqual({ 'e2e/j': '{"n":1}', 'e2e/k': 'v2' });
    await c.delete().prefix('e2e/');
    expect(await connect(hosts[2]!).getAll().prefix('e2e/').count()).toBe(0);
  });

  test('a watch on one member sees writes through another; a kept-alive lease outlives its TTL', async () => {
    const watcher = await connect(hosts[1]!).watch().prefix('w/').withPreviousKV().create();
    const seen = recordEvents(watcher);
    const writer = connect(hosts[2]!);
    await writer.put('w/a').value('1');
    await writer.put('w/a').value('2');
    await writer.delete().key('w/a');
    await waitFor('3 events', () => seen.length >= 3);
    expect(seen.map((e) => `${e.type} ${e.value} ${e.prevValue ?? '-'}`)).toEqual(['put 1 -', 'put 2 1', 'delete  2']);
    await watcher.cancel();
    const lease = connect(hosts[0]!).lease(2);
    const beats: string[] = [];
    lease.on('keepaliveSucceeded', (r) => beats.push(r.TTL));
    await lease.put('w/leased').value('alive');
    await sleep(3000);
    expect(await connect(hosts[2]!).get('w/leased').string()).toBe('alive');
    expect(beats.length).toBeGreaterThanOrEqual(3);
    await lease.revoke();
    expect(await writer.get('w/leased').exists()).toBe(false);
  });

  test('a lock taken through one member is refused through another until released', async () => {
    const lock = await connect(hosts[0]!).lock('e2e-lock').ttl(10).acquire();
    await expect(connect(hosts[1]!).lock('e2e-lock').ttl(10).acquire()).rejects.toBeInstanceOf(EtcdLockFailedError);
    await lock.release();
    const again = await connect(hosts[2]!).lock('e2e-lock').ttl(10).acquire();
    await again.release();
  });

  test('kill -9 the leader: a client with all three endpoints keeps working, the watch and the lease survive', async () => {
    const leader = await cluster.waitLeader();
    const survivors = [0, 1, 2].filter((i) => i !== leader);
    const leaderLast = [...survivors.map((i) => hosts[i]!), hosts[leader]!];
    const c = connect(leaderLast);
    const watchClient = connect(leaderLast);
    const lease = c.lease(3);
    const lost: Error[] = [];
    lease.on('lost', (err) => lost.push(err));
    // Open the watch and the keep-alive streams on the leader, so the failover is exercised
    // for certain; then back to etcd3's random host order for reconnecting (a fixed order
    // would retry the dead leader forever).
    ConnectionPool.deterministicOrder = true;
    let w: Watcher;
    try {
      w = await watchClient.watch().prefix('f/').create();
      await lease.put('f-leased').value('held');
      await within('keep-alive stream', new Promise((resolve) => lease.once('keepaliveSucceeded', resolve)));
    } finally {
      ConnectionPool.deterministicOrder = false;
    }
    let disconnects = 0;
    w.on('disconnected', () => disconnects++);
    const seen = recordEvents(w);
    const expected: string[] = [];
    const write = async (n: number) => {
      for (let i = 0; i < n; i++) {
        const value = `f${expected.length}`;
        await c.put(`f/${expected.length % 3}`).value(value);
        expected.push(value);
      }
    };
    await write(5);
    await waitFor('5 watch events before the kill', () => seen.length >= 5);
    await cluster.kill9(leader);
    const t0 = Date.now();
    await write(1);
    const firstWriteAfterKillMs = Date.now() - t0;
    await write(9);
    await waitFor(`${expected.length} watch events`, () => seen.length >= expected.length, 15_000);
    expect(disconnects).toBeGreaterThanOrEqual(1);
    expect(seen.map((e) => e.value)).toEqual(expected);
    for (let i = 1; i < seen.length; i++) expect(seen[i]!.modRevision).toBeGreaterThan(seen[i - 1]!.modRevision);
    for (const i of survivors) expect(await connect(hosts[i]!).get('f/0').string()).toBe(expected.at(-3) ?? null);
    // Past the lease's TTL after the failover, kept alive through the new leader.
    await sleep(3500);
    expect(lost).toEqual([]);
    expect(await c.get('f-leased').string()).toBe('held');
    await within('lease revoke', lease.revoke());
    expect(await c.get('f-leased').exists()).toBe(false);
    await w.cancel();
    expect(firstWriteAfterKillMs).toBeLessThan(10_000);
    // The killed member comes back, catches up, and replays the history to a new watcher.
    cluster.spawn(leader);
    await cluster.waitReady([leader]);
    const back = connect(hosts[leader]!);
    await waitFor('the restarted member to catch up', async () => (await back.get('f/0').serializable(true).string()) === expected.at(-3));
    expect(await back.getAll().prefix('f/').strings()).toEqual(await connect(hosts[survivors[0]!]!).getAll().prefix('f/').strings());
    const replay = await back.watch().prefix('f/').startRevision(String(seen[0]!.modRevision)).create();
    const replayed = recordEvents(replay);
    await waitFor('the replayed history', () => replayed.length >= expected.length);
    expect(replayed.map((e) => e.value)).toEqual(expected);
    await replay.cancel();
  });
});
