import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { readSnapshotFile } from '../../../src/api/etcd/snapshot-file.js';
import { ETCD_COMPAT_VERSION } from '../../../src/api/etcd/version.js';
import { KvStore } from '../../../src/kv/store.js';
import { CtlProcess, ETCDCTL, etcdctl } from './etcdctl.js';
import { type Served, serveMemory } from './serve-memory.js';
import { MemoryEtcdBackend } from '../../../src/api/etcd/memory-backend.js';
import { EtcdGrpcServer } from '../../../src/api/etcd/server.js';
import type { NodeStatus } from '../../../src/server/service.js';

describe.skipIf(ETCDCTL === undefined)('etcdctl maintenance against the memory backend', () => {
  let s: Served;
  let dir: string;
  const ctl = (args: string[], input?: string) => etcdctl(s.endpoint, args, input);

  beforeAll(async () => {
    s = await serveMemory();
    dir = mkdtempSync(join(tmpdir(), 'nines-etcd-'));
  });
  afterAll(async () => {
    await s.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('endpoint status -w json: version, leader, raft index and term, db size', async () => {
    await ctl(['put', 'a', '1']);
    const r = await ctl(['endpoint', 'status', '-w', 'json']);
    const st = JSON.parse(r.stdout)[0].Status;
    const ns = s.backend.status();
    expect(st.version).toBe(ETCD_COMPAT_VERSION);
    expect(st.leader).toBe(Number.parseInt(ns.memberId, 16));
    expect(st.header.member_id).toBe(st.leader);
    expect(st.raftIndex).toBe(ns.commitIndex);
    expect(st.raftAppliedIndex).toBe(ns.appliedIndex);
    expect(st.raftTerm).toBe(1);
    expect(st.dbSize).toBeGreaterThan(0);
    expect(st.dbSizeInUse).toBeGreaterThan(0);
    const table = await ctl(['endpoint', 'status']);
    expect(table.stdout).toContain(`${s.endpoint}, ${Number.parseInt(ns.memberId, 16).toString(16)}, ${ETCD_COMPAT_VERSION},`);
  });

  test('endpoint health, hashkv, defrag, member list', async () => {
    // etcdctl 3.4 prints health to stderr (as against etcd).
    const health = await ctl(['endpoint', 'health']);
    expect(health.code).toBe(0);
    expect(health.stderr).toContain(`${s.endpoint} is healthy: successfully committed proposal`);
    const h = JSON.parse((await ctl(['endpoint', 'hashkv', '-w', 'json'])).stdout)[0].HashKV;
    expect(h.hash).toBe(s.backend.store.hashKv().hash);
    expect((await ctl(['defrag'])).stdout).toContain('Finished defragmenting etcd member');
    const members = JSON.parse((await ctl(['member', 'list', '-w', 'json'])).stdout).members;
    expect(members).toHaveLength(1);
    expect(members[0].name).toBe('memory');
    const move = await ctl(['move-leader', '1234']);
    expect(move.stderr).toContain('Error: etcdserver: bad leader transferee');
  });

  test('snapshot save writes a file nines can restore to the same state', async () => {
    for (let i = 0; i < 50; i++) await s.backend.put({ key: Buffer.from(`snap/${i}`), value: Buffer.alloc(2000, i) });
    const path = join(dir, 'snap.db');
    const r = await ctl(['snapshot', 'save', path]);
    expect(r.stdout).toContain(`Snapshot saved at ${path}`);
    const restored = KvStore.restore(readSnapshotFile(readFileSync(path)));
    expect(restored.hash()).toEqual(s.backend.store.hash());
    // And served again: a new backend from the file answers with the saved data.
    const back = MemoryEtcdBackend.fromSnapshotFile(readFileSync(path));
    const server = await EtcdGrpcServer.start({ backend: back, listenUrls: ['http://127.0.0.1:0'] });
    try {
      const got = await etcdctl(server.addresses[0] as string, ['get', 'snap/7', '--print-value-only']);
      expect(got.stdout).toBe(`${Buffer.alloc(2000, 7).toString()}\n`);
      expect((await etcdctl(server.addresses[0] as string, ['put', 'after', 'restore'])).stdout.trim()).toBe('OK');
      expect(back.store.revision).toBe(s.backend.store.revision + 1);
    } finally {
      await server.stop(100);
      back.close();
    }
    const damaged = readFileSync(path);
    damaged[100] = (damaged[100] as number) ^ 0xff;
    expect(() => readSnapshotFile(damaged)).toThrow(/SHA-256 mismatch/);
  });
});

describe.skipIf(ETCDCTL === undefined)('NOSPACE past the quota and no-leader refusals', () => {
  test('writes past --quota-backend-bytes raise NOSPACE; reads and deletes still work; disarm', async () => {
    const s = await serveMemory({ quotaBackendBytes: 64 * 1024 });
    try {
      const big = 'x'.repeat(20_000);
      let refused: string | undefined;
      for (let i = 0; i < 10 && refused === undefined; i++) {
        const r = await etcdctl(s.endpoint, ['put', `big/${i}`, big]);
        if (r.code !== 0) refused = r.stderr;
      }
      expect(refused).toContain('etcdserver: mvcc: database space exceeded');
      const alarms = await etcdctl(s.endpoint, ['alarm', 'list']);
      expect(alarms.stdout.trim()).toBe(`memberID:${Number.parseInt(s.backend.status().memberId, 16)} alarm:NOSPACE`);
      expect((await etcdctl(s.endpoint, ['get', 'big/0'])).code).toBe(0);
      expect((await etcdctl(s.endpoint, ['del', 'big/', '--prefix'])).code).toBe(0);
      expect((await etcdctl(s.endpoint, ['endpoint', 'status', '-w', 'json'])).stdout).toContain('alarm:NOSPACE');
      const rev = s.backend.store.revision;
      await etcdctl(s.endpoint, ['compact', String(rev)]);
      await etcdctl(s.endpoint, ['defrag']);
      await etcdctl(s.endpoint, ['alarm', 'disarm']);
      expect((await etcdctl(s.endpoint, ['alarm', 'list'])).stdout.trim()).toBe('');
      expect((await etcdctl(s.endpoint, ['put', 'small', 'v'])).stdout.trim()).toBe('OK');
    } finally {
      await s.stop();
    }
  });

  test('a watch that requires a leader fails with "etcdserver: no leader" when there is none or it is lost', async () => {
    class Leaderless extends MemoryEtcdBackend {
      hasLeader = false;
      override status(): NodeStatus {
        return this.hasLeader ? super.status() : { ...super.status(), leader: '', role: 'candidate' };
      }
    }
    const backend = new Leaderless();
    const server = await EtcdGrpcServer.start({ backend, listenUrls: ['http://127.0.0.1:0'], watch: { leaderCheckIntervalMs: 50 } });
    const endpoint = server.addresses[0] as string;
    const timeout = () => new Promise<number>((r) => setTimeout(() => r(-99), 8000));
    try {
      const w = new CtlProcess(endpoint, ['watch', 'k']);
      const code = await Promise.race([w.exited, timeout()]);
      w.kill();
      expect(code).not.toBe(-99);
      expect(w.stdout + w.stderr).toContain('etcdserver: no leader');
      // With a leader the watch runs; losing it ends the stream with the same error.
      backend.hasLeader = true;
      const live = new CtlProcess(endpoint, ['watch', 'k']);
      await new Promise((r) => setTimeout(r, 300));
      await backend.put({ key: Buffer.from('k'), value: Buffer.from('v') });
      await live.waitFor((out) => out.includes('PUT\nk\nv\n'));
      backend.hasLeader = false;
      const liveCode = await Promise.race([live.exited, timeout()]);
      live.kill();
      expect(liveCode).not.toBe(-99);
      expect(live.stdout + live.stderr).toContain('etcdserver: no leader');
    } finally {
      await server.stop(100);
      backend.close();
    }
  });
});
