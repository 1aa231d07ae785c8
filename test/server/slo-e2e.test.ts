import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { parseSloStatusDoc } from '../../src/slo/status-doc.js';
import { mainJs, sleep, TestCluster } from './harness.js';

const run = promisify(execFile);

interface Tally {
  answered: number;
  bad: number;
  /** Requests that got no HTTP answer (connection reset): nobody recorded them. */
  unanswered: number;
}

/** Bound on the write stream, should the test fail before it stops the stream. */
const STREAM_REQUESTS_MAX = 5_000;

/** GET /v1/slo of member i, checked; the availability objective's period counts. */
async function sloOf(c: TestCluster, i: number) {
  const url = c.members[i]!.httpUrl;
  const res = await fetch(`${url}/v1/slo`, { signal: AbortSignal.timeout(5000) });
  expect(res.status).toBe(200);
  const parsed = parseSloStatusDoc(await res.json(), url);
  const avail = parsed.snapshot.objectives.find((o) => o.name === 'availability')!;
  return { parsed, avail };
}

let cluster: TestCluster | undefined;
afterEach(async () => {
  await cluster?.cleanup();
  cluster = undefined;
});

describe('SLIs recorded by running members', () => {
  it('nines start refuses a bad --slo file naming the file and line', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nines-slo-'));
    try {
      const spec = join(dir, 'slo.yaml');
      writeFileSync(spec, 'period: 30d\nobjectives:\n  - name: a\n    kind: availability\n    target: 0.999\n');
      const r = await run(process.execPath, [mainJs(), 'start', '--data-dir', join(dir, 'd'), '--slo', spec]).catch((e: { code: number; stderr: string }) => e);
      expect((r as { code: number }).code).toBe(2);
      expect((r as { stderr: string }).stderr).toMatch(/slo\.yaml:5:13: objectives\[0\]\.target/);
      const p = await run(process.execPath, [mainJs(), 'start', '--data-dir', join(dir, 'd'), '--slo-persist-interval', '0s']).catch(
        (e: { code: number; stderr: string }) => e,
      );
      expect((p as { stderr: string }).stderr).toMatch(/--slo-persist-interval must be a duration from 100ms to 1h/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a leader crash burns the error budget; restarted members keep their SLO history', async () => {
    const c = await TestCluster.create({ nodes: 3, extraArgs: ['--slo-persist-interval', '300ms'] });
    cluster = c;
    await c.startAll();
    const leader = await c.waitLeader();
    const survivors = [0, 1, 2].filter((i) => i !== leader);

    // A steady stream of writes to the members that will survive, one at a time, with a
    // client timeout above the server's (5 s) so every request's answer is seen.
    const tally = new Map<number, Tally>(survivors.map((i) => [i, { answered: 0, bad: 0, unanswered: 0 }]));
    let stopStream = false;
    let n = 0;
    const stream = (async () => {
      while (!stopStream && n < STREAM_REQUESTS_MAX) {
        const i = survivors[n % survivors.length]!;
        n++;
        const t = tally.get(i)!;
        let res: Response;
        try {
          res = await fetch(`${c.members[i]!.httpUrl}/v1/kv/e2e-${n % 50}`, {
            method: 'PUT',
            body: JSON.stringify({ value: String(n) }),
            signal: AbortSignal.timeout(9000),
          });
          await res.text();
        } catch {
          // No answer at all (a connection reset): the member recorded nothing either.
          t.unanswered++;
          await sleep(15);
          continue;
        }
        t.answered++;
        if (res.status >= 500 || res.status === 429) t.bad++;
        await sleep(15);
      }
    })();

    // Wait (bounded) until each survivor has answered a few requests: a loaded machine is slow.
    for (let waited = 0; survivors.some((i) => tally.get(i)!.answered <= 10) && waited < 30_000; waited += 100) {
      await sleep(100);
    }
    const before = await Promise.all([0, 1, 2].map((i) => sloOf(c, i)));
    expect(before[leader]!.avail.valid).toBe(0); // every write went to the followers
    for (const i of survivors) expect(before[i]!.avail.valid).toBeGreaterThan(10);
    const remainingBefore = survivors.map((i) => before[i]!.avail.budget.remainingFraction);

    // The old leader answers a few requests of its own, so it has history to keep.
    for (let k = 0; k < 20; k++) {
      const res = await fetch(`${c.members[leader]!.httpUrl}/v1/kv/on-leader-${k}`, { method: 'PUT', body: '{"value":"x"}' });
      expect(res.status).toBe(200);
    }
    await sleep(1500); // > persist interval + tick: the leader's history is on disk
    const leaderBeforeKill = (await sloOf(c, leader)).avail.valid;
    expect(leaderBeforeKill).toBe(20);

    await c.kill9(leader);
    // Requests fail while the survivors elect a new leader; then they succeed again.
    await c.waitLeader(20_000, survivors);
    await sleep(1500);
    stopStream = true;
    await stream;

    const clientBad = survivors.reduce((s, i) => s + tally.get(i)!.bad, 0);
    expect(clientBad).toBeGreaterThan(0);
    const after = await Promise.all(survivors.map((i) => sloOf(c, i)));
    survivors.forEach((i, k) => {
      const a = after[k]!.avail;
      // Each member counted exactly the answers it gave (monitoring requests excluded).
      expect(a.valid).toBe(tally.get(i)!.answered);
      expect(a.bad).toBe(tally.get(i)!.bad);
    });
    const badAfter = after.reduce((s, x) => s + x.avail.bad, 0);
    expect(badAfter).toBe(clientBad);
    const remainingAfter = after.map((x) => x.avail.budget.remainingFraction);
    expect(Math.min(...remainingAfter)).toBeLessThan(Math.min(...remainingBefore));

    // The cluster view through the CLI: counts summed, a fast burn pages.
    const endpoints = survivors.map((i) => c.members[i]!.httpUrl).join(',');
    const { stdout } = await run(process.execPath, [mainJs(), 'slo', 'status', '--endpoints', endpoints, '--json']);
    const status = JSON.parse(stdout) as {
      cluster: { objectives: { name: string; valid: number; bad: number }[]; firing: { severity: string; objective: string; burnRate: number }[] };
    };
    const clusterAvail = status.cluster.objectives.find((o) => o.name === 'availability')!;
    expect(clusterAvail.bad).toBe(clientBad);
    expect(clusterAvail.valid).toBe(survivors.reduce((s, i) => s + tally.get(i)!.answered, 0));
    // The run is shorter than 5 minutes, so every window holds every request: one burn rate.
    const burn = clientBad / clusterAvail.valid / 0.001;
    const fired = status.cluster.firing.filter((f) => f.objective === 'availability').map((f) => f.burnRate);
    expect(fired).toEqual([14.4, 6, 3, 1].filter((threshold) => burn > threshold));
    expect(burn).toBeGreaterThan(1); // a few failed requests out of a few hundred: at least the 3d ticket fires

    // /metrics carries the SLO gauges and a histogram bucket at the latency threshold.
    const metrics = await (await fetch(`${c.members[survivors[0]!]!.httpUrl}/metrics`)).text();
    expect(metrics).toMatch(/nines_slo_error_budget_remaining_ratio\{nines_slo="availability"[^}]*\} -?\d/);
    expect(metrics).toMatch(/nines_request_duration_seconds_bucket\{le="0.1",[^}]*method="kv.put"/);
    // The histogram observes only requests that did not fail on the server side.
    const series = (re: RegExp): number => {
      const m = re.exec(metrics);
      if (m === null) throw new Error(`no ${re} in /metrics`);
      return Number(m[1]);
    };
    const f0 = survivors[0]!;
    const goodPuts = series(/nines_requests_total\{[^}]*method="kv.put"[^}]*outcome="good"[^}]*\} (\d+)/);
    const badPuts = series(/nines_requests_total\{[^}]*method="kv.put"[^}]*outcome="bad"[^}]*\} (\d+)/);
    expect(badPuts).toBe(tally.get(f0)!.bad);
    expect(goodPuts + badPuts).toBe(tally.get(f0)!.answered);
    expect(series(/nines_request_duration_seconds_count\{[^}]*method="kv.put"[^}]*\} (\d+)/)).toBe(goodPuts);

    // The crashed leader comes back with the history it had saved.
    c.spawn(leader);
    await c.waitReady([leader]);
    expect((await sloOf(c, leader)).avail.valid).toBe(leaderBeforeKill);

    // A member stopped cleanly saves everything at shutdown and restores it exactly.
    const f = survivors[0]!;
    const atStop = (await sloOf(c, f)).avail;
    expect(await c.stop(f)).toBe(0);
    c.spawn(f);
    await c.waitReady([f]);
    const restored = (await sloOf(c, f)).avail;
    expect([restored.valid, restored.bad]).toEqual([atStop.valid, atStop.bad]);
  }, 90_000);
});
