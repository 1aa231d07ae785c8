import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { sleep, TestCluster } from '../../server/harness.js';
import { ETCDCTL, etcdctl } from './etcdctl.js';

/**
 * etcd's quota and NOSPACE alarm on a real 3-member nines cluster (etcdctl 3.4): past
 * --quota-backend-bytes the alarm is raised through raft, puts, transactions with puts and
 * lease grants are refused on every member with etcd's error, and after compaction and
 * defragmentation `alarm disarm` lets writes through again.
 */
describe.skipIf(ETCDCTL === undefined)('etcdctl alarms and quota on a real cluster', () => {
  let cluster: TestCluster;
  const ep = (i: number): string => (cluster.members[i]?.clientUrl ?? '').replace('http://', '');
  const NOSPACE = 'etcdserver: mvcc: database space exceeded';

  beforeAll(async () => {
    cluster = await TestCluster.create({ nodes: 3, extraArgs: ['--quota-backend-bytes', '40000'] });
    await cluster.startAll();
    await cluster.waitLeader();
  }, 60_000);
  afterAll(async () => {
    await cluster.cleanup();
  });

  test('NOSPACE past the quota, refused writes everywhere, disarm after compaction and defrag', async () => {
    expect((await etcdctl(ep(0), ['alarm', 'list'])).stdout).toBe('');
    const big = 'x'.repeat(15_000);
    let refused = '';
    let rev = 0;
    for (let k = 0; k < 6 && refused === ''; k++) {
      const r = await etcdctl(ep(0), ['put', 'big', big, '-w', 'json']);
      if (r.code === 0) rev = Number((JSON.parse(r.stdout) as { header: { revision: string | number } }).header.revision);
      else refused = r.stderr;
    }
    expect(refused).toContain(NOSPACE);
    expect(rev).toBeGreaterThan(1);
    for (let i = 0; i < 3; i++) {
      let list = '';
      for (let t = 0; t < 50 && !list.includes('NOSPACE'); t++) {
        list = (await etcdctl(ep(i), ['alarm', 'list'])).stdout;
        if (!list.includes('NOSPACE')) await sleep(100);
      }
      expect(list).toMatch(/memberID:\d+ alarm:NOSPACE/);
      // Even a tiny write is refused while the alarm is raised; reads and deletes go on.
      expect((await etcdctl(ep(i), ['put', 'small', 'v'])).stderr).toContain(NOSPACE);
      expect((await etcdctl(ep(i), ['lease', 'grant', '60'])).stderr).toContain(NOSPACE);
      expect((await etcdctl(ep(i), ['get', 'big', '--print-value-only'])).stdout.trim()).toBe(big);
    }
    const txn = await etcdctl(ep(1), ['txn'], 'value("big") = "nope"\n\nput t 1\n\n\n');
    expect(txn.stderr).toContain(NOSPACE);
    const status = await etcdctl(ep(2), ['endpoint', 'status', '-w', 'json']);
    expect(status.stdout).toContain('NOSPACE');

    // Free space: compact away the old revisions, defragment, disarm.
    expect((await etcdctl(ep(0), ['compact', String(rev)])).code).toBe(0);
    expect((await etcdctl(ep(0), ['defrag'])).code).toBe(0);
    const disarm = await etcdctl(ep(0), ['alarm', 'disarm']);
    expect(disarm.code, disarm.stderr).toBe(0);
    expect(disarm.stdout).toMatch(/alarm:NOSPACE/);
    for (let i = 0; i < 3; i++) {
      let put = await etcdctl(ep(i), ['put', `small${i}`, 'v']);
      for (let t = 0; t < 50 && put.code !== 0; t++) {
        await sleep(100);
        put = await etcdctl(ep(i), ['put', `small${i}`, 'v']);
      }
      expect(put.stdout.trim(), put.stderr).toBe('OK');
    }
    expect((await etcdctl(ep(1), ['alarm', 'list'])).stdout).toBe('');
  }, 90_000);
});
