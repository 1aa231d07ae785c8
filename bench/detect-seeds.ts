/**
 * The detector bench over many seeds: the per-seed verdicts of `nines detect bench` side by side,
 * and the fronts pooled over the seeds (src/detect/pooled.ts), which estimate each detector's
 * expected trade-off with the per-seed Poisson noise averaged out.
 *
 * Run: npm run bench:detect-seeds -- [--seeds 1-8] [--full] [--json]
 * (quick: about 15 s per seed on this 2-core machine; full: about 4 min per seed).
 */
import { parseArgs } from 'node:util';
import { type BenchReport, benchTraces, runBench } from '../src/detect/bench.js';
import { poolFamily } from '../src/detect/pooled.js';
import type { TraceFamilyName } from '../src/detect/traces.js';

const USAGE = 'usage: detect-seeds [--seeds FROM-TO] [--full] [--json]   (default --seeds 1-8, quick traces)';
/** At most this many seeds in one run (each is a whole bench). */
const SEEDS_MAX = 64;

function fail(message: string): never {
  process.stderr.write(`detect-seeds: ${message}\n${USAGE}\n`);
  process.exit(2);
}

let args: { seeds: string; full: boolean; json: boolean; help: boolean };
try {
  const parsed = parseArgs({
    options: {
      seeds: { type: 'string', default: '1-8' },
      full: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  }).values;
  args = { seeds: parsed.seeds, full: parsed.full, json: parsed.json, help: parsed.help };
} catch (e) {
  fail((e as Error).message);
}
if (args.help) {
  process.stdout.write(`${USAGE}\n`);
  process.exit(0);
}
const m = /^(\d+)(?:-(\d+))?$/.exec(args.seeds);
if (m === null) fail(`--seeds must be N or FROM-TO (e.g. 1-8), got "${args.seeds}"`);
const from = Number(m[1]);
const to = Number(m[2] ?? m[1]);
if (to < from || to - from + 1 > SEEDS_MAX) fail(`--seeds must name 1 to ${SEEDS_MAX} seeds in increasing order, got "${args.seeds}"`);

const reports: BenchReport[] = [];
for (let seed = from; seed <= to; seed++) {
  const startMs = performance.now();
  reports.push(runBench({ seed, quick: !args.full }));
  process.stderr.write(`seed ${seed} done in ${((performance.now() - startMs) / 1000).toFixed(1)} s\n`);
}
const pooled = reports[0]!.families.map((f) => {
  const startMs = performance.now();
  const traces = reports.map((r) => benchTraces(r.seed, !args.full, [f.name as TraceFamilyName])[0]!);
  const result = poolFamily(f.name, reports, traces);
  process.stderr.write(`pooled ${f.name} in ${((performance.now() - startMs) / 1000).toFixed(1)} s\n`);
  return result;
});

if (args.json) {
  const perSeed = reports.map((r) => ({
    seed: r.seed,
    families: r.families.map((f) => ({ name: f.name, dominates: f.dominates, withinNoise: f.withinNoise.dominates, toleranceNeeded: f.toleranceNeeded })),
  }));
  const pooledOut = pooled.map((f) => ({ name: f.name, seeds: f.seeds, upHours: f.upHours, dominates: f.dominates, dominatesEach: f.dominatesEach, worstRatio: f.worstRatio, worstZ: f.worstZ, worst: f.worst }));
  process.stdout.write(`${JSON.stringify({ quick: !args.full, seeds: [from, to], perSeed, pooled: pooledOut }, null, 2)}\n`);
  process.exit(0);
}

const out: string[] = [];
out.push(`Per seed (${args.full ? 'full' : 'quick'} traces): ✓ = adaptive dominates at 2 %, else the tolerance it would need; "!" = not even within noise`);
const names = reports[0]!.families.map((f) => f.name);
out.push(`${'family'.padEnd(15)}${reports.map((r) => `s${r.seed}`.padStart(7)).join('')}   strict  noise`);
for (const name of names) {
  let strict = 0;
  let noise = 0;
  const cells = reports.map((r) => {
    const f = r.families.find((x) => x.name === name)!;
    if (f.dominates) strict++;
    if (f.withinNoise.dominates) noise++;
    const cell = f.dominates ? '✓' : `${(f.toleranceNeeded * 100).toFixed(0)}%`;
    return `${cell}${f.withinNoise.dominates ? '' : '!'}`.padStart(7);
  });
  out.push(`${name.padEnd(15)}${cells.join('')}   ${`${strict}/${reports.length}`.padStart(6)} ${`${noise}/${reports.length}`.padStart(6)}`);
}
out.push('');
out.push(`Pooled over ${reports.length} seeds: at each competitor's pooled front point, adaptive's mistakes at its T_D (+2 %) over theirs; the worst ratio (≤ 1.02 = dominated at 2 %) and where`);
const others = Object.keys(pooled[0]?.worstRatio ?? {});
out.push(`${'family'.padEnd(15)}${'h'.padStart(6)}${others.map((n) => n.padStart(24)).join('')}`);
for (const f of pooled) {
  const cells = others.map((n) => {
    const r = f.worstRatio[n]!;
    const w = f.worst[n];
    const at = w === null || w === undefined ? '' : ` ${w.ourMistakes}/${w.theirMistakes}@${w.detectionMs.toFixed(0)}`;
    return `${Number.isFinite(r) ? r.toFixed(2) : '∞'}${r <= 1.02 ? ' ' : '*'}${at}`.padStart(24);
  });
  out.push(`${f.name.padEnd(15)}${f.upHours.toFixed(1).padStart(6)}${cells.join('')}`);
}
out.push(`families dominated (pooled, 2 %): ${pooled.filter((f) => f.dominates).length}/${pooled.length}   (* = above 1.02; cells: ratio ours/theirs mistakes @ their T_D in ms)`);
out.push('');
out.push('The same, as the largest excess of our mistakes over theirs in standard errors (z > 2: theirs is better beyond chance)');
out.push(`${'family'.padEnd(15)}${others.map((n) => n.padStart(20)).join('')}`);
for (const f of pooled) out.push(`${f.name.padEnd(15)}${others.map((n) => `${f.worstZ[n]!.toFixed(1)}${f.worstZ[n]! > 2 ? '*' : ' '}`.padStart(20)).join('')}`);
process.stdout.write(`${out.join('\n')}\n`);
