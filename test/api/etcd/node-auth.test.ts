import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { sleep, TestCluster } from '../../server/harness.js';
import { ETCDCTL, etcdctl } from './etcdctl.js';

/**
 * etcd auth replicated through raft on a real 3-member nines cluster, driven by etcdctl 3.4:
 * users and roles made through one member hold on every member, and survive a restart of the
 * whole cluster (from snapshots taken every 5 entries, which carry the auth state).
 */
describe.skipIf(ETCDCTL === undefined)('etcdctl auth on a real cluster', () => {
  let cluster: TestCluster;
  const ep = (i: number): string => (cluster.members[i]?.clientUrl ?? '').replace('http://', '');
  const as = (i: number, user: string, args: string[]) => etcdctl(ep(i), args, undefined, ['--user', user]);

  async function eventually<T extends { stdout: string; stderr: string }>(fn: () => Promise<T>, ok: (t: T) => boolean, timeoutMs = 20_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const v = await fn();
      if (ok(v) || Date.now() > deadline) return v;
      await sleep(200);
    }
  }

  beforeAll(async () => {
    // Snapshots every 5 entries: the restart recovers from a snapshot (kv + auth + members).
    cluster = await TestCluster.create({ nodes: 3, extraArgs: ['--snapshot-count', '5'] });
    await cluster.startAll();
    await cluster.waitLeader();
  }, 60_000);
  afterAll(async () => {
    await cluster.cleanup();
  });

  test('users, roles and auth enable through one member hold on every member', async () => {
    expect((await etcdctl(ep(0), ['put', 'app/x', '1'])).code).toBe(0);
    expect((await etcdctl(ep(0), ['put', 'secret', 's'])).code).toBe(0);
    expect((await etcdctl(ep(1), ['user', 'add', 'root:rootpw'])).stdout.trim()).toBe('User root created');
    expect((await etcdctl(ep(2), ['user', 'add', 'root:again'])).stderr).toContain('etcdserver: user name already exists');
    expect((await etcdctl(ep(2), ['user', 'add', 'app:apppw'])).stdout.trim()).toBe('User app created');
    expect((await etcdctl(ep(0), ['role', 'add', 'reader'])).stdout.trim()).toBe('Role reader created');
    expect((await etcdctl(ep(0), ['role', 'grant-permission', 'reader', 'read', 'app/', '--prefix'])).code).toBe(0);
    expect((await etcdctl(ep(1), ['user', 'grant-role', 'app', 'reader'])).stdout.trim()).toBe('Role reader is granted to user app');
    expect((await etcdctl(ep(1), ['user', 'grant-role', 'app', 'nosuch'])).stderr).toContain('etcdserver: role name not found');
    expect((await etcdctl(ep(2), ['auth', 'enable'])).stdout.trim()).toBe('Authentication Enabled');
    for (let i = 0; i < 3; i++) {
      // Unauthenticated: refused on every member (once the member has applied the enable).
      const anon = await eventually(() => etcdctl(ep(i), ['get', 'app/x']), (r) => r.stderr.includes('user name is empty'));
      expect(anon.stderr).toContain('etcdserver: user name is empty');
      const ok = await eventually(() => as(i, 'app:apppw', ['get', 'app/x']), (r) => r.stdout !== '');
      expect(ok.stdout).toBe('app/x\n1\n');
      expect((await as(i, 'app:apppw', ['get', 'secret'])).stderr).toContain('etcdserver: permission denied');
      expect((await as(i, 'app:wrong', ['get', 'app/x'])).stderr).toContain('authentication failed');
      expect((await as(i, 'root:rootpw', ['user', 'list'])).stdout).toBe('app\nroot\n');
    }
    expect((await as(0, 'app:apppw', ['put', 'app/x', '2'])).stderr).toContain('etcdserver: permission denied');
  }, 60_000);

  test('the auth state survives a restart of every member', async () => {
    for (let i = 0; i < 3; i++) expect(await cluster.stop(i)).toBe(0);
    for (let i = 0; i < 3; i++) cluster.spawn(i, [...cluster.args(i), '--initial-cluster-state', 'existing']);
    await cluster.waitReady([0, 1, 2]);
    expect(cluster.log(0)).toMatch(/"snapshotIndex":[1-9]/);
    for (let i = 0; i < 3; i++) {
      const ok = await eventually(() => as(i, 'app:apppw', ['get', 'app/x']), (r) => r.stdout !== '');
      expect(ok.stdout).toBe('app/x\n1\n');
      expect((await etcdctl(ep(i), ['get', 'app/x'])).stderr).toContain('etcdserver: user name is empty');
    }
    expect((await as(1, 'root:rootpw', ['role', 'get', 'reader'])).stdout).toContain('[app/, app0) (prefix app/)');
    expect((await as(1, 'root:rootpw', ['auth', 'disable'])).stdout.trim()).toBe('Authentication Disabled');
    const open = await eventually(() => etcdctl(ep(2), ['get', 'app/x']), (r) => r.stdout !== '');
    expect(open.stdout).toBe('app/x\n1\n');
  }, 90_000);
});
