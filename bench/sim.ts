/**
 * Simulator benchmarks (issue 3 goals), all in the deterministic simulator on a LAN-like network:
 * 1. failover: crash the leader many times; time to a new leader with `fixed` (etcd defaults:
 *    100 ms heartbeat, 1000 ms election timeout) versus `adaptive` (goal: adaptive >= 3x faster);
 * 2. spurious elections when the leader pauses (sender GC pause model, 50 ms - 2 s) for each
 *    detector (goal: adaptive no more than fixed);
 * 3. throughput: simulated client operations per wall-clock second, 5 nodes (goal >= 10,000).
 * Run: npx tsc -p tsconfig.json && node dist/bench/sim.js [--seed N] [--rounds R] [--json]
 */
import { performance } from 'node:perf_hooks';
import { checkHistory } from '../src/check/checker.js';
import { SeededRandom } from '../src/core/random.js';
import { drawParams, type SimDetector, type SimParams } from '../src/sim/params.js';
import { RandomWorkload, ValueCounter } from '../src/sim/workload.js';
import { World } from '../src/sim/world.js';
import { percentileSorted } from './lib/stats.js';

function flag(name: string, fallback: number): number {
  const i = process.argv.indexOf(name);
  if (i < 0) return fallback;
  const n = Number(process.argv[i + 1]);
  if (!Number.isSafeInteger(n) || n < 1) throw new Error(`${name} must be a positive integer`);
  return n;
}
const seed = flag('--seed', 1);
const rounds = flag('--rounds', 100);
const json = process.argv.includes('--json');

/** A LAN: ~0.25 ms one-way, no loss, fast fsync, no faults unless the bench makes them. */
function lanParams(detector: SimDetector, nodes: number, clients: number): SimParams {
  const p = drawParams({ seed, nodes, detector });
  return {
    ...p,
    preVote: true,
    checkQuorum: true,
    leaseReads: false,
    tickIntervalMs: 1,
    latencyMeanMs: 0.25,
    latencySigma: 0.3,
    linkSpreadMax: 1.2,
    lossRate: 0,
    duplicateRate: 0,
    reorderRate: 0,
    fsyncMsMin: 0.1,
    fsyncMsMax: 0.5,
    clockRateSpread: 0,
    maxSizePerMsgBytes: 1024 * 1024,
    maxInflightMsgs: 256,
    snapshotEveryEntries: 10_000,
    clients,
    keys: 10,
    readRatio: 0.5,
    casRatio: 0.1,
    thinkTimeMeanMs: 0,
    clientTimeoutMs: 1000,
    routing: 'leader',
    faults: { ...p.faults, crashWeight: 0, pauseWeight: 0, partitionWeight: 0, newLeaderIsolateRate: 0 },
  };
}

/** Elections / pauses per pause-length bucket. */
function buckets(byPause: readonly [number, number][]): Record<string, string> {
  const edges: [string, number, number][] = [
    ['<300ms', 0, 300],
    ['300-1000ms', 300, 1000],
    ['>=1000ms', 1000, Number.POSITIVE_INFINITY],
  ];
  const out: Record<string, string> = {};
  for (const [name, lo, hi] of edges) {
    const inside = byPause.filter(([ms]) => ms >= lo && ms < hi);
    out[name] = `${inside.reduce((a, [, n]) => a + n, 0)}/${inside.length}`;
  }
  return out;
}

function mean(xs: readonly number[]): number {
  return xs.length === 0 ? Number.NaN : xs.reduce((a, b) => a + b, 0) / xs.length;
}
function quantile(xs: readonly number[], q: number): number {
  return percentileSorted([...xs].sort((a, b) => a - b), q * 100);
}

/** Crash the leader `rounds` times; virtual ms from each crash until a leader of a later term. */
function failover(detector: SimDetector): number[] {
  const w = new World(lanParams(detector, 5, 0), 0);
  w.startAll();
  const times: number[] = [];
  for (let i = 0; i < rounds; i++) {
    w.runUntil(() => w.leader() !== undefined, w.nowMs + 60_000);
    w.runUntilTime(w.nowMs + 3000); // steady state: detectors learn the heartbeat rhythm
    const old = w.leader();
    if (old === undefined) continue;
    const crashedMs = w.nowMs;
    w.crash(old.id);
    const elected = w.runUntil(() => (w.leader()?.term ?? 0) > old.term, crashedMs + 60_000);
    if (elected) times.push(w.nowMs - crashedMs);
    w.restart(old.id);
  }
  return times;
}

/** Pause the leader for 50 ms - 2 s, `rounds` times; count the elections that followed. */
function gcPauses(detector: SimDetector): { elections: number; pauses: number; byPause: [number, number][] } {
  const w = new World(lanParams(detector, 5, 0), 0);
  const random = new SeededRandom(seed + 17);
  w.startAll();
  let elections = 0;
  const byPause: [number, number][] = [];
  for (let i = 0; i < rounds; i++) {
    w.runUntil(() => w.leader() !== undefined, w.nowMs + 60_000);
    w.runUntilTime(w.nowMs + 3000);
    const leader = w.leader();
    if (leader === undefined) continue;
    const before = w.checker.leaderTerms;
    const pauseMs = 50 + random.float() * 1950;
    w.pause(leader.id);
    w.runUntilTime(w.nowMs + pauseMs);
    w.resume(leader.id);
    w.runUntilTime(w.nowMs + 3000);
    const n = w.checker.leaderTerms - before;
    elections += n;
    byPause.push([Math.round(pauseMs), n]);
  }
  return { elections, pauses: rounds, byPause };
}

/** Simulated client ops per wall-clock second, 5 nodes, a closed loop of clients. */
function throughput(): {
  ops: number;
  wallMs: number;
  cpuMs: number;
  opsPerSecond: number;
  opsPerCpuSecond: number;
  virtualMs: number;
  checkMs: number;
  linearizable: unknown;
} {
  const params = lanParams('adaptive', 5, 32);
  const w = new World(params, 0);
  const values = new ValueCounter();
  const random = new SeededRandom(seed + 5);
  for (let c = 0; c < params.clients; c++) {
    w.addClient(new RandomWorkload(params, random.fork(), values, () => true), params.clientTimeoutMs, () => 0);
  }
  w.startAll();
  w.runUntil(() => w.leader() !== undefined, 60_000);
  for (let c = 0; c < params.clients; c++) w.startClient(c);
  const virtualMs = 5000;
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  w.runUntilTime(w.nowMs + virtualMs);
  const wallMs = performance.now() - started;
  const cpu = process.cpuUsage(cpuBefore);
  const cpuMs = (cpu.user + cpu.system) / 1000;
  const ops = w.history.counts().invoked;
  const checkStart = performance.now();
  const verdict = checkHistory(w.history.toOperations().ops, { model: 'cas-register', stepsMax: 50_000_000 });
  return {
    ops,
    wallMs: Math.round(wallMs),
    cpuMs: Math.round(cpuMs),
    opsPerSecond: Math.round(ops / (wallMs / 1000)),
    opsPerCpuSecond: Math.round(ops / (cpuMs / 1000)),
    virtualMs,
    checkMs: Math.round(performance.now() - checkStart),
    linearizable: verdict.valid,
  };
}

const fixed = failover('fixed');
const adaptive = failover('adaptive');
const ratio = mean(fixed) / mean(adaptive);
const gcFixed = gcPauses('fixed');
const gcAdaptive = gcPauses('adaptive');
const tp = throughput();
const report = {
  seed,
  rounds,
  failover: {
    fixed: { meanMs: Math.round(mean(fixed)), p50Ms: Math.round(quantile(fixed, 0.5)), p99Ms: Math.round(quantile(fixed, 0.99)), n: fixed.length },
    adaptive: {
      meanMs: Math.round(mean(adaptive)),
      p50Ms: Math.round(quantile(adaptive, 0.5)),
      p99Ms: Math.round(quantile(adaptive, 0.99)),
      n: adaptive.length,
    },
    ratio: Math.round(ratio * 100) / 100,
    goal: 'adaptive >= 3x faster',
    met: ratio >= 3,
  },
  gcPause: {
    fixedElections: gcFixed.elections,
    adaptiveElections: gcAdaptive.elections,
    byPauseLength: { fixed: buckets(gcFixed.byPause), adaptive: buckets(gcAdaptive.byPause) },
    pauses: rounds,
    goal: 'adaptive <= fixed',
    met: gcAdaptive.elections <= gcFixed.elections,
  },
  throughput: {
    ...tp,
    goal: '>= 10000 simulated client ops per wall-clock second',
    met: tp.opsPerSecond >= 10_000,
    note: 'on a shared machine wall time includes other processes; opsPerCpuSecond is this process alone',
  },
};
if (json) {
  console.log(JSON.stringify(report, null, 2));
} else {
  const f = report.failover;
  console.log(`failover (LAN, 5 nodes, ${rounds} leader crashes each)`);
  console.log(`  fixed    mean ${f.fixed.meanMs} ms  p50 ${f.fixed.p50Ms} ms  p99 ${f.fixed.p99Ms} ms  (n=${f.fixed.n})`);
  console.log(`  adaptive mean ${f.adaptive.meanMs} ms  p50 ${f.adaptive.p50Ms} ms  p99 ${f.adaptive.p99Ms} ms  (n=${f.adaptive.n})`);
  console.log(`  ratio ${f.ratio}x  goal >= 3x: ${f.met ? 'met' : 'NOT met'}`);
  const g = report.gcPause;
  console.log(`spurious elections under leader GC pauses (50 ms - 2 s, ${rounds} pauses each)`);
  console.log(`  fixed ${g.fixedElections}  adaptive ${g.adaptiveElections}  goal adaptive <= fixed: ${g.met ? 'met' : 'NOT met'}`);
  console.log(`  elections/pauses by pause length: fixed ${JSON.stringify(g.byPauseLength.fixed)} adaptive ${JSON.stringify(g.byPauseLength.adaptive)}`);
  const t = report.throughput;
  console.log(
    `throughput (5 nodes, 32 clients, ${t.virtualMs} virtual ms): ${t.ops} ops in ${t.wallMs} ms wall = ${t.opsPerSecond} ops/s ` +
      `(${t.opsPerCpuSecond} per CPU-second) goal >= 10000: ${t.met ? 'met' : 'NOT met'}  ` +
      `(history check ${t.checkMs} ms, linearizable=${String(t.linearizable)})`,
  );
}
