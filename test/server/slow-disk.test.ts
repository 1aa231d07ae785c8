import { afterEach, describe, expect, it } from 'vitest';
import { http, sleep, TestCluster } from './harness.js';

/**
 * A slow disk is not a failure (docs/operations.md, "Slow disks"). With every fsync taking
 * longer than the election timeout (1000 ms here), the ready loop of a member waits that long
 * for each write. Heartbeats made meanwhile must still go out, and so must the followers'
 * answers: otherwise the followers of a slow leader campaign, and a leader with slow
 * followers steps down by check-quorum, although every member is alive.
 *
 * The disks are made slow after the cluster has formed, through the failpoint
 * `storageBeforeSync` switched on at run time (src/core/failpoints.ts): an election itself
 * needs two fsyncs in a row, which a disk slower than the election timeout cannot give.
 */
const SLOW_SYNC_MS = 1_500;
const WRITERS = 8;
const LOAD_MS = 6_000;
const PUT_TIMEOUT_MS = 15_000;

let cluster: TestCluster | undefined;
afterEach(async () => {
  await cluster?.cleanup();
  cluster = undefined;
});

async function startCluster(): Promise<{ c: TestCluster; leader: number }> {
  const c = await TestCluster.create({ nodes: 3 });
  cluster = c;
  // Set (even empty), the variable enables PUT /debug/failpoints.
  for (let i = 0; i < 3; i++) c.spawn(i, c.args(i), { NINES_FAILPOINTS: '' });
  await c.waitReady([0, 1, 2]);
  return { c, leader: await c.waitLeader() };
}

async function setFailpoints(c: TestCluster, i: number, spec: string): Promise<void> {
  const res = await fetch(`${c.members[i]!.httpUrl}/debug/failpoints`, { method: 'PUT', body: spec, signal: AbortSignal.timeout(5000) });
  expect(res.status).toBe(200);
  expect(await res.json()).toEqual({ failpoints: spec });
}

/** Synced writes so far and their total seconds (nines_disk_fsync_duration_seconds). */
async function fsyncs(c: TestCluster, i: number): Promise<{ count: number; sum: number }> {
  const text = await (await fetch(`${c.members[i]!.httpUrl}/metrics`, { signal: AbortSignal.timeout(5000) })).text();
  const value = (name: string): number => Number(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'm').exec(text)?.[1] ?? Number.NaN);
  return { count: value('nines_disk_fsync_duration_seconds_count'), sum: value('nines_disk_fsync_duration_seconds_sum') };
}

/** WRITERS closed loops of puts to the leader for LOAD_MS; counts answers by status. */
async function writeLoad(c: TestCluster, leader: number): Promise<{ ok: number; failed: Record<number, number> }> {
  const out = { ok: 0, failed: {} as Record<number, number> };
  const until = performance.now() + LOAD_MS;
  await Promise.all(
    Array.from({ length: WRITERS }, async (_, w) => {
      for (let n = 0; performance.now() < until; n++) {
        const status = await fetch(`${c.members[leader]!.httpUrl}/v1/kv/slow/${w}/${n}`, {
          method: 'PUT',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ value: 'v' }),
          signal: AbortSignal.timeout(PUT_TIMEOUT_MS),
        }).then(
          async (res) => {
            await res.text();
            return res.status;
          },
          () => 0,
        );
        if (status === 200) out.ok++;
        else out.failed[status] = (out.failed[status] ?? 0) + 1;
      }
    }),
  );
  return out;
}

async function expectStableLeaderUnderLoad(c: TestCluster, leader: number, slow: number[]): Promise<void> {
  const before = await Promise.all([0, 1, 2].map((i) => c.status(i)));
  const syncsBefore = await Promise.all(slow.map((i) => fsyncs(c, i)));
  const result = await writeLoad(c, leader);
  const after = await Promise.all([0, 1, 2].map((i) => c.status(i)));
  const syncsAfter = await Promise.all(slow.map((i) => fsyncs(c, i)));
  const logs = () => c.events();
  // The disks were slow: each slow member made synced writes, each taking the failpoint's sleep
  // (but one, which may have started before the failpoint was set and ended in the window).
  slow.forEach((_, k) => {
    const n = syncsAfter[k]!.count - syncsBefore[k]!.count;
    expect(n, logs()).toBeGreaterThan(1);
    expect(syncsAfter[k]!.sum - syncsBefore[k]!.sum).toBeGreaterThanOrEqual((n - 1) * (SLOW_SYNC_MS / 1000));
  });
  expect(result.ok, logs()).toBeGreaterThan(0);
  expect(result.failed, logs()).toEqual({});
  expect(after[leader]?.role, logs()).toBe('leader');
  expect(after[leader]?.term, logs()).toBe(before[leader]?.term);
  for (let i = 0; i < 3; i++) expect(after[i]?.leaderChanges.length, logs()).toBe(before[i]?.leaderChanges.length);
}

describe('a disk slower than the election timeout', () => {
  it('on the leader: its heartbeats still go out, nobody campaigns, every put succeeds', async () => {
    const { c, leader } = await startCluster();
    await setFailpoints(c, leader, `storageBeforeSync=sleep(${SLOW_SYNC_MS})`);
    await expectStableLeaderUnderLoad(c, leader, [leader]);
  }, 60_000);

  it('on both followers: their answers still go out, the leader keeps its quorum, every put succeeds', async () => {
    const { c, leader } = await startCluster();
    const followers = [0, 1, 2].filter((i) => i !== leader);
    for (const f of followers) await setFailpoints(c, f, `storageBeforeSync=sleep(${SLOW_SYNC_MS})`);
    await expectStableLeaderUnderLoad(c, leader, followers);
  }, 60_000);
});

describe('failpoints are for tests only', () => {
  it('a member started without NINES_FAILPOINTS has no /debug/failpoints; a bad spec is refused', async () => {
    const c = await TestCluster.create({ nodes: 1 });
    cluster = c;
    c.spawn(0);
    await c.waitReady([0]);
    expect((await http(`${c.members[0]!.httpUrl}/debug/failpoints`, 'PUT', 'storageBeforeSync=sleep(10)')).status).toBe(404);
    await c.stop(0);
    // With the variable set: a malformed term at run time is a 400 naming what is accepted.
    c.spawn(0, c.args(0), { NINES_FAILPOINTS: '' });
    await c.waitReady([0]);
    const bad = await http(`${c.members[0]!.httpUrl}/debug/failpoints`, 'PUT', 'storageBeforeSync=pause');
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.json)).toMatch(/name=sleep\(MS\)/);
    expect((await http(`${c.members[0]!.httpUrl}/debug/failpoints`)).json).toEqual({ failpoints: '' });
    await c.stop(0);
    // A typo in the variable refuses to start (exit 2), naming the known failpoints.
    c.spawn(0, c.args(0), { NINES_FAILPOINTS: 'storageBeforSync=sleep(10)' });
    expect(await c.exited(0)).toBe(2);
    await sleep(50);
    expect(c.log(0)).toMatch(/unknown failpoint "storageBeforSync"; known: storageBeforeSync/);
  }, 60_000);
});
