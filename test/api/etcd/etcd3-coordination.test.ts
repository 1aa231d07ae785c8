import { type Etcd3, EtcdLockFailedError, type Isolation, STMConflictError } from 'etcd3';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { etcd3Client, recordEvents, sleep, TARGETS, type Target, waitFor, within } from './etcd3-helpers.js';

/** Attempts a contender makes to take a busy lock before the test gives up. */
const LOCK_ATTEMPTS_MAX = 500;
const LOCK_RETRY_MS = 5;

describe.each(TARGETS)('etcd3 client against $name: locks, elections, STM, namespaces', (kind) => {
  let s: Target;
  let a: Etcd3;
  let b: Etcd3;

  beforeAll(async () => {
    s = await kind.start();
    a = etcd3Client(s.endpoint);
    b = etcd3Client(s.endpoint);
  });
  afterAll(async () => {
    a.close();
    b.close();
    await s.stop();
  });

  test('a held lock refuses a second contender until released', async () => {
    const first = await a.lock('locks/x').ttl(10).acquire();
    await expect(b.lock('locks/x').ttl(10).acquire()).rejects.toBeInstanceOf(EtcdLockFailedError);
    expect(await a.get('locks/x').exists()).toBe(true);
    const leaseId = await first.leaseId();
    expect((await a.get('locks/x').exec()).kvs[0]?.lease).toBe(leaseId);
    await first.release();
    expect(await a.get('locks/x').exists()).toBe(false);
    const second = await b.lock('locks/x').ttl(10).acquire();
    await second.release();
  });

  test('two contenders retrying a lock serialise their critical sections', async () => {
    const rounds = 8;
    let inside = 0;
    let overlaps = 0;
    const order: string[] = [];
    const contender = async (who: string, client: Etcd3): Promise<void> => {
      for (let round = 0; round < rounds; round++) {
        for (let attempt = 0; ; attempt++) {
          if (attempt >= LOCK_ATTEMPTS_MAX) throw new Error(`${who} never got the lock`);
          try {
            await client.lock('locks/counter').ttl(10).do(async () => {
              inside++;
              if (inside > 1) overlaps++;
              order.push(who);
              // A read-modify-write that would lose updates without mutual exclusion.
              const n = (await client.get('counter').number()) ?? 0;
              await sleep(2);
              await client.put('counter').value(n + 1);
              inside--;
            });
            break;
          } catch (err) {
            if (!(err instanceof EtcdLockFailedError)) throw err;
            await sleep(LOCK_RETRY_MS);
          }
        }
      }
    };
    await Promise.all([contender('a', a), contender('b', b)]);
    expect(overlaps).toBe(0);
    expect(order.filter((w) => w === 'a').length).toBe(rounds);
    expect(await a.get('counter').number()).toBe(2 * rounds);
    expect(await a.get('locks/counter').exists()).toBe(false);
  });

  test('elections: campaign, observe, proclaim, resign hands over leadership', async () => {
    const c1 = a.election('elect', 10).campaign('candidate-1');
    await within('candidate 1 elected', c1.wait());
    // Observe once there is a leader: etcd3 1.1's observer, started on an empty election,
    // takes the *last* put of its first watch batch as leader (wrong on etcd too).
    const observer = await a.election('elect').observe();
    const changes: (string | undefined)[] = [];
    observer.on('change', (v) => changes.push(v));
    expect(observer.leader()).toBe('candidate-1');
    const c2 = b.election('elect', 10).campaign('candidate-2');
    let c2Elected = false;
    c2.on('elected', () => {
      c2Elected = true;
    });
    // Candidate 2 waits while candidate 1 leads.
    await waitFor('candidate 2 to enter', async () => (await a.getAll().prefix('election/elect/').count()) === 2);
    await sleep(100);
    expect(c2Elected).toBe(false);
    expect(await b.election('elect').leader()).toBe('candidate-1');
    await c1.proclaim('candidate-1-again');
    expect(await b.election('elect').leader()).toBe('candidate-1-again');
    await waitFor('observer to see the proclaimed value', () => observer.leader() === 'candidate-1-again');
    await c1.resign();
    await within('candidate 2 elected', c2.wait());
    expect(c2Elected).toBe(true);
    expect(await a.election('elect').leader()).toBe('candidate-2');
    await waitFor('observer to see candidate 2', () => observer.leader() === 'candidate-2');
    expect(changes).toEqual(['candidate-1-again', 'candidate-2']);
    await c2.resign();
    expect(await a.election('elect').leader()).toBeUndefined();
    await observer.cancel();
  });

  test('STM: a conflicting write makes the transaction retry; the result is serialisable', async () => {
    await a.put('bank/1').value(100);
    await a.put('bank/2').value(0);
    let attempts = 0;
    // Serializable, not etcd3's default SerializableSnapshot: etcd3 1.1 checks writes against
    // the *oldest* mod revision read (etcd's Go STM uses the first read's revision), so after
    // one conflict a transaction reading two keys conflicts forever -- on etcd too.
    const serializable = 1 as Isolation;
    await a.stm({ retries: 5, isolation: serializable }).transact(async (tx) => {
      attempts++;
      const [b1, b2] = [(await tx.get('bank/1').number()) ?? 0, (await tx.get('bank/2').number()) ?? 0];
      // Someone else changes an account between this attempt's read and its commit.
      if (attempts === 1) await b.put('bank/1').value(b1 + 50);
      await tx.put('bank/1').value(b1 - 30);
      await tx.put('bank/2').value(b2 + 30);
    });
    expect(attempts).toBe(2);
    expect(await a.get('bank/1').number()).toBe(120);
    expect(await a.get('bank/2').number()).toBe(30);
  });

  test('STM: concurrent increments never lose an update; retries run out with STMConflictError', async () => {
    await a.put('stm/n').value(0);
    const workers = 6;
    await Promise.all(
      Array.from({ length: workers }, (_, i) =>
        (i % 2 === 0 ? a : b).stm({ retries: 50 }).transact(async (tx) => {
          const n = (await tx.get('stm/n').number()) ?? 0;
          await sleep(1);
          await tx.put('stm/n').value(n + 1);
        }),
      ),
    );
    expect(await a.get('stm/n').number()).toBe(workers);
    let tries = 0;
    const always = a.stm({ retries: 2 }).transact(async (tx) => {
      tries++;
      const n = (await tx.get('stm/n').number()) ?? 0;
      await b.put('stm/n').value(n + 100);
      await tx.put('stm/n').value(n + 1);
    });
    await expect(always).rejects.toBeInstanceOf(STMConflictError);
    expect(tries).toBe(3);
  });

  test('namespaces: keys, ranges, deletes, watches and locks stay under the prefix', async () => {
    const ns = a.namespace('app/');
    await a.put('outside').value('o');
    await ns.put('k1').value('v1');
    await ns.put('k2').value('v2');
    expect(await a.get('app/k1').string()).toBe('v1');
    expect(await ns.get('k1').string()).toBe('v1');
    expect(await ns.getAll().keys()).toEqual(['k1', 'k2']);
    expect(await ns.getAll().prefix('k').strings()).toEqual({ k1: 'v1', k2: 'v2' });
    const w = await ns.watch().prefix('k').create();
    const seen = recordEvents(w);
    await ns.put('k3').value('v3');
    await a.put('k3').value('not-in-ns');
    await waitFor('namespaced event', () => seen.length >= 1);
    await w.cancel();
    expect(seen.map((e) => `${e.key}=${e.value}`)).toEqual(['k3=v3']);
    const nested = ns.namespace('inner/');
    await nested.put('x').value('deep');
    expect(await a.get('app/inner/x').string()).toBe('deep');
    const lock = await ns.lock('l').acquire();
    expect(await a.get('app/l').exists()).toBe(true);
    await lock.release();
    const txn = await ns.if('k1', 'Value', '==', 'v1').then(ns.put('k1').value('v1b')).commit();
    expect(txn.succeeded).toBe(true);
    expect(await a.get('app/k1').string()).toBe('v1b');
    await ns.delete().all();
    expect(await a.getAll().prefix('app/').count()).toBe(0);
    expect(await a.get('outside').string()).toBe('o');
  });
});
