import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ETCDCTL, etcdctl } from './etcdctl.js';
import { type Served, serveMemory } from './serve-memory.js';

describe.skipIf(ETCDCTL === undefined)('etcdctl KV against the memory backend', () => {
  let s: Served;
  const ctl = (args: string[], input?: string) => etcdctl(s.endpoint, args, input);

  beforeAll(async () => {
    s = await serveMemory();
  });
  afterAll(async () => {
    await s.stop();
  });

  test('put then get -w json: header, kv fields, base64 bytes', async () => {
    expect((await ctl(['put', 'k1', 'v1'])).stdout.trim()).toBe('OK');
    const r = await ctl(['get', 'k1', '-w', 'json']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    const status = s.backend.status();
    expect(j.header.cluster_id).toBe(Number.parseInt(status.clusterId, 16));
    expect(j.header.member_id).toBe(Number.parseInt(status.memberId, 16));
    expect(j.header.revision).toBe(s.backend.store.revision);
    expect(j.header.raft_term).toBe(1);
    expect(j.count).toBe(1);
    expect(Buffer.from(j.kvs[0].key, 'base64').toString()).toBe('k1');
    expect(Buffer.from(j.kvs[0].value, 'base64').toString()).toBe('v1');
    expect(j.kvs[0].version).toBe(1);
    expect(j.kvs[0].create_revision).toBe(j.kvs[0].mod_revision);
  });

  test('--prefix, --limit, --sort-by, --keys-only, --from-key', async () => {
    for (const [k, v] of [['p/b', '2'], ['p/a', '3'], ['p/c', '1'], ['q', 'x']] as const) await ctl(['put', k, v]);
    expect((await ctl(['get', 'p/', '--prefix'])).stdout).toBe('p/a\n3\np/b\n2\np/c\n1\n');
    expect((await ctl(['get', 'p/', '--prefix', '--limit', '2'])).stdout).toBe('p/a\n3\np/b\n2\n');
    const limited = JSON.parse((await ctl(['get', 'p/', '--prefix', '--limit', '2', '-w', 'json'])).stdout);
    expect(limited.more).toBe(true);
    expect(limited.count).toBe(3);
    expect((await ctl(['get', 'p/', '--prefix', '--sort-by', 'VALUE', '--order', 'ASCEND'])).stdout).toBe('p/c\n1\np/b\n2\np/a\n3\n');
    expect((await ctl(['get', 'p/', '--prefix', '--order', 'DESCEND'])).stdout).toBe('p/c\n1\np/b\n2\np/a\n3\n');
    expect((await ctl(['get', 'p/', '--prefix', '--keys-only'])).stdout).toBe('p/a\n\np/b\n\np/c\n\n');
    expect((await ctl(['get', 'p/c', '--from-key'])).stdout).toBe('p/c\n1\nq\nx\n');
  });

  test('--rev reads the past', async () => {
    await ctl(['put', 'r', 'old']);
    const rev = s.backend.store.revision;
    await ctl(['put', 'r', 'new']);
    expect((await ctl(['get', 'r', '--rev', String(rev)])).stdout).toBe('r\nold\n');
    expect((await ctl(['get', 'r'])).stdout).toBe('r\nnew\n');
  });

  test('future and compacted revisions: etcd errors, nothing changed', async () => {
    const future = await ctl(['get', 'r', '--rev', '100000']);
    expect(future.code).not.toBe(0);
    expect(future.stderr).toContain('Error: etcdserver: mvcc: required revision is a future revision');
    const rev = s.backend.store.revision;
    const c = await ctl(['compact', String(rev - 1)]);
    expect(c.stdout.trim()).toBe(`compacted revision ${rev - 1}`);
    const old = await ctl(['get', 'r', '--rev', '2']);
    expect(old.stderr).toContain('Error: etcdserver: mvcc: required revision has been compacted');
    const again = await ctl(['compact', String(rev - 1)]);
    expect(again.stderr).toContain('etcdserver: mvcc: required revision has been compacted');
    expect(s.backend.store.revision).toBe(rev);
  });

  test('del, del --prefix --prev-kv', async () => {
    await ctl(['put', 'd/1', 'a']);
    await ctl(['put', 'd/2', 'b']);
    expect((await ctl(['del', 'd/1'])).stdout.trim()).toBe('1');
    expect((await ctl(['del', 'nosuchkey'])).stdout.trim()).toBe('0');
    expect((await ctl(['del', 'd/', '--prefix', '--prev-kv'])).stdout).toBe('1\nd/2\nb\n');
    expect((await ctl(['get', 'd/', '--prefix'])).stdout).toBe('');
  });

  test('put --prev-kv, --lease, --ignore-value errors', async () => {
    await ctl(['put', 'pv', 'one']);
    expect((await ctl(['put', 'pv', 'two', '--prev-kv'])).stdout).toBe('OK\npv\none\n');
    const badLease = await ctl(['put', 'pv', 'x', '--lease', '7b']);
    expect(badLease.stderr).toContain('Error: etcdserver: requested lease not found');
    const ignore = await ctl(['put', 'nope', '--ignore-value']);
    expect(ignore.stderr).toContain('Error: etcdserver: key not found');
    const empty = await ctl(['put', '', 'x']);
    expect(empty.stderr).toContain('Error: etcdserver: key is not provided');
    expect((await ctl(['get', 'pv'])).stdout).toBe('pv\ntwo\n');
  });

  test('txn from stdin: compare, success and failure branches', async () => {
    await ctl(['put', 't', '1']);
    const ok = await ctl(['txn'], 'value("t") = "1"\n\nput t 2\nget t\n\nput t failed\n\n');
    expect(ok.stdout).toBe('SUCCESS\n\nOK\n\nt\n2\n');
    const no = await ctl(['txn', '-w', 'json'], 'value("t") = "1"\n\nput t 3\n\nput t4 x\n\n');
    const j = JSON.parse(no.stdout);
    expect(j.succeeded).toBeUndefined();
    expect((await ctl(['get', 't4'])).stdout).toBe('t4\nx\n');
    const modCmp = await ctl(['txn'], `mod("t") > "0"\nversion("t") = "2"\n\nget t\n\n\n`);
    expect(modCmp.stdout.startsWith('SUCCESS')).toBe(true);
  });

  test('txn with a key put twice: duplicate key error, nothing written', async () => {
    const rev = s.backend.store.revision;
    const r = await ctl(['txn'], '\nput dup 1\nput dup 2\n\n\n');
    expect(r.stderr).toContain('Error: etcdserver: duplicate key given in txn request');
    expect(s.backend.store.revision).toBe(rev);
  });
});
