import { type Etcd3, EtcdLeaseInvalidError } from 'etcd3';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { etcd3Client, recordEvents, TARGETS, type Target, waitFor, within } from './etcd3-helpers.js';

/** Shortest TTL both etcd (its minimum lease TTL is 2 s with default flags) and nines honour. */
const TTL_S = 2;

describe.each(TARGETS)('etcd3 client against $name: leases', (kind) => {
  let s: Target;
  let client: Etcd3;

  beforeAll(async () => {
    s = await kind.start();
    client = etcd3Client(s.endpoint);
  });
  afterAll(async () => {
    client.close();
    await s.stop();
  });

  test('grant, attach keys, time-to-live with keys, revoke removes the keys', async () => {
    const lease = client.lease(30, { autoKeepAlive: false });
    const id = await lease.grant();
    expect(BigInt(id)).toBeGreaterThan(0n);
    await lease.put('lease/a').value('1');
    await lease.put('lease/b').value('2');
    const kv = (await client.get('lease/a').exec()).kvs[0];
    expect(kv?.lease).toBe(id);
    const ttl = await client.leaseClient.leaseTimeToLive({ ID: id, keys: true });
    expect(ttl.grantedTTL).toBe('30');
    expect(Number(ttl.TTL)).toBeGreaterThan(25);
    expect(Number(ttl.TTL)).toBeLessThanOrEqual(30);
    expect(ttl.keys.map((k) => k.toString()).sort()).toEqual(['lease/a', 'lease/b']);
    const leases = await client.leaseClient.leaseLeases({});
    expect(leases.leases.map((l) => l.ID)).toContain(id);
    await lease.revoke();
    expect(await client.getAll().prefix('lease/').count()).toBe(0);
    const gone = await client.leaseClient.leaseTimeToLive({ ID: id, keys: true });
    expect(gone.TTL).toBe('-1');
  });

  test('a kept-alive lease outlives its TTL while an unkept one expires', async () => {
    const w = await client.watch().prefix('ka/').withPreviousKV().create();
    const seen = recordEvents(w);
    const kept = client.lease(TTL_S);
    const unkept = client.lease(TTL_S, { autoKeepAlive: false });
    const beats: string[] = [];
    kept.on('keepaliveSucceeded', (res) => beats.push(res.TTL));
    const lost: Error[] = [];
    kept.on('lost', (err) => lost.push(err));
    await kept.put('ka/kept').value('k');
    await unkept.put('ka/unkept').value('u');
    await unkept.put('ka/unkept2').value('u2');
    // Past the TTL: the unkept key goes away, the kept one stays and keep-alives flowed.
    await waitFor('the unkept lease to expire', async () => !(await client.get('ka/unkept').exists()), 3 * TTL_S * 1000 + 2000);
    expect(await client.get('ka/kept').string()).toBe('k');
    expect(await client.get('ka/unkept2').exists()).toBe(false);
    // Watchers see the expiry as deletes with prevKv, both keys in one revision.
    await waitFor('two delete events', () => seen.filter((e) => e.type === 'delete').length >= 2);
    const deletes = seen.filter((e) => e.type === 'delete');
    expect(deletes.map((e) => `${e.key}:${e.prevValue}`).sort()).toEqual(['ka/unkept2:u2', 'ka/unkept:u']);
    expect(deletes[0]!.modRevision).toBe(deletes[1]!.modRevision);
    await w.cancel();
    await waitFor('3 keep-alive responses', () => beats.length >= 3);
    for (const ttl of beats) expect(Number(ttl)).toBeGreaterThanOrEqual(TTL_S);
    expect(lost).toEqual([]);
    expect(kept.revoked()).toBe(false);
    // A put through the expired lease fails with etcd3's lease error and marks it lost.
    const unkeptLost = new Promise<Error>((resolve) => unkept.once('lost', resolve));
    await expect(unkept.put('ka/again').value('x')).rejects.toBeInstanceOf(EtcdLeaseInvalidError);
    expect(await within('lost event on the expired lease', unkeptLost)).toBeInstanceOf(EtcdLeaseInvalidError);
    expect(await client.get('ka/again').exists()).toBe(false);
    await kept.revoke();
    expect(await client.get('ka/kept').exists()).toBe(false);
  });

  test('a lease revoked elsewhere is reported lost by its keep-alive loop', async () => {
    const lease = client.lease(TTL_S);
    const id = await lease.grant();
    await lease.put('lost/k').value('v');
    await within('first keep-alive', new Promise((resolve) => lease.once('keepaliveSucceeded', resolve)));
    const lost = new Promise<Error>((resolve) => lease.once('lost', resolve));
    const other = etcd3Client(s.endpoint);
    try {
      await other.leaseClient.leaseRevoke({ ID: id });
    } finally {
      other.close();
    }
    expect(await within('lost event', lost)).toBeInstanceOf(EtcdLeaseInvalidError);
    expect(lease.revoked()).toBe(true);
    expect(await client.get('lost/k').exists()).toBe(false);
  });

  test('keepaliveOnce, and errors for unknown leases', async () => {
    const lease = client.lease(10, { autoKeepAlive: false });
    const id = await lease.grant();
    const res = await lease.keepaliveOnce();
    expect(res.ID).toBe(id);
    expect(res.TTL).toBe('10');
    await lease.revoke();
    await expect(client.leaseClient.leaseRevoke({ ID: id })).rejects.toThrow(/requested lease not found/);
    await expect(client.put('nolease').value('x').lease('123456789').exec()).rejects.toBeInstanceOf(EtcdLeaseInvalidError);
    expect(await client.get('nolease').exists()).toBe(false);
  });
});
