/**
 * Benchmark of the linearizability checker. Issue 3 goal: a history of 10,000 operations from
 * 10 processes on 10 keys checked in under 1 s.
 * Histories come from a simulated correct register store (random overlapping ops, some of
 * them indeterminate `info`), so they are linearizable; a variant with one injected stale
 * read must be found not linearizable, also within the goal.
 * Run: npx tsc -p tsconfig.json && node dist/bench/check.js [--seed N]
 * Prints one JSON line per case; exits 1 if any case misses its verdict or the goal.
 */
import { performance } from 'node:perf_hooks';
import { checkHistory } from '../src/check/checker.js';
import { eventsToOperations, type GenerateOptions, generateLinearizableHistory, injectStaleRead } from '../src/check/generate.js';
import type { ModelName } from '../src/check/models.js';
import type { Operation } from '../src/check/types.js';
import { SeededRandom } from '../src/core/random.js';

const GOAL_MS = 1000;
const TIMEOUT_MS = 30_000;
const seedFlag = process.argv.indexOf('--seed');
const seed = seedFlag >= 0 ? Number(process.argv[seedFlag + 1]) : 1;
const nowMs = () => performance.now();

function run(label: string, shape: GenerateOptions, history: readonly Operation[], model: ModelName, expected: boolean): boolean {
  const started = performance.now();
  const cpuStarted = process.cpuUsage();
  const result = checkHistory(history, { model, nowMs, timeoutMs: TIMEOUT_MS });
  const timeMs = performance.now() - started;
  const cpu = process.cpuUsage(cpuStarted);
  const pass = result.valid === expected && timeMs < GOAL_MS;
  console.log(
    JSON.stringify({
      bench: label,
      seed,
      model,
      operationsInvoked: shape.ops,
      opsChecked: result.opsChecked,
      infoOps: history.filter((o) => !Number.isFinite(o.returnMs)).length,
      failedOpsDropped: shape.ops - history.length,
      processes: shape.processes,
      keys: result.keysTotal,
      steps: result.steps,
      timeMs: Math.round(timeMs * 10) / 10,
      // CPU time of this process: close to timeMs on an idle machine, smaller when it is shared.
      cpuMs: Math.round((cpu.user + cpu.system) / 100) / 10,
      verdict: result.valid,
      expected,
      goalMs: GOAL_MS,
      pass,
      ...(result.failure ? { failedKey: result.failure.key, prefixLength: result.failure.prefixLength } : {}),
    }),
  );
  return pass;
}

const registerShape: GenerateOptions = { ops: 10_000, processes: 10, keys: 10, infoRate: 0.02 };
const casShape: GenerateOptions = { ...registerShape, cas: true };

// Warm up the JIT on a small history so the timings reflect steady state.
checkHistory(eventsToOperations(generateLinearizableHistory(new SeededRandom(seed + 1), { ...casShape, ops: 2000 })));

const results: boolean[] = [];
for (const [label, shape, model] of [
  ['register', registerShape, 'register'],
  ['cas-register', casShape, 'cas-register'],
] as const) {
  const random = new SeededRandom(seed);
  const ops = eventsToOperations(generateLinearizableHistory(random, shape));
  results.push(run(`${label}-linearizable`, shape, ops, model, true));
  const stale = injectStaleRead(ops, random);
  if (stale === null) {
    console.log(JSON.stringify({ bench: `${label}-stale-read`, seed, error: 'no stale read could be injected' }));
    results.push(false);
  } else {
    results.push(run(`${label}-stale-read`, shape, stale, model, false));
  }
}
process.exitCode = results.every((r) => r) ? 0 : 1;
