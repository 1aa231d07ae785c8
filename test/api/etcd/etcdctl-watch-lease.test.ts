import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { CtlProcess, ETCDCTL, etcdctl } from './etcdctl.js';
import { type Served, serveMemory } from './serve-memory.js';

describe.skipIf(ETCDCTL === undefined)('etcdctl watch and lease against the memory backend', () => {
  let s: Served;
  const ctl = (args: string[], input?: string) => etcdctl(s.endpoint, args, input);

  beforeAll(async () => {
    s = await serveMemory({ leaseCheckIntervalMs: 50 });
  });
  afterAll(async () => {
    await s.stop();
  });

  test('watch --rev replays history, then follows live changes with --prev-kv', async () => {
    await ctl(['put', 'w', 'a']);
    const first = s.backend.store.revision;
    await ctl(['put', 'w', 'b']);
    const w = new CtlProcess(s.endpoint, ['watch', 'w', '--rev', String(first), '--prev-kv']);
    try {
      await w.waitFor((out) => out.includes('w\nb\n'));
      expect(w.stdout).toBe('PUT\nw\na\nPUT\nw\na\nw\nb\n');
      await ctl(['del', 'w']);
      await w.waitFor((out) => out.includes('DELETE'));
      // As etcd prints it: the previous kv, then the deleted key with an empty value.
      expect(w.stdout.endsWith('DELETE\nw\nb\nw\n\n')).toBe(true);
    } finally {
      w.kill();
    }
  });

  test('watch --prefix sees only its keys', async () => {
    const w = new CtlProcess(s.endpoint, ['watch', 'wp/', '--prefix']);
    try {
      await new Promise((r) => setTimeout(r, 300));
      await ctl(['put', 'other', 'x']);
      await ctl(['put', 'wp/1', 'y']);
      await w.waitFor((out) => out.includes('wp/1'));
      expect(w.stdout).toBe('PUT\nwp/1\ny\n');
    } finally {
      w.kill();
    }
  });

  test('watch from a compacted revision is cancelled with the compacted error', async () => {
    await ctl(['put', 'c', '1']);
    await ctl(['put', 'c', '2']);
    const rev = s.backend.store.revision;
    await ctl(['compact', String(rev)]);
    const w = new CtlProcess(s.endpoint, ['watch', 'c', '--rev', '1']);
    const code = await w.exited;
    expect(code).not.toBe(0);
    expect(w.stdout + w.stderr).toContain('etcdserver: mvcc: required revision has been compacted');
  });

  test('lease grant, put --lease, timetolive --keys, keep-alive --once, list, revoke', async () => {
    const g = await ctl(['lease', 'grant', '100']);
    const m = /^lease ([0-9a-f]+) granted with TTL\(100s\)$/.exec(g.stdout.trim());
    expect(m).not.toBeNull();
    const id = (m as RegExpExecArray)[1] as string;
    expect((await ctl(['put', 'lk', 'v', `--lease=${id}`])).stdout.trim()).toBe('OK');
    const ttl = await ctl(['lease', 'timetolive', id, '--keys']);
    expect(ttl.stdout.trim()).toMatch(new RegExp(`^lease ${id} granted with TTL\\(100s\\), remaining\\((99|100)s\\), attached keys\\(\\[lk\\]\\)$`));
    expect((await ctl(['lease', 'keep-alive', '--once', id])).stdout.trim()).toBe(`lease ${id} keepalived with TTL(100)`);
    expect((await ctl(['lease', 'list'])).stdout).toContain(`${id}\n`);
    expect((await ctl(['lease', 'revoke', id])).stdout.trim()).toBe(`lease ${id} revoked`);
    expect((await ctl(['get', 'lk'])).stdout).toBe('');
    expect((await ctl(['lease', 'timetolive', id])).stdout.trim()).toBe(`lease ${id} already expired`);
  });

  test('unknown lease ids (small and beyond 2^53): etcd errors, nothing changed', async () => {
    const rev = s.backend.store.revision;
    for (const id of ['1234abcd', '7fffffffffffffff']) {
      expect((await ctl(['lease', 'timetolive', id])).stdout.trim()).toBe(`lease ${id.padStart(16, '0')} already expired`);
      expect((await ctl(['lease', 'revoke', id])).stderr).toContain('etcdserver: requested lease not found');
      expect((await ctl(['lease', 'keep-alive', '--once', id])).stderr).toContain('etcdserver: requested lease not found');
      expect((await ctl(['put', 'x', 'y', `--lease=${id}`])).stderr).toContain('etcdserver: requested lease not found');
    }
    expect(s.backend.store.revision).toBe(rev);
  });

  test('a lease that is not kept alive expires and takes its keys', async () => {
    const g = await ctl(['lease', 'grant', '1']);
    const id = (/lease ([0-9a-f]+) granted/.exec(g.stdout) as RegExpExecArray)[1] as string;
    await ctl(['put', 'short', 'v', `--lease=${id}`]);
    expect((await ctl(['get', 'short'])).stdout).toBe('short\nv\n');
    const start = Date.now();
    while ((await ctl(['get', 'short'])).stdout !== '' && Date.now() - start < 5000) await new Promise((r) => setTimeout(r, 100));
    expect((await ctl(['get', 'short'])).stdout).toBe('');
    expect((await ctl(['lease', 'timetolive', id])).stdout.trim()).toBe(`lease ${id} already expired`);
  });

  test('etcdctl lock excludes a second holder until the first releases (sessions, txn, watch)', async () => {
    const holder = new CtlProcess(s.endpoint, ['lock', 'mylock', 'sleep', '1']);
    await new Promise((r) => setTimeout(r, 400));
    const start = Date.now();
    const second = await ctl(['lock', 'mylock', 'echo', 'second']);
    const waitedMs = Date.now() - start;
    expect(await holder.exited).toBe(0);
    expect(second.stdout.trim()).toBe('second');
    expect(waitedMs).toBeGreaterThan(300);
  });

  test('etcdctl elect: the campaigner is seen as leader by an observer', async () => {
    const campaigner = new CtlProcess(s.endpoint, ['elect', 'myelection', 'leader-a']);
    try {
      await campaigner.waitFor((out) => out.includes('leader-a'));
      // `elect -l` keeps observing: read its first answer, then stop it.
      const observer = new CtlProcess(s.endpoint, ['elect', '-l', 'myelection']);
      await observer.waitFor((out) => out.includes('leader-a'));
      observer.kill();
      expect(observer.stdout).toMatch(/^myelection\/[0-9a-f]+\nleader-a\n/);
    } finally {
      campaigner.kill();
    }
  });
});

describe.skipIf(ETCDCTL === undefined)('etcdctl watch across a server restart', () => {
  test('the watch resumes after the connection drops: nothing missed, nothing repeated', async () => {
    const { MemoryEtcdBackend } = await import('../../../src/api/etcd/memory-backend.js');
    const { EtcdGrpcServer } = await import('../../../src/api/etcd/server.js');
    const backend = new MemoryEtcdBackend();
    let server = await EtcdGrpcServer.start({ backend, listenUrls: ['http://127.0.0.1:0'] });
    const endpoint = server.addresses[0] as string;
    const w = new CtlProcess(endpoint, ['watch', 'r/', '--prefix']);
    try {
      await new Promise((r) => setTimeout(r, 300));
      await backend.put({ key: Buffer.from('r/1'), value: Buffer.from('a') });
      await w.waitFor((out) => out.includes('r/1'));
      await server.stop(0);
      // Changes while the client is cut off are replayed from its last revision on reconnect.
      await backend.put({ key: Buffer.from('r/2'), value: Buffer.from('b') });
      server = await EtcdGrpcServer.start({ backend, listenUrls: [`http://${endpoint}`] });
      await backend.put({ key: Buffer.from('r/3'), value: Buffer.from('c') });
      await w.waitFor((out) => out.includes('r/3'), 10_000);
      expect(w.stdout).toBe('PUT\nr/1\na\nPUT\nr/2\nb\nPUT\nr/3\nc\n');
    } finally {
      w.kill();
      await server.stop(100);
      backend.close();
    }
  });
});
