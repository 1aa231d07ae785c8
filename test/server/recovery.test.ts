import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { http, retrying, sleep, TestCluster } from './harness.js';

/** Crash recovery, snapshots and refusals, with real processes on 127.0.0.1. */
describe('recovery', () => {
  let c: TestCluster | undefined;

  afterEach(async () => {
    await c?.cleanup();
    c = undefined;
  });

  it('keeps every acknowledged write when every member is killed with SIGKILL and restarted', async () => {
    c = await TestCluster.create({ nodes: 3 });
    const cluster = c;
    await cluster.startAll();
    await cluster.waitLeader();
    const client = cluster.client();
    const acked = new Map<string, string>();
    let stop = false;
    // Four writers in flight; the kill lands in the middle of their writes.
    const writers = [0, 1, 2, 3].map(async (w) => {
      for (let k = 0; !stop; k++) {
        const key = `crash/${w}/${k}`;
        try {
          await client.put(key, `v${w}-${k}`);
          acked.set(key, `v${w}-${k}`);
        } catch {
          return;
        }
      }
    });
    await sleep(1500);
    for (let i = 0; i < 3; i++) await cluster.kill9(i);
    stop = true;
    await Promise.all(writers);
    expect(acked.size).toBeGreaterThan(10);
    await cluster.startAll();
    await cluster.waitLeader();
    const range = (await retrying(() => cluster.client().range({ key: 'crash/', prefix: true }))) as {
      kvs: { key: string; value: string }[];
    };
    const stored = new Map(range.kvs.map((kv) => [kv.key, kv.value]));
    for (const [key, value] of acked) expect(stored.get(key)).toBe(value);
  }, 90_000);

  it('brings a follower that fell far behind up to date through a snapshot', async () => {
    c = await TestCluster.create({ nodes: 3, extraArgs: ['--snapshot-count', '20'] });
    const cluster = c;
    await cluster.startAll();
    const leader = await cluster.waitLeader();
    const lagger = (leader + 1) % 3;
    expect(await cluster.stop(lagger)).toBe(0);
    const live = [0, 1, 2].filter((i) => i !== lagger);
    const client = cluster.client(live);
    for (let k = 0; k < 120; k++) await retrying(() => client.put(`snap/${k}`, `v${k}`));
    const leaderNow = await cluster.waitLeader(20_000, live);
    const target = (await cluster.status(leaderNow))!;
    expect(target.snapshotIndex).toBeGreaterThan(0);
    cluster.spawn(lagger);
    await cluster.waitReady([lagger]);
    const deadline = Date.now() + 30_000;
    while (((await cluster.status(lagger))?.appliedIndex ?? 0) < target.commitIndex) {
      expect(Date.now()).toBeLessThan(deadline);
      await sleep(100);
    }
    const metrics = await (await fetch(`${cluster.members[lagger]!.httpUrl}/metrics`)).text();
    expect(metrics).toMatch(/nines_snapshots_installed_total\{member="[^"]+"\} [1-9]/);
    for (const k of [0, 57, 119]) {
      const res = await http(`${cluster.members[lagger]!.httpUrl}/v1/kv/snap%2F${k}?serializable=true`);
      expect(res.json['value']).toBe(`v${k}`);
    }
    // And it keeps following afterwards.
    await retrying(() => cluster.client(live).put('snap/after', 'yes'));
    const after = await retrying(async () => {
      const r = await http(`${cluster.members[lagger]!.httpUrl}/v1/kv/snap%2Fafter`);
      if (r.status !== 200) throw Object.assign(new Error('not yet'), { status: 503 });
      return r;
    });
    expect(after.json['value']).toBe('yes');
  }, 120_000);

  it('refuses to start on a corrupted data file, naming the file', async () => {
    c = await TestCluster.create({ nodes: 1 });
    const cluster = c;
    await cluster.startAll();
    const marker = `CORRUPT-ME-${'x'.repeat(64)}`;
    await retrying(() => cluster.client().put('victim', marker));
    expect(await cluster.stop(0)).toBe(0);
    // Flip a byte of the value in every data file that holds it (the WAL segment, and the
    // snapshot store if a snapshot was taken): whichever is read first must be refused.
    const dir = join(cluster.members[0]!.dataDir, 'member');
    const needle = Buffer.from(marker);
    const damaged: string[] = [];
    for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
      if (!entry.isFile()) continue;
      const path = join(entry.parentPath, entry.name);
      const bytes = readFileSync(path);
      let flipped = 0;
      for (let at = bytes.indexOf(needle); at >= 0; at = bytes.indexOf(needle, at + 1)) {
        bytes[at + 20] = (bytes[at + 20]! ^ 0xff) & 0xff;
        flipped++;
      }
      if (flipped > 0) {
        writeFileSync(path, bytes);
        damaged.push(path);
      }
    }
    expect(damaged.length).toBeGreaterThan(0);
    cluster.spawn(0);
    const code = await cluster.exited(0);
    expect(code).toBe(2);
    const log = cluster.log(0);
    expect(log).toMatch(/corrupt/i);
    expect(damaged.some((path) => log.includes(path))).toBe(true);
    expect(log).toContain('NINES_ERR_CORRUPT');
  }, 60_000);

  it('refuses a second process on a data dir in use', async () => {
    c = await TestCluster.create({ nodes: 2 });
    const cluster = c;
    cluster.spawn(0, cluster.args(0, { initialCluster: `n1=${cluster.members[0]!.peerUrl}` }));
    await cluster.waitReady([0]);
    const other = cluster.members[1]!;
    const args = cluster.args(0, { initialCluster: `n1=${other.peerUrl}` });
    for (const [flag, value] of [
      ['--listen-client-urls', other.clientUrl],
      ['--listen-peer-urls', other.peerUrl],
      ['--listen-http-urls', other.httpUrl],
    ] as const) {
      args[args.indexOf(flag) + 1] = value;
    }
    cluster.spawn(1, args);
    expect(await cluster.exited(1)).toBe(2);
    expect(cluster.log(1)).toMatch(/data dir .* is in use by process \d+/);
    expect((await cluster.status(0))?.name).toBe('n1');
  }, 60_000);

  it('refuses a peer with a different cluster token', async () => {
    c = await TestCluster.create({ nodes: 3 });
    const cluster = c;
    // n1 and n2 form a cluster; n3 starts with the same member list but another token.
    cluster.spawn(0);
    cluster.spawn(1);
    cluster.spawn(2, cluster.args(2, { token: 'some-other-cluster' }));
    await cluster.waitReady([0, 1]);
    await cluster.waitLeader(20_000, [0, 1]);
    await retrying(() => cluster.client([0, 1]).put('token-test', 'ok'));
    await sleep(1000);
    const stranger = await cluster.status(2);
    expect(stranger?.leaderName).toBe('');
    expect(stranger?.revision).toBe(1);
    expect(cluster.log(0) + cluster.log(1) + cluster.log(2)).toMatch(/cluster id mismatch/);
    const s0 = (await cluster.status(0))!;
    expect(s0.peers.find((p) => p.name === 'n3')?.lastHeardMsAgo).toBeNull();
  }, 60_000);
});
