import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { readSnapshotFile } from '../../../src/api/etcd/snapshot-file.js';
import { ETCD_COMPAT_VERSION } from '../../../src/api/etcd/version.js';
import { KvStore } from '../../../src/kv/store.js';
import { sleep, TestCluster } from '../../server/harness.js';
import { CtlProcess, ETCDCTL, etcdctl } from './etcdctl.js';

/**
 * End to end: the real etcdctl against a real 3-member nines cluster (`nines start`
 * processes on 127.0.0.1; needs the built CLI in dist/).
 */
describe.skipIf(ETCDCTL === undefined)('etcdctl against a 3-member nines cluster', () => {
  let cluster: TestCluster;
  let all: string;
  const ep = (i: number): string => (cluster.members[i]?.clientUrl ?? '').replace('http://', '');
  const ctl = (endpoints: string, args: string[], input?: string) => etcdctl(endpoints, args, input);

  /** Retries a command while the cluster elects (no leader / timed out / unavailable). */
  async function eventually(endpoints: string, args: string[], ok: (r: { code: number; stdout: string }) => boolean, timeoutMs = 15_000) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const r = await ctl(endpoints, args);
      if (ok(r) || Date.now() > deadline) return r;
      await sleep(200);
    }
  }

  beforeAll(async () => {
    cluster = await TestCluster.create({ nodes: 3 });
    await cluster.startAll();
    await cluster.waitLeader();
    all = cluster.members.map((_, i) => ep(i)).join(',');
  });
  afterAll(async () => {
    await cluster.cleanup();
  });

  test('member list and endpoint status --cluster: three members, one leader, etcd version', async () => {
    const members = JSON.parse((await ctl(all, ['member', 'list', '-w', 'json'])).stdout).members as { name: string; clientURLs: string[] }[];
    expect(members.map((m) => m.name).sort()).toEqual(['n1', 'n2', 'n3']);
    for (const m of members) expect(m.clientURLs).toEqual([ep(cluster.members.findIndex((x) => x.name === m.name))]);
    const status = JSON.parse((await ctl(ep(0), ['endpoint', 'status', '--cluster', '-w', 'json'])).stdout) as {
      Status: { version: string; leader: number; header: { member_id: number; cluster_id: number } };
    }[];
    expect(status).toHaveLength(3);
    expect(new Set(status.map((s) => s.Status.leader)).size).toBe(1);
    expect(status.filter((s) => s.Status.leader === s.Status.header.member_id)).toHaveLength(1);
    expect(new Set(status.map((s) => s.Status.header.cluster_id)).size).toBe(1);
    for (const s of status) expect(s.Status.version).toBe(ETCD_COMPAT_VERSION);
    const health = await ctl(ep(0), ['endpoint', 'health', '--cluster']);
    expect(health.code).toBe(0);
    expect(health.stderr.match(/is healthy/g)).toHaveLength(3);
  });

  test('a write through one member is read through every member; hashkv agrees', async () => {
    expect((await ctl(ep(0), ['put', 'e2e/k', 'v1'])).stdout.trim()).toBe('OK');
    for (let i = 0; i < 3; i++) expect((await ctl(ep(i), ['get', 'e2e/k'])).stdout).toBe('e2e/k\nv1\n');
    const txn = await ctl(ep(1), ['txn'], 'value("e2e/k") = "v1"\n\nput e2e/k v2\n\nput e2e/k lost\n\n');
    expect(txn.stdout.startsWith('SUCCESS')).toBe(true);
    expect((await ctl(ep(2), ['get', 'e2e/k', '--print-value-only'])).stdout).toBe('v2\n');
    const hashes = await eventually(ep(0), ['endpoint', 'hashkv', '--cluster', '-w', 'json'], (r) => {
      try {
        const h = JSON.parse(r.stdout) as { HashKV: { hash: number } }[];
        return h.length === 3 && new Set(h.map((x) => x.HashKV.hash)).size === 1;
      } catch {
        return false;
      }
    });
    expect(new Set((JSON.parse(hashes.stdout) as { HashKV: { hash: number } }[]).map((x) => x.HashKV.hash)).size).toBe(1);
  });

  test('watch on one member sees writes made through another; leases work across members', async () => {
    const w = new CtlProcess(ep(1), ['watch', 'e2e/w', '--prev-kv']);
    try {
      await sleep(300);
      await ctl(ep(2), ['put', 'e2e/w', 'a']);
      await ctl(ep(0), ['put', 'e2e/w', 'b']);
      await w.waitFor((out) => out.includes('e2e/w\nb\n'));
      expect(w.stdout).toBe('PUT\ne2e/w\na\nPUT\ne2e/w\na\ne2e/w\nb\n');
    } finally {
      w.kill();
    }
    const g = await ctl(ep(0), ['lease', 'grant', '60']);
    const id = (/lease ([0-9a-f]+) granted/.exec(g.stdout) as RegExpExecArray)[1] as string;
    await ctl(ep(1), ['put', 'e2e/l', 'x', `--lease=${id}`]);
    expect((await ctl(ep(2), ['lease', 'timetolive', id, '--keys'])).stdout).toContain('attached keys([e2e/l])');
    expect((await ctl(ep(2), ['lease', 'keep-alive', '--once', id])).stdout.trim()).toBe(`lease ${id} keepalived with TTL(60)`);
    expect((await ctl(ep(1), ['lease', 'list'])).stdout).toContain(id);
    expect((await ctl(ep(2), ['lease', 'revoke', id])).stdout.trim()).toBe(`lease ${id} revoked`);
    expect((await ctl(ep(0), ['get', 'e2e/l'])).stdout).toBe('');
    expect((await ctl(ep(0), ['lease', 'revoke', id])).stderr).toContain('etcdserver: requested lease not found');
  });

  test('compaction errors and snapshot save from one member', async () => {
    const rev = JSON.parse((await ctl(ep(0), ['get', 'e2e/k', '-w', 'json'])).stdout).header.revision as number;
    expect((await ctl(ep(0), ['compact', String(rev - 1)])).stdout.trim()).toBe(`compacted revision ${rev - 1}`);
    expect((await ctl(ep(1), ['get', 'e2e/k', '--rev', '2'])).stderr).toContain('etcdserver: mvcc: required revision has been compacted');
    expect((await ctl(ep(2), ['get', 'e2e/k', '--rev', String(rev + 1000)])).stderr).toContain('required revision is a future revision');
    const dir = mkdtempSync(join(tmpdir(), 'nines-snap-'));
    try {
      const path = join(dir, 'snap.db');
      expect((await ctl(ep(1), ['snapshot', 'save', path])).stdout).toContain('Snapshot saved');
      const restored = KvStore.restore(readSnapshotFile(readFileSync(path)));
      expect(Buffer.from(restored.range({ key: Buffer.from('e2e/k') }).kvs[0]?.value ?? []).toString()).toBe('v2');
      expect(restored.compactRevision).toBe(rev - 1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('move-leader hands leadership to a follower', async () => {
    const before = cluster.members[await cluster.waitLeader()]?.name;
    const status = JSON.parse((await ctl(all, ['endpoint', 'status', '-w', 'json'])).stdout) as { Status: { header: { member_id: number }; leader: number } }[];
    const follower = status.find((s) => s.Status.header.member_id !== s.Status.leader)?.Status.header.member_id as number;
    const r = await ctl(all, ['move-leader', follower.toString(16)]);
    expect(r.stdout).toContain(`to ${follower.toString(16)}`);
    const after = cluster.members[await cluster.waitLeader()]?.name;
    expect(after).not.toBe(before);
  });

  test('kill -9 the leader: etcdctl with all endpoints keeps working, a watch from a revision misses nothing', async () => {
    const start = JSON.parse((await ctl(all, ['put', 'e2e/f', '0', '-w', 'json'])).stdout).header.revision as number;
    const leader = await cluster.waitLeader();
    await cluster.kill9(leader);
    const survivors = cluster.members.map((_, i) => i).filter((i) => i !== leader);
    const eps = survivors.map(ep).join(',');
    const put = await eventually(eps, ['put', 'e2e/f', '1'], (r) => r.code === 0);
    expect(put.stdout.trim()).toBe('OK');
    await ctl(eps, ['put', 'e2e/f', '2']);
    const w = new CtlProcess(ep(survivors[0] as number), ['watch', 'e2e/f', '--rev', String(start)]);
    try {
      await w.waitFor((out) => out.includes('e2e/f\n2\n'), 10_000);
      expect(w.stdout).toBe('PUT\ne2e/f\n0\nPUT\ne2e/f\n1\nPUT\ne2e/f\n2\n');
    } finally {
      w.kill();
    }
    // With two of three members gone there is no quorum: writes fail with an etcd error.
    await cluster.kill9(survivors[1] as number);
    const lone = ep(survivors[0] as number);
    const r = await ctl(lone, ['put', 'e2e/f', 'no-quorum']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/etcdserver: (no leader|request timed out)|context deadline exceeded/);
    // Hash and HashKV are served from the member's own state, as in etcd: no quorum needed.
    const hk = await ctl(lone, ['endpoint', 'hashkv', '-w', 'json']);
    expect(hk.code, hk.stderr).toBe(0);
    expect(typeof (JSON.parse(hk.stdout) as { HashKV: { hash: number } }[])[0]?.HashKV.hash).toBe('number');
  });
});
