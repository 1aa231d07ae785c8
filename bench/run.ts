/**
 * `npm run bench`: the 3-node put benchmark, nines side by side with etcd (issues 4 and 5).
 * Starts each system's loopback cluster in turn (fsync on), measures sequential put latency
 * and throughput at 1, 16, 64 and 256 requests in flight against the leader, and prints a
 * table with the machine's description (or one JSON document with --json). Progress goes to
 * stderr. See docs/benchmarks.md.
 *
 *   npm run bench -- [--quick] [--json] [--only nines|etcd] [--protocol http|grpc] …
 */
import { tmpdir } from 'node:os';
import { Command, Option } from 'commander';
import { parseDurationMs } from '../src/core/duration.js';
import { InvalidArgumentError, isNinesError } from '../src/core/errors.js';
import { intOption } from '../src/cli/util.js';
import { benchSystem, PROTOCOLS, type Protocol, type SideResult, SYSTEMS, type System } from './cluster-put.js';
import { BenchDefaults, BenchLimits } from './lib/limits.js';
import { latencyText, probeFsync } from './lib/fsync-probe.js';
import { describeMachine, machineLine } from './lib/machine.js';
import { formatTable, parseInflightList, reportRows } from './lib/report.js';
import { Teardown } from './lib/teardown.js';

interface RunFlags {
  quick: boolean;
  json: boolean;
  only?: System;
  protocol: Protocol;
  duration?: string;
  warmup?: string;
  inflight: string;
  valueSize: number;
  keys: number;
  basePort?: number;
  etcdBin: string;
  keepData: boolean;
  rounds: number;
}

function log(line: string): void {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${line}\n`);
}

function durationFlag(flag: string, text: string, minMs: number): number {
  const ms = parseDurationMs(text);
  if (!(ms >= minMs && ms <= 600_000)) throw new InvalidArgumentError(`${flag} must be a duration from ${minMs}ms to 10m, got "${text}"`);
  return ms;
}

async function main(flags: RunFlags): Promise<number> {
  let inflight: number[];
  try {
    inflight = parseInflightList(flags.inflight, BenchLimits.inflightMax);
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message);
  }
  const phaseMs = flags.duration !== undefined ? durationFlag('--duration', flags.duration, 1) : flags.quick ? BenchDefaults.quickPhaseMs : BenchDefaults.phaseMs;
  const warmupMs =
    flags.warmup !== undefined ? durationFlag('--warmup', flags.warmup, 0) : flags.quick ? BenchDefaults.quickWarmupMs : BenchDefaults.warmupMs;
  const machine = describeMachine(tmpdir(), flags.etcdBin);
  const fsync = probeFsync(tmpdir());
  const fsyncLine = `4 KiB write + fdatasync in ${tmpdir()}: appending ${latencyText(fsync.append)}; preallocated ${latencyText(fsync.preallocated)}`;
  log(`disk: ${fsyncLine}`);
  const notes: string[] = [];
  let systems: System[] = flags.only !== undefined ? [flags.only] : [...SYSTEMS];
  if (machine.etcd === null && systems.includes('etcd')) {
    if (flags.only === 'etcd') throw new InvalidArgumentError(`--only etcd, but no etcd at ${flags.etcdBin} (install etcd 3.4 or pass --etcd-bin)`);
    systems = systems.filter((s) => s !== 'etcd');
    notes.push(`etcd is not installed (${flags.etcdBin} not found): nines ran alone`);
    log(notes[notes.length - 1]!);
  }

  const teardown = new Teardown(log);
  teardown.installSignalHandlers();
  const startedAt = new Date().toISOString();
  const sides: (SideResult & { readonly round: number })[] = [];
  try {
    for (let round = 0; round < flags.rounds; round++) {
      // Alternate the order (nines, etcd, etcd, nines, …) so drift in the machine's load
      // does not always favour the same side.
      const order = round % 2 === 0 ? systems : [...systems].reverse();
      for (const system of order) {
        if (teardown.signal.aborted) break;
        if (flags.rounds > 1) log(`round ${round + 1} of ${flags.rounds}: ${system}`);
        const result = await benchSystem(system, {
          protocol: flags.protocol,
          phaseMs,
          warmupMs,
          inflight,
          valueBytes: flags.valueSize,
          keys: flags.keys,
          basePort: flags.basePort ?? (system === 'nines' ? BenchDefaults.ninesBasePort : BenchDefaults.etcdBasePort),
          etcdBin: flags.etcdBin,
          keepData: flags.keepData,
          log,
          teardown,
        });
        sides.push({ ...result, round: round + 1 });
      }
    }
  } finally {
    await teardown.runAll();
  }

  const runsOf = (s: System) => sides.filter((r) => r.system === s);
  const rows = reportRows(inflight, runsOf('nines'), runsOf('etcd'));
  const settings = {
    nodes: BenchLimits.clusterSize,
    host: '127.0.0.1',
    fsync: true,
    protocol: flags.protocol,
    valueBytes: flags.valueSize,
    keys: flags.keys,
    phaseMs,
    warmupMs,
    inflight,
    rounds: flags.rounds,
  };
  if (flags.json) {
    process.stdout.write(`${JSON.stringify({ startedAt, machine, fsync, settings, notes, rows, sides }, null, 2)}\n`);
  } else {
    const out: string[] = [];
    out.push(
      `nines vs etcd: ${settings.nodes}-node put benchmark on ${settings.host}, fsync on, ${flags.protocol === 'grpc' ? 'gRPC KV/Put' : 'HTTP (nines /v1/kv, etcd /v3/kv/put gateway)'}, ` +
        `${settings.valueBytes} B values over ${settings.keys} keys, ${phaseMs / 1000} s per row after ${warmupMs / 1000} s warm-up`,
    );
    out.push(`date:    ${startedAt}`);
    out.push(`machine: ${machineLine(machine)}`);
    out.push(`fsync:   ${fsyncLine}`);
    if (flags.rounds > 1) out.push(`rounds:  ${flags.rounds} per system (alternating order); each cell is the median over the rounds, errors the total`);
    for (const s of sides) out.push(`${`${s.system}${flags.rounds > 1 ? ` #${s.round}` : ''}`.padEnd(8)} ${s.error === null ? `leader ${s.leader} at ${s.target}, ready in ${((s.startupMs ?? 0) / 1000).toFixed(1)} s${s.leaderAfter !== s.leader ? `; LEADER CHANGED during the run (now ${s.leaderAfter})` : ''}${s.revisionsConsistent ? '' : `; REVISIONS DO NOT ADD UP (${s.acknowledgedPuts} puts acknowledged, last revision ${s.revisionMax})`}` : `FAILED: ${s.error}`}`);
    for (const n of notes) out.push(`note:    ${n}`);
    out.push('');
    out.push(formatTable(rows));
    for (const s of sides) {
      for (const p of s.phases) {
        for (const [kind, count] of Object.entries(p.errorKinds)) out.push(`${s.system}${flags.rounds > 1 ? ` #${s.round}` : ''} errors at ${p.inflight} in flight: ${count} × ${kind} (first: ${p.errorSamples[kind] ?? ''})`);
      }
    }
    process.stdout.write(`${out.join('\n')}\n`);
  }
  return sides.every((s) => s.error === null) ? 0 : 1;
}

const program = new Command()
  .name('bench')
  .description('3-node put benchmark: nines side by side with etcd on loopback, fsync on (see docs/benchmarks.md)')
  .option('--quick', `${BenchDefaults.quickPhaseMs / 1000} s per row instead of ${BenchDefaults.phaseMs / 1000} s`, false)
  .option('--json', 'print one JSON document (machine, settings, rows, every phase) instead of the table', false)
  .addOption(new Option('--only <system>', 'run one side only').choices([...SYSTEMS]))
  .addOption(new Option('--protocol <protocol>', 'client protocol: http (nines /v1/kv, etcd JSON gateway) or grpc (etcd v3 KV/Put on both)').choices([...PROTOCOLS]).default('http'))
  .option('--duration <duration>', 'length of every measured row, e.g. 10s (overrides --quick)')
  .option('--warmup <duration>', 'warm-up before the rows, e.g. 1s')
  .option('--inflight <list>', 'in-flight counts, one row each (1 gives the sequential latency rows)', BenchDefaults.inflight.join(','))
  .option('--value-size <bytes>', 'bytes per value', intOption('--value-size', 1, BenchLimits.valueBytesMax), BenchDefaults.valueBytes)
  .option('--keys <n>', 'distinct keys written round-robin', intOption('--keys', 1, BenchLimits.keysMax), BenchDefaults.keys)
  .option('--base-port <port>', 'first port tried for each cluster (default: 31000 nines, 32000 etcd)', intOption('--base-port', 1024, 65_000))
  .option('--rounds <n>', 'run each system n times, alternating the order, and report medians', intOption('--rounds', 1, BenchLimits.roundsMax), 1)
  .option('--etcd-bin <path>', 'etcd binary', '/usr/bin/etcd')
  .option('--keep-data', 'keep the temp data dirs and member logs (their paths are printed)', false)
  .action(async (flags: RunFlags) => {
    try {
      process.exitCode = await main(flags);
    } catch (err) {
      if (isNinesError(err)) {
        process.stderr.write(`bench: ${err.message}\n`);
        process.exitCode = 2;
        return;
      }
      throw err;
    }
  });

await program.parseAsync(process.argv);
