/**
 * The 3-node put benchmark of one system (nines or etcd): start a fresh loopback cluster in a
 * temp dir (fsync on, every other setting at its default), find the leader, warm up, run one
 * closed-loop phase per in-flight count against the leader, stop the cluster and remove the
 * dir. The cluster is registered with a Teardown, so it is also stopped on Ctrl-C or error.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { ETCD_PORT_STRIDE, planEtcdCluster } from './lib/etcd-args.js';
import type { LeaderEndpoint, RunningCluster } from './lib/cluster.js';
import { EtcdCluster } from './lib/etcd-cluster.js';
import { HttpPutTarget, type PutTarget } from './lib/http-put.js';
import { BenchLimits } from './lib/limits.js';
import { runPhase } from './lib/load.js';
import { NinesCluster } from './lib/nines-cluster.js';
import { findFreeBasePort, memberPortOffsets } from './lib/ports.js';
import { type LeaderSyncs, syncsBetween } from './lib/prom-text.js';
import { benchValue } from './lib/put-request.js';
import type { MeasuredPhase } from './lib/report.js';
import { scrapeHistogram } from './lib/scrape.js';
import type { Teardown } from './lib/teardown.js';

export const SYSTEMS = ['nines', 'etcd'] as const;
export type System = (typeof SYSTEMS)[number];
export const PROTOCOLS = ['http', 'grpc'] as const;
export type Protocol = (typeof PROTOCOLS)[number];

/** Member stride and ports per member of `nines up`'s launcher (client, peer, HTTP). */
const NINES_PORT_STRIDE = 10;
const NINES_PORTS_PER_MEMBER = 3;
/** Each system's histogram of the leader's log syncs: nines persists each raft Ready as one
 * fsynced LMDB transaction; etcd fsyncs its WAL (its bbolt backend commits apart, in batches). */
const SYNC_METRIC: Record<System, string> = {
  nines: 'nines_disk_fsync_duration_seconds',
  etcd: 'etcd_disk_wal_fsync_duration_seconds',
};
/** How long the end-of-run leader check waits for an agreed leader. */
const LEADER_CHECK_TIMEOUT_MS = 10_000;

export interface ClusterPutOptions {
  readonly protocol: Protocol;
  readonly phaseMs: number;
  readonly warmupMs: number;
  /** In-flight counts, one measured phase each (1 = the sequential latency row). */
  readonly inflight: readonly number[];
  readonly valueBytes: number;
  readonly keys: number;
  readonly basePort: number;
  readonly etcdBin: string;
  /** Keep the temp data dirs and logs (for debugging); they are removed otherwise. */
  readonly keepData: boolean;
  readonly log: (line: string) => void;
  readonly teardown: Teardown;
}

export interface SideResult {
  readonly system: System;
  readonly protocol: Protocol;
  /** Where the load went (the leader). */
  readonly target: string | null;
  readonly leader: string | null;
  /** The leader after the last row: a different name means an election during the run. */
  readonly leaderAfter: string | null;
  /** From spawning the members to a leader everyone agrees on. */
  readonly startupMs: number | null;
  readonly phases: readonly MeasuredPhase[];
  /** Puts acknowledged (the first probe put and warm-up included) and the highest revision seen. */
  readonly acknowledgedPuts: number;
  readonly revisionMax: number;
  /** False when the revisions do not account for every acknowledged put (a bug in the system). */
  readonly revisionsConsistent: boolean;
  /** Why the side could not run (or stopped early), if it did not complete. */
  readonly error: string | null;
  readonly dataDir: string;
}

async function startCluster(system: System, dataDir: string, options: ClusterPutOptions): Promise<RunningCluster> {
  if (system === 'nines') {
    const offsets = memberPortOffsets(BenchLimits.clusterSize, NINES_PORT_STRIDE, NINES_PORTS_PER_MEMBER);
    const base = await findFreeBasePort('127.0.0.1', options.basePort, offsets, 100);
    const cluster = new NinesCluster(join(dataDir, 'nines'), base, []);
    register(system, dataDir, cluster, options);
    await cluster.start();
    return cluster;
  }
  const offsets = memberPortOffsets(BenchLimits.clusterSize, ETCD_PORT_STRIDE, 2);
  const base = await findFreeBasePort('127.0.0.1', options.basePort, offsets, 100);
  const plan = planEtcdCluster({
    rootDir: dataDir,
    nodes: BenchLimits.clusterSize,
    basePort: base,
    host: '127.0.0.1',
    token: `nines-bench-${randomBytes(4).toString('hex')}`,
  });
  const cluster = new EtcdCluster(plan, options.etcdBin);
  register(system, dataDir, cluster, options);
  cluster.start();
  return cluster;
}

function register(system: System, dataDir: string, cluster: RunningCluster, options: ClusterPutOptions): void {
  const removeDir = () => {
    if (!options.keepData) rmSync(dataDir, { recursive: true, force: true });
  };
  options.teardown.add({
    label: system,
    run: async () => {
      options.log(`${system}: stopping the cluster${options.keepData ? ` (data kept in ${dataDir})` : ''}`);
      await cluster.stop();
      removeDir();
    },
    runSync: () => {
      cluster.killSync();
      removeDir();
    },
  });
}

async function makeTarget(options: ClusterPutOptions, system: System, leader: LeaderEndpoint, inflight: number): Promise<PutTarget> {
  if (options.protocol === 'grpc') {
    const { GrpcPutTarget } = await import('./lib/grpc-put.js');
    return new GrpcPutTarget(leader.clientUrl);
  }
  return new HttpPutTarget(system === 'nines' ? 'nines-http' : 'etcd-gateway', leader.httpUrl, inflight);
}

/** Run the whole benchmark against one system; never throws for a cluster failure (see `error`). */
export async function benchSystem(system: System, options: ClusterPutOptions): Promise<SideResult> {
  const dataDir = mkdtempSync(join(tmpdir(), `nines-bench-${system}-`));
  const phases: MeasuredPhase[] = [];
  let leader: LeaderEndpoint | null = null;
  let leaderAfter: string | null = null;
  let startupMs: number | null = null;
  let error: string | null = null;
  const value = benchValue(options.valueBytes);
  let keyOffset = 0;
  let acknowledgedPuts = 0;
  let revisionMax = 0;
  try {
    options.log(`${system}: starting 3 members in ${dataDir}`);
    const started = performance.now();
    const cluster = await startCluster(system, dataDir, options);
    await cluster.waitReady();
    const lead = await cluster.leader();
    leader = lead;
    startupMs = performance.now() - started;
    options.log(`${system}: ready in ${(startupMs / 1000).toFixed(1)} s; leader ${lead.name}`);

    const metricsUrl = `${lead.httpUrl}/metrics`;
    const phase = async (inflight: number, durationMs: number): Promise<MeasuredPhase> => {
      const target = await makeTarget(options, system, lead, inflight);
      try {
        const before = await scrapeHistogram(metricsUrl, SYNC_METRIC[system]);
        const result = await runPhase(target, { inflight, durationMs, requestsMax: BenchLimits.requestsPerPhaseMax, keys: options.keys, keyOffset, value, signal: options.teardown.signal });
        const after = await scrapeHistogram(metricsUrl, SYNC_METRIC[system]);
        keyOffset += result.ok + result.errors;
        acknowledgedPuts += result.ok;
        revisionMax = Math.max(revisionMax, result.revisionMax);
        return { ...result, leaderSyncs: before === null || after === null ? null : syncsBetween(before, after, result.ok) };
      } finally {
        target.close();
      }
    };
    // One put first: a system that cannot take a single put fails here with its answer,
    // instead of filling every row with the same error.
    const probe = await makeTarget(options, system, lead, 1);
    try {
      revisionMax = await probe.put('bench/probe', value);
      acknowledgedPuts = 1;
    } catch (err) {
      throw new Error(`the first put to ${probe.description} failed: ${err instanceof Error ? err.message : String(err)}`);
    } finally {
      probe.close();
    }
    if (options.warmupMs > 0) {
      const warm = await phase(Math.min(16, Math.max(...options.inflight)), options.warmupMs);
      options.log(`${system}: warm-up ${warm.ok} puts${warm.errors > 0 ? `, ${warm.errors} errors` : ''}`);
    }
    for (const inflight of options.inflight) {
      if (options.teardown.signal.aborted) throw new Error('interrupted');
      options.log(`${system}: ${inflight} in flight for ${(options.phaseMs / 1000).toFixed(1)} s…`);
      const result = await phase(inflight, options.phaseMs);
      phases.push(result);
      options.log(
        `${system}: ${inflight} in flight: ${result.throughputPerSec.toFixed(0)} puts/s, p50 ${result.latency.p50Ms.toFixed(2)} ms, ` +
          `p99 ${result.latency.p99Ms.toFixed(2)} ms, ${syncText(result.leaderSyncs)}${result.errors} errors${errorText(result)}`,
      );
    }
    // Each put raises the store revision by one from 1, so the last revision acknowledged
    // is at least 1 + the number of acknowledged puts (more if failed puts were applied).
    if (revisionMax < acknowledgedPuts + 1) options.log(`${system}: WARNING: ${acknowledgedPuts} puts acknowledged but the highest revision is ${revisionMax}`);
    leaderAfter = (await cluster.leader(LEADER_CHECK_TIMEOUT_MS)).name;
    if (leaderAfter !== lead.name) options.log(`${system}: the leader changed during the run (${lead.name} → ${leaderAfter})`);
  } catch (err) {
    error = err instanceof Error ? err.message : String(err);
    options.log(`${system}: failed: ${error}`);
  } finally {
    await options.teardown.finish(system);
    if (!options.keepData) rmSync(dataDir, { recursive: true, force: true });
  }
  return {
    system,
    protocol: options.protocol,
    target: leader === null ? null : options.protocol === 'grpc' ? leader.clientUrl : leader.httpUrl,
    leader: leader?.name ?? null,
    leaderAfter,
    startupMs,
    phases,
    acknowledgedPuts,
    revisionMax,
    revisionsConsistent: revisionMax >= acknowledgedPuts + 1 || acknowledgedPuts === 0,
    error,
    dataDir,
  };
}

function syncText(syncs: LeaderSyncs | null | undefined): string {
  if (syncs === null || syncs === undefined || syncs.perPut === null) return '';
  return `leader ${syncs.perPut.toFixed(2)} fsyncs/put${syncs.meanMs === null ? '' : ` of ${syncs.meanMs.toFixed(2)} ms`}, `;
}

function errorText(result: MeasuredPhase): string {
  const kinds = Object.entries(result.errorKinds);
  if (kinds.length === 0) return '';
  return ` (${kinds.map(([k, n]) => `${k}: ${n}`).join(', ')}; first: ${Object.values(result.errorSamples)[0] ?? ''})`;
}
