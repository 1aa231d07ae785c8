import { InvalidArgumentError } from '../core/errors.js';
import { formatResult } from './format.js';
import { SimLimits } from './limits.js';
import type { PlantedBug, SimDetector } from './params.js';
import { runSim, type SimResult } from './run.js';

/** What `nines sim` asks for. */
export interface SweepOptions {
  readonly seed: number;
  readonly runs: number;
  readonly nodes?: number;
  readonly detector?: SimDetector;
  readonly plantBug?: PlantedBug;
  readonly safetyDurationMs?: number;
  readonly json?: boolean;
  readonly trace?: boolean;
}

export interface SweepOutcome {
  readonly passed: number;
  readonly failed: number;
  /** Client operations invoked over all runs. */
  readonly opsInvoked: number;
  /** The failed runs (the passed ones were only written out, so memory stays bounded). */
  readonly failures: readonly SimResult[];
}

/**
 * Run seeds `seed … seed+runs-1` and write the output of `nines sim` to `write` as it goes:
 * text (each run's seed, parameters and outcome, then a summary) or one JSON document
 * (`{"seed","runs","results":[…],"passed","failed"}`). `progress` is called after each run
 * (for stderr). Deterministic: same options, same output.
 */
export function sweep(
  options: SweepOptions,
  write: (chunk: string) => void,
  progress?: (done: number, failed: number, seed: number) => void,
): SweepOutcome {
  if (!Number.isSafeInteger(options.runs) || options.runs < 1 || options.runs > SimLimits.runsMax) {
    throw new InvalidArgumentError(`--runs must be an integer from 1 to ${SimLimits.runsMax}, got ${options.runs}`);
  }
  if (!Number.isSafeInteger(options.seed) || !Number.isSafeInteger(options.seed + options.runs)) {
    throw new InvalidArgumentError(`--seed + --runs must stay a safe integer, got ${options.seed} + ${options.runs}`);
  }
  const fixed = {
    ...(options.nodes === undefined ? {} : { nodes: options.nodes }),
    ...(options.detector === undefined ? {} : { detector: options.detector }),
  };
  const failures: SimResult[] = [];
  let failed = 0;
  let opsInvoked = 0;
  if (options.json) write(`{\n  "seed": ${options.seed},\n  "runs": ${options.runs},\n  "results": [\n`);
  for (let i = 0; i < options.runs; i++) {
    const seed = options.seed + i;
    const r = runSim({
      seed,
      ...fixed,
      ...(options.plantBug === undefined ? {} : { plantBug: options.plantBug }),
      ...(options.safetyDurationMs === undefined ? {} : { safetyDurationMs: options.safetyDurationMs }),
      keepTrace: options.trace === true,
    });
    opsInvoked += r.stats.ops.invoked;
    if (!r.ok) {
      failed++;
      if (failures.length < SimLimits.violationsMax) failures.push(r);
    }
    if (options.json) write(`${indent(JSON.stringify(r, null, 2), '    ')}${i + 1 < options.runs ? ',' : ''}\n`);
    else write(`${i > 0 ? '\n' : ''}${formatResult(r, fixed)}\n`);
    progress?.(i + 1, failed, seed);
  }
  const passed = options.runs - failed;
  if (options.json) write(`  ],\n  "passed": ${passed},\n  "failed": ${failed}\n}\n`);
  else write(`\n${options.runs} run${options.runs === 1 ? '' : 's'}: ${passed} passed, ${failed} failed\n`);
  return { passed, failed, opsInvoked, failures };
}

function indent(text: string, pad: string): string {
  return text
    .split('\n')
    .map((line) => pad + line)
    .join('\n');
}
