import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, test } from 'vitest';
import { frameSnapshot } from '../../src/api/etcd/snapshot-file.js';
import { encodeCommand } from '../../src/kv/codec.js';
import { KvStore } from '../../src/kv/store.js';
import type { LogIndex } from '../../src/core/ids.js';
import { decodeNodeSnapshot } from '../../src/server/node-snapshot.js';
import { restoreConfig, restoreSnapshot, snapshotFileStatus } from '../../src/server/restore.js';
import { DiskStorage } from '../../src/storage/disk-storage.js';
import { writeClusterFile } from '../../src/server/cluster-file.js';
import { formatId } from '../../src/server/member-id.js';
import { call, clients } from '../api/etcd/grpc-client.js';
import { ETCDCTL, etcdctl } from '../api/etcd/etcdctl.js';
import { mainJs, retrying, sleep, TestCluster } from './harness.js';

const b = (s: string): Buffer => Buffer.from(s);
const work = mkdtempSync(join(tmpdir(), 'nines-restore-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the built `nines` CLI. */
function nines(args: readonly string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [mainJs(), ...args], { timeout: 60_000, encoding: 'utf8' }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1;
      resolve({ code, stdout, stderr });
    });
  });
}

/** A framed snapshot file of a store with `n` keys written through the command log. */
function storeFile(keys: readonly [string, string][]): { file: Uint8Array; kv: KvStore } {
  const kv = new KvStore();
  let index = 1;
  for (const [k, v] of keys) kv.applyEntry(index++ as LogIndex, encodeCommand({ type: 'put', request: { key: b(k), value: b(v) } }, 0));
  return { file: frameSnapshot(kv.serialize()), kv };
}

const members = 'a=http://127.0.0.1:30001,b=http://127.0.0.1:30002,c=http://127.0.0.1:30003';
const peerOf = (name: string): string => members.split(',').find((p) => p.startsWith(`${name}=`))!.slice(name.length + 1);

describe('restore (in process)', () => {
  test('every member restored from one file gets identical raft state, the key space, and its own identity', async () => {
    const { file, kv } = storeFile([
      ['k1', 'v1'],
      ['k2', 'v2'],
      ['k1', 'v3'],
    ]);
    const path = join(work, 'unit.snap');
    writeFileSync(path, file);
    const datas: Uint8Array[] = [];
    for (const name of ['a', 'b', 'c']) {
      const options = { file: path, dataDir: join(work, `unit-${name}`), name, initialCluster: members, initialClusterToken: 'new-token', initialAdvertisePeerUrls: peerOf(name) };
      const result = await restoreSnapshot(options);
      expect(result.revision).toBe(kv.revision);
      const config = restoreConfig(options);
      expect(result.memberId).toBe(formatId(config.memberId));
      const storage = await DiskStorage.open(options.dataDir, { clusterId: formatId(config.clusterId), nodeId: config.memberId, nodeName: name, probe: false });
      try {
        const snap = storage.snapshot();
        const { hardState, confState } = storage.initialState();
        expect(snap.metadata.index).toBe(result.snapshotIndex);
        expect(snap.metadata.index).toBeGreaterThanOrEqual(Math.max(3, kv.consistentIndex));
        expect(hardState).toEqual({ term: 1, vote: 0, commit: snap.metadata.index });
        expect([...confState.voters].sort()).toEqual(config.members.map((m) => m.id).sort());
        const restored = KvStore.restore(decodeNodeSnapshot(snap.data).kv);
        expect(restored.hashKv(0).hash).toBe(kv.hashKv(0).hash);
        expect(restored.revision).toBe(kv.revision);
        datas.push(snap.data);
      } finally {
        await storage.close();
      }
    }
    expect(Buffer.from(datas[1]!).equals(Buffer.from(datas[0]!))).toBe(true);
    expect(Buffer.from(datas[2]!).equals(Buffer.from(datas[0]!))).toBe(true);
  });

  test('status reports revision, live keys and the HashKV of any key space', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.constantFrom('a', 'b', 'c', 'd', 'e'), fc.string({ maxLength: 8 })), { maxLength: 20 }), (pairs) => {
        const { file, kv } = storeFile(pairs);
        const path = join(work, 'prop.snap');
        writeFileSync(path, file);
        const s = snapshotFileStatus(path);
        expect(s.revision).toBe(pairs.length + 1);
        expect(s.totalKeys).toBe(new Set(pairs.map(([k]) => k)).size);
        expect(s.hash).toBe(kv.hashKv(0).hash >>> 0);
        expect(s.totalSizeBytes).toBe(file.length);
      }),
      { numRuns: 30 },
    );
  });

  test('a damaged or foreign file is refused before anything is written; --skip-hash-check skips only the SHA-256', async () => {
    const { file } = storeFile([['k', 'v']]);
    const damaged = Buffer.from(file);
    damaged[20] = damaged[20]! ^ 0xff;
    const shaOnly = Buffer.from(file);
    shaOnly[shaOnly.length - 1] = shaOnly[shaOnly.length - 1]! ^ 0xff;
    const cases: [string, Uint8Array, RegExp][] = [
      ['damaged.snap', damaged, /SHA-256 mismatch/],
      ['foreign.snap', Buffer.alloc(4096 + 32, 7), /not a nines snapshot|SHA-256/],
      ['short.snap', Buffer.from('hello'), /not a nines snapshot/],
    ];
    for (const [name, bytes, why] of cases) {
      const path = join(work, name);
      writeFileSync(path, bytes);
      const dataDir = join(work, `refused-${name}`);
      await expect(restoreSnapshot({ file: path, dataDir, name: 'a', initialCluster: members, initialClusterToken: 't', initialAdvertisePeerUrls: peerOf('a') })).rejects.toThrow(why);
      expect(existsSync(dataDir)).toBe(false);
    }
    const shaPath = join(work, 'sha-only.snap');
    writeFileSync(shaPath, shaOnly);
    const base = { file: shaPath, name: 'a', initialCluster: members, initialClusterToken: 't', initialAdvertisePeerUrls: peerOf('a') };
    await expect(restoreSnapshot({ ...base, dataDir: join(work, 'sha-a') })).rejects.toThrow(/SHA-256/);
    const ok = await restoreSnapshot({ ...base, dataDir: join(work, 'sha-b'), skipHashCheck: true });
    expect(ok.revision).toBe(2);
    // The payload's own checksum is still checked with --skip-hash-check.
    const payloadHit = Buffer.from(damaged);
    writeFileSync(join(work, 'payload.snap'), payloadHit);
    await expect(restoreSnapshot({ ...base, file: join(work, 'payload.snap'), dataDir: join(work, 'sha-c'), skipHashCheck: true })).rejects.toThrow();
    expect(existsSync(join(work, 'sha-c'))).toBe(false);
  });

  test('a non-empty data dir is refused and left as it was; an empty one is used', async () => {
    const { file } = storeFile([['k', 'v']]);
    const path = join(work, 'target.snap');
    writeFileSync(path, file);
    const full = join(work, 'full');
    mkdirSync(full);
    writeFileSync(join(full, 'keep'), 'x');
    const base = { file: path, name: 'a', initialCluster: members, initialClusterToken: 't', initialAdvertisePeerUrls: peerOf('a') };
    await expect(restoreSnapshot({ ...base, dataDir: full })).rejects.toThrow(/not empty/);
    expect(readFileSync(join(full, 'keep'), 'utf8')).toBe('x');
    const empty = join(work, 'empty');
    mkdirSync(empty);
    await restoreSnapshot({ ...base, dataDir: empty });
    expect(existsSync(join(empty, 'member'))).toBe(true);
    await expect(restoreSnapshot({ ...base, dataDir: join(work, 'x'), name: 'zz' })).rejects.toThrow(/--initial-cluster/);
  });
});

type Kv = { key: Buffer; value: Buffer; mod_revision: string; lease: string };

describe('save, stop, restore into a new cluster (real processes)', () => {
  test('3 members: saved key space and lease come back at the same revision on every member, and writes continue', async () => {
    const old = await TestCluster.create({ nodes: 3 });
    const fresh = await TestCluster.create({ nodes: 3, token: `restored-${Date.now()}` });
    try {
      await old.startAll();
      await old.waitLeader();
      const c = clients(old.members[0]!.clientUrl.replace('http://', ''));
      const lease = await retrying(() => call(c.Lease, 'LeaseGrant', { TTL: 600, ID: 0 }));
      const leaseId = String(lease.ID);
      for (let i = 0; i < 20; i++) await retrying(() => call(c.KV, 'Put', { key: b(`key-${i}`), value: b(`value-${i}`) }));
      await retrying(() => call(c.KV, 'Put', { key: b('leased'), value: b('x'), lease: leaseId }));
      await retrying(() => call(c.KV, 'DeleteRange', { key: b('key-0') }));
      // Raise the applied raft index well past what a new cluster reaches on its own.
      for (let round = 0; round < 15; round++) {
        await Promise.all(Array.from({ length: 10 }, (_, j) => retrying(() => call(c.KV, 'Put', { key: b(`bulk-${j}`), value: b(`${round}`) }))));
      }
      const before = await call(c.KV, 'Range', { key: b('\0'), range_end: b('\0') });
      const revision = Number((before.header as { revision: string }).revision);
      c.close();

      const saved = join(old.dir, 'nines.snap');
      // Endpoints from a `nines up` cluster file; the first is dead, so save falls back to the next member.
      const upDir = join(old.dir, 'up');
      writeClusterFile(join(upDir, 'cluster.json'), {
        members: [
          { name: 'dead', pid: 0, clientUrls: ['http://127.0.0.1:1'], httpUrl: 'http://127.0.0.1:1', peerUrl: 'http://127.0.0.1:1', dataDir: upDir },
          ...old.members.map((m) => ({ name: m.name, pid: 0, clientUrls: [m.clientUrl], httpUrl: m.httpUrl, peerUrl: m.peerUrl, dataDir: m.dataDir })),
        ],
      });
      const run = await nines(['snapshot', 'save', saved, '--data-dir', upDir, '--json']);
      expect(run.stderr).toMatch(/saving from/);
      expect(run.code, run.stderr).toBe(0);
      const out = JSON.parse(run.stdout) as { revision: number; totalKeys: number; endpoint: string };
      expect(out).toMatchObject({ revision, totalKeys: 30, endpoint: old.members[0]!.clientUrl });
      expect(existsSync(`${saved}.part`)).toBe(false);
      const table = await nines(['snapshot', 'status', saved]);
      expect(table.stdout).toMatch(new RegExp(`HASH\\s+REVISION\\s+TOTAL KEYS\\s+TOTAL SIZE\\n[0-9a-f]{8}\\s+${revision}\\s+30\\s+`));
      let restoreFrom = saved;
      if (ETCDCTL !== undefined) {
        const ctlFile = join(old.dir, 'etcdctl.snap');
        const r = await etcdctl(old.members[2]!.clientUrl, ['snapshot', 'save', ctlFile]);
        expect(r.code, r.stderr).toBe(0);
        const ctlStatus = await nines(['snapshot', 'status', ctlFile, '--json']);
        expect(ctlStatus.code, ctlStatus.stderr).toBe(0);
        const ninesStatus = await nines(['snapshot', 'status', saved, '--json']);
        const [s1, s2] = [JSON.parse(ctlStatus.stdout), JSON.parse(ninesStatus.stdout)] as { hash: number; revision: number; totalKeys: number }[];
        expect(s1).toMatchObject({ revision, totalKeys: 30, hash: s2!.hash });
        restoreFrom = ctlFile;
      }
      const status = JSON.parse((await nines(['snapshot', 'status', restoreFrom, '--json'])).stdout) as { hash: number };
      for (const i of [0, 1, 2]) expect(await old.stop(i)).toBe(0);

      const initialCluster = fresh.members.map((m) => `${m.name}=${m.peerUrl}`).join(',');
      for (const [i, m] of fresh.members.entries()) {
        const r = await nines([
          'snapshot', 'restore', restoreFrom, '--data-dir', m.dataDir, '--name', m.name, '--initial-cluster', initialCluster,
          '--initial-cluster-token', fresh.token, '--initial-advertise-peer-urls', m.peerUrl,
        ]);
        expect(r.code, `member ${i}: ${r.stderr}`).toBe(0);
        expect(r.stdout).toMatch(/nines start --name/);
      }
      // Restoring over a member's (now non-empty) data dir is refused.
      const again = await nines(['snapshot', 'restore', restoreFrom, '--data-dir', fresh.members[0]!.dataDir, '--name', 'n1', '--initial-cluster', initialCluster, '--initial-cluster-token', fresh.token, '--initial-advertise-peer-urls', fresh.members[0]!.peerUrl]);
      expect(again.code).toBe(2);
      expect(again.stderr).toMatch(/not empty/);

      const saved0 = JSON.parse((await nines(['snapshot', 'status', restoreFrom, '--json'])).stdout) as { appliedIndex: number };
      expect(saved0.appliedIndex).toBeGreaterThan(150);
      await fresh.startAll();
      await fresh.waitLeader();
      for (const m of fresh.members) {
        const cm = clients(m.clientUrl.replace('http://', ''));
        try {
          const r = await call(cm.KV, 'Range', { key: b('\0'), range_end: b('\0'), serializable: true });
          expect(Number((r.header as { revision: string }).revision)).toBe(revision);
          const kvs = r.kvs as Kv[];
          expect(kvs.map((kv) => kv.key.toString()).sort()).toEqual(before.kvs ? (before.kvs as Kv[]).map((kv) => kv.key.toString()).sort() : []);
          expect(kvs.find((kv) => kv.key.toString() === 'key-7')?.value.toString()).toBe('value-7');
          expect(kvs.find((kv) => kv.key.toString() === 'leased')?.lease).toBe(leaseId);
          const h = await call(cm.Maintenance, 'HashKV', { revision: String(revision) });
          expect(Number(h.hash)).toBe(status.hash);
        } finally {
          cm.close();
        }
      }
      const cn = clients(fresh.members[2]!.clientUrl.replace('http://', ''));
      try {
        const ttl = await retrying(() => call(cn.Lease, 'LeaseTimeToLive', { ID: leaseId, keys: true }));
        expect(Number(ttl.TTL)).toBeGreaterThan(0);
        expect((ttl.keys as Buffer[]).map(String)).toEqual(['leased']);
        // Each write applies at once and raises the revision by one (none is taken for replayed log).
        for (let i = 1; i <= 5; i++) {
          const put = await retrying(() => call(cn.KV, 'Put', { key: b('after'), value: b('restore') }), 3000);
          expect(Number((put.header as { revision: string }).revision)).toBe(revision + i);
        }
        // The write reaches every member.
        for (const m of fresh.members) {
          const cm = clients(m.clientUrl.replace('http://', ''));
          try {
            let got: Kv[] = [];
            for (let t = 0; t < 50 && got.length === 0; t++) {
              got = (await call(cm.KV, 'Range', { key: b('after'), serializable: true })).kvs as Kv[];
              if (got.length === 0) await sleep(100);
            }
            expect(got[0]?.value.toString()).toBe('restore');
          } finally {
            cm.close();
          }
        }
      } finally {
        cn.close();
      }
    } finally {
      await old.cleanup();
      await fresh.cleanup();
    }
  });

  test('the CLI names a corrupt file and leaves no data dir behind', async () => {
    const { file } = storeFile([['k', 'v']]);
    const bad = Buffer.from(file);
    bad[30] = bad[30]! ^ 1;
    const path = join(work, 'cli-bad.snap');
    writeFileSync(path, bad);
    const dataDir = join(work, 'cli-bad-dir');
    const r = await nines(['snapshot', 'restore', path, '--data-dir', dataDir, '--name', 'a', '--initial-cluster', members, '--initial-advertise-peer-urls', peerOf('a')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/cli-bad\.snap: SHA-256 mismatch/);
    expect(existsSync(dataDir)).toBe(false);
    const s = await nines(['snapshot', 'status', path]);
    expect(s.code).toBe(2);
    expect(s.stderr).toMatch(/SHA-256 mismatch/);
  });
});
