import { spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { formatDurationMs, parseDurationMs } from '../core/duration.js';
import { InvalidArgumentError } from '../core/errors.js';
import { type BenchReport, type FamilyResult, runBench } from '../detect/bench.js';
import { renderFamilySvg } from '../detect/svg.js';
import type { Trace } from '../detect/trace.js';
import { formatTrace, parseTrace } from '../detect/trace-file.js';
import { traceFamilyDescriptions, traceFamilyNames } from '../detect/traces.js';
import { action, intOption, printJson } from './util.js';

/** `nines detect`: failure-detector quality of service (bench) and real heartbeat traces (record). */
export function registerDetect(program: Command): void {
  const detect = program
    .command('detect')
    .description('Failure detectors: measure their quality of service (bench) and record real heartbeat traces (record)');

  detect
    .command('bench')
    .description(
      'Replay seeded trace families (and --trace files) through every detector, sweep each one’s main parameter, ' +
        'and report whether the default (adaptive) front of (mean detection time, mistake rate) dominates the others',
    )
    .option('--quick', 'short traces and a coarser sweep (finishes in under 30 s)', false)
    .option('--json', 'print one JSON document with every point and the per-family verdicts', false)
    .option('--out <dir>', 'directory for one SVG chart per family', 'detect-bench')
    .option('--trace <file...>', 'also bench recorded trace files (from `nines detect record`)')
    .option('--seed <n>', 'seed of the generated traces', intOption('--seed', 0, 2 ** 40), 1)
    .action(
      action((opts: { quick: boolean; json: boolean; out: string; trace?: string[]; seed: number }) => {
        const traces = (opts.trace ?? []).map(readTraceFile);
        const started = performance.now();
        const report = runBench({
          seed: opts.seed,
          quick: opts.quick,
          traces,
          onProgress: opts.quick
            ? undefined
            : (done, total, what) => process.stderr.write(`\r[${done}/${total}] ${what}`.padEnd(60)),
        } as Parameters<typeof runBench>[0]);
        if (!opts.quick) process.stderr.write('\n');
        mkdirSync(opts.out, { recursive: true });
        for (const f of report.families) {
          const title = `${f.name}: T_D vs λ_M (seed ${report.seed}${report.quick ? ', quick' : ''})`;
          writeFileSync(join(opts.out, `${f.name}.svg`), renderFamilySvg(f, title));
        }
        if (opts.json) {
          printJson(report);
          return;
        }
        printReport(report, opts.out, performance.now() - started);
      }),
    );

  detect
    .command('record')
    .description('Record real heartbeats: a child node process sends UDP heartbeats over loopback, then is killed (a real crash)')
    .option('--duration <d>', 'how long to record before killing the sender, e.g. 60s, 5m', '60s')
    .requiredOption('--out <file>', 'trace file to write (JSON lines), e.g. trace.jsonl')
    .option('--interval <d>', 'heartbeat interval of the sender, e.g. 100ms', '100ms')
    .action(
      action(async (opts: { duration: string; out: string; interval: string }) => {
        const durationMs = parseDurationMs(opts.duration);
        const intervalMs = parseDurationMs(opts.interval);
        if (durationMs < 1000) throw new InvalidArgumentError(`--duration must be at least 1s, got "${opts.duration}"`);
        if (intervalMs < 1 || intervalMs > durationMs / 2) {
          throw new InvalidArgumentError(`--interval must be from 1ms to half of --duration, got "${opts.interval}"`);
        }
        const trace = await recordTrace(durationMs, intervalMs, (msg) => process.stderr.write(msg));
        writeFileSync(opts.out, formatTrace(trace));
        process.stderr.write(`\nwrote ${trace.arrivalsMs.length} heartbeats to ${opts.out}\n`);
      }),
    );
}

function readTraceFile(file: string): Trace {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new InvalidArgumentError(`--trace ${file}: cannot read it (${(err as Error).message})`);
  }
  return parseTrace(text, file);
}

function fmtPercent(fraction: number): string {
  return Number.isFinite(fraction) ? `${(fraction * 100).toFixed(1)}%` : '∞ (a zero-mistake point is unmatched)';
}

function fmtMs(ms: number): string {
  return Number.isFinite(ms) ? formatDurationMs(ms) : '—';
}

function detectorRows(f: FamilyResult): string[] {
  const rows: string[] = [];
  for (const [name, front] of Object.entries(f.fronts)) {
    const zero = front.find((p) => p.mistakesPerHour === 0);
    const best = front.reduce((a, p) => (p.mistakesPerHour <= 36 && p.detectionMs < a ? p.detectionMs : a), Number.POSITIVE_INFINITY);
    const dom = name in f.dominatesEach ? (f.dominatesEach[name] ? 'yes' : 'NO') : '';
    const strict = name in f.strictlyBeats ? (f.strictlyBeats[name] ? 'yes' : 'no') : '';
    rows.push(
      `  ${name.padEnd(22)} ${String(front.length).padStart(6)} ${fmtMs(best).padStart(12)} ${fmtMs(zero?.detectionMs ?? Number.NaN).padStart(12)} ${dom.padStart(10)} ${strict.padStart(8)}`,
    );
  }
  return rows;
}

function printReport(report: BenchReport, outDir: string, elapsedMs: number): void {
  const out: string[] = [];
  out.push(
    `nines detect bench: seed ${report.seed}${report.quick ? ' (quick)' : ''}; default detector ${report.defaultDetector}; ` +
      `tolerance ${report.tolerance * 100}%; compared points: λ_M <= ${report.comparedRateMaxPerHour}/h`,
  );
  for (const f of report.families) {
    const desc = (traceFamilyNames as readonly string[]).includes(f.name)
      ? traceFamilyDescriptions[f.name as (typeof traceFamilyNames)[number]]
      : 'recorded trace';
    out.push('');
    out.push(`${f.name} — ${desc} (${f.heartbeats} heartbeats, ${f.crashes} crashes, ${f.upHours.toFixed(2)} h up)`);
    out.push(`  ${'detector'.padEnd(22)} ${'front'.padStart(6)} ${'T_D@λ≤36/h'.padStart(12)} ${'T_D@λ=0'.padStart(12)} ${'dominated'.padStart(10)} ${'beaten'.padStart(8)}`);
    out.push(...detectorRows(f));
  }
  out.push('');
  out.push('verdict (adaptive front weakly dominates every other front / strictly better somewhere than each):');
  for (const f of report.families) {
    const notDominated = Object.entries(f.dominatesEach).filter(([, v]) => !v).map(([k]) => k);
    const notBeaten = Object.entries(f.strictlyBeats).filter(([, v]) => !v).map(([k]) => k);
    out.push(
      `  ${f.name.padEnd(16)} dominates: ${f.dominates ? 'yes' : `NO (not: ${notDominated.join(', ')})`}; strictly beats: ${
        notBeaten.length === 0 ? 'all' : `all but ${notBeaten.join(', ')}`
      }; would dominate within ${fmtPercent(f.toleranceNeeded)}`,
    );
  }
  out.push('');
  out.push(
    `verdict within noise (T_D within ${report.tolerance * 100}%; mistake counts m_ours − m_theirs <= ${report.noiseZ}·√(m_ours + m_theirs) are ties):`,
  );
  for (const f of report.families) {
    const missed = Object.entries(f.withinNoise.undominated).filter(([, v]) => v.length > 0);
    const detail = missed.map(([k, v]) => `${k} ${v.map((p) => `${fmtMs(p.detectionMs)}/${p.mistakes}`).join(' ')}`).join('; ');
    out.push(`  ${f.name.padEnd(16)} dominates: ${f.withinNoise.dominates ? 'yes' : `NO (their T_D/mistakes not matched: ${detail})`}`);
  }
  out.push('  (all verdicts compare plain detectors; on monitor-stalls a nines node runs adaptive+stall-aware: see below)');
  const s = report.stall;
  if (s !== null) {
    out.push('');
    out.push(
      `stall awareness (${s.family}, ${s.detector} defaults, ${s.stalls} monitor stalls up to ${fmtMs(s.longestStallMs)}): ` +
        `plain ${s.plain.mistakesDuringStalls} false suspicions from stalls (${s.plain.mistakes} mistakes), ` +
        `stall-aware ${s.stallAware.mistakesDuringStalls} (${s.stallAware.mistakes} mistakes); ` +
        `crashes detected ${s.stallAware.crashesDetected}/${s.stallAware.crashes}, mean T_D ${fmtMs(s.stallAware.meanDetectionMs)} ` +
        `(plain ${fmtMs(s.plain.meanDetectionMs)})`,
    );
  }
  out.push('');
  out.push(`charts: ${outDir}/<family>.svg; ${fmtMs(elapsedMs)}`);
  process.stdout.write(`${out.join('\n')}\n`);
}

/** Source of the heartbeat sender child (run with `node -e`): argv = [port, intervalMs]. */
const SENDER_SOURCE = `
const dgram = require('node:dgram');
const socket = dgram.createSocket('udp4');
const port = Number(process.argv[1]);
const intervalMs = Number(process.argv[2]);
let seq = 0;
setInterval(() => socket.send(String(seq++), port, '127.0.0.1'), intervalMs);
`;

/** Silence recorded after killing the sender (the crash), so T_D can be measured. */
const RECORD_DOWN_MS = 3000;

/** Records heartbeats from a child sender over loopback UDP for `durationMs`, then kills it (the crash). */
export async function recordTrace(durationMs: number, intervalMs: number, progress: (msg: string) => void): Promise<Trace> {
  const socket = createSocket('udp4');
  const arrivals: number[] = [];
  const startMs = performance.now();
  socket.on('message', () => {
    if (arrivals.length < 10_000_000) arrivals.push(performance.now() - startMs);
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(0, '127.0.0.1', () => resolve());
  });
  const port = socket.address().port;
  const child = spawn(process.execPath, ['-e', SENDER_SOURCE, String(port), String(intervalMs)], { stdio: 'ignore' });
  const ticker = setInterval(() => {
    const elapsedMs = performance.now() - startMs;
    const phase =
      elapsedMs < durationMs
        ? `recording: ${formatDurationMs(elapsedMs)} / ${formatDurationMs(durationMs)}`
        : 'sender killed, recording the silence after the crash';
    progress(`\r${phase}, ${arrivals.length} heartbeats`.padEnd(70));
  }, 1000);
  try {
    await new Promise((r) => setTimeout(r, durationMs));
    child.kill('SIGKILL');
    const crashMs = performance.now() - startMs;
    await new Promise((r) => setTimeout(r, RECORD_DOWN_MS));
    const endMs = performance.now() - startMs;
    const kept = arrivals.filter((t) => t < endMs);
    return {
      name: `recorded-${formatDurationMs(durationMs).replace(/\s/g, '')}`,
      intervalMs,
      arrivalsMs: Float64Array.from(kept),
      epochs: [{ startMs: 0, crashMs, endMs }],
      stalls: [],
    };
  } finally {
    clearInterval(ticker);
    child.kill('SIGKILL');
    socket.close();
  }
}
