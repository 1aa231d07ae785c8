import type { Etcd3 } from 'etcd3';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { etcd3Client, TARGETS, type Target } from './etcd3-helpers.js';

describe.each(TARGETS)('etcd3 client against $name: KV and transactions', (kind) => {
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

  test('put/get strings, buffers, numbers and json', async () => {
    await client.put('crud/s').value('hello');
    await client.put('crud/b').value(Buffer.from([0, 1, 2, 255]));
    await client.put('crud/n').value(42);
    await client.put('crud/j').value(JSON.stringify({ a: [1, 2], b: 'x' }));
    expect(await client.get('crud/s').string()).toBe('hello');
    expect(await client.get('crud/b').buffer()).toEqual(Buffer.from([0, 1, 2, 255]));
    expect(await client.get('crud/n').number()).toBe(42);
    expect(await client.get('crud/j').json()).toEqual({ a: [1, 2], b: 'x' });
    expect(await client.get('crud/missing').string()).toBeNull();
    expect(await client.get('crud/missing').exists()).toBe(false);
    expect(await client.get('crud/s').exists()).toBe(true);
    // What the nines backend stored is byte-for-byte what was sent.
    if (s.backend !== undefined) {
      const r = s.backend.store.range({ key: Buffer.from('crud/b') });
      expect(Buffer.from(r.kvs[0]?.value ?? [])).toEqual(Buffer.from([0, 1, 2, 255]));
    }
  });

  test('getAll with prefix, sort, limit, keys and count', async () => {
    for (const k of ['c', 'a', 'b']) await client.put(`list/${k}`).value(`v${k}`);
    await client.put('listx').value('outside');
    expect(await client.getAll().prefix('list/').strings()).toEqual({ 'list/a': 'va', 'list/b': 'vb', 'list/c': 'vc' });
    expect(await client.getAll().prefix('list/').keys()).toEqual(['list/a', 'list/b', 'list/c']);
    expect(await client.getAll().prefix('list/').count()).toBe(3);
    expect(await client.getAll().prefix('list/').sort('Key', 'Descend').limit(2).keys()).toEqual(['list/c', 'list/b']);
    expect(await client.getAll().prefix('list/').sort('Value', 'Ascend').keys()).toEqual(['list/a', 'list/b', 'list/c']);
    const res = await client.getAll().prefix('list/').limit(1).exec();
    expect(res.more).toBe(true);
    expect(res.count).toBe('3');
  });

  test('put with prevKv, getAll at an old revision, previous values', async () => {
    const first = await client.put('rev/k').value('one').exec();
    const rev1 = first.header.revision;
    const second = await client.put('rev/k').value('two').getPrevious();
    expect(second?.value.toString()).toBe('one');
    expect(await client.get('rev/k').revision(rev1).string()).toBe('one');
    expect(await client.get('rev/k').string()).toBe('two');
    const kv = (await client.get('rev/k').exec()).kvs[0];
    expect(kv?.version).toBe('2');
    expect(kv?.create_revision).toBe(rev1);
    expect(Number(kv?.mod_revision)).toBeGreaterThan(Number(rev1));
  });

  test('delete one key, a prefix, and with previous values', async () => {
    await client.put('del/a').value('1');
    await client.put('del/b').value('2');
    await client.put('del/c').value('3');
    const one = await client.delete().key('del/a').exec();
    expect(one.deleted).toBe('1');
    const prev = await client.delete().prefix('del/').getPrevious();
    expect(prev.map((kv) => kv.key.toString()).sort()).toEqual(['del/b', 'del/c']);
    expect(await client.getAll().prefix('del/').count()).toBe(0);
    expect((await client.delete().key('del/none').exec()).deleted).toBe('0');
  });

  test('transactions: if/then/else on value, version and create revision', async () => {
    await client.put('txn/k').value('v1');
    const ok = await client.if('txn/k', 'Value', '==', 'v1').then(client.put('txn/k').value('v2')).else(client.put('txn/else').value('x')).commit();
    expect(ok.succeeded).toBe(true);
    expect(await client.get('txn/k').string()).toBe('v2');
    const no = await client
      .if('txn/k', 'Value', '==', 'v1')
      .then(client.put('txn/k').value('v3'))
      .else(client.put('txn/else').value('x'), client.get('txn/k'))
      .commit();
    expect(no.succeeded).toBe(false);
    expect(no.responses[1]?.response_range?.kvs[0]?.value.toString()).toBe('v2');
    expect(await client.get('txn/k').string()).toBe('v2');
    expect(await client.get('txn/else').string()).toBe('x');
    // Create-if-absent, the pattern locks use: create_revision == 0.
    const create = () => client.if('txn/new', 'Create', '==', 0).then(client.put('txn/new').value('mine')).commit();
    expect((await create()).succeeded).toBe(true);
    expect((await create()).succeeded).toBe(false);
    const multi = await client.if('txn/k', 'Version', '>', 1).and('txn/new', 'Mod', '>', 0).then(client.delete().key('txn/new'), client.get('txn/k')).commit();
    expect(multi.succeeded).toBe(true);
    expect(await client.get('txn/new').exists()).toBe(false);
  });

  test('errors: a revision in the future and a compacted revision', async () => {
    const rev = Number((await client.put('err/k').value('x').exec()).header.revision);
    await expect(client.get('err/k').revision(rev + 1000).string()).rejects.toThrow(/future revision/);
    await client.put('err/k').value('y');
    await client.kv.compact({ revision: String(rev + 1) });
    await expect(client.get('err/k').revision(rev).string()).rejects.toThrow(/compacted/);
  });
});
