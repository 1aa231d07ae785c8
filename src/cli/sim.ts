import type { Command } from 'commander';
import { InvalidArgumentError } from '../core/errors.js';
import { PLANTED_BUGS, type PlantedBug, SIM_DETECTORS, type SimDetector } from '../sim/params.js';
import { sweep } from '../sim/sweep.js';
import { action, intOption } from './util.js';

interface SimFlags {
  seed?: number;
  runs: number;
  nodes?: number;
  detector?: string;
  plantBug?: string;
  safetyMs?: number;
  json?: boolean;
  trace?: boolean;
  timing?: boolean;
}

function oneOf<T extends string>(flag: string, value: string, allowed: readonly T[]): T {
  if (!(allowed as readonly string[]).includes(value)) {
    throw new InvalidArgumentError(`${flag} must be one of ${allowed.join(', ')}, got "${value}"`);
  }
  return value as T;
}

/** `nines sim`: the deterministic cluster simulator. */
export function registerSim(program: Command): void {
  program
    .command('sim')
    .description(
      'Run the deterministic cluster simulator: each seed draws a cluster, network, faults and workload, ' +
        'runs a safety phase with faults and a liveness phase after healing, and checks raft safety, ' +
        'linearizability and progress. Same seed, same output. Exits 1 when a run fails.',
    )
    .option('--seed <n>', 'first seed (default: drawn from the clock and printed)', intOption('--seed', 0, 2 ** 52))
    .option('--runs <m>', 'number of runs, seeds seed..seed+m-1', intOption('--runs', 1, 1_000_000), 1)
    .option('--nodes <n>', 'cluster size, 3 or 5 (default: drawn from the seed)', intOption('--nodes', 3, 5))
    .option('--detector <name>', `leader failure detector: ${SIM_DETECTORS.join(' | ')} (default: drawn from the seed)`)
    .option('--plant-bug <name>', `plant a raft bug to show it is caught: ${PLANTED_BUGS.join(' | ')}`)
    .option('--safety-ms <ms>', 'length of the safety (fault) phase in virtual ms (default: drawn)', intOption('--safety-ms', 0, 3_600_000))
    .option('--json', 'print one JSON document with every run')
    .option('--trace', 'print the last events of every run, not only of failed ones')
    .option('--timing', 'print wall-clock time and simulated ops per second on stderr')
    .action(
      action((flags: SimFlags) => {
        if (flags.nodes !== undefined && flags.nodes !== 3 && flags.nodes !== 5) {
          throw new InvalidArgumentError(`--nodes must be 3 or 5, got ${flags.nodes}`);
        }
        const detector = flags.detector === undefined ? undefined : oneOf<SimDetector>('--detector', flags.detector, SIM_DETECTORS);
        const plantBug = flags.plantBug === undefined ? undefined : oneOf<PlantedBug>('--plant-bug', flags.plantBug, PLANTED_BUGS);
        const seed = flags.seed ?? Date.now() % 2 ** 31;
        const startMs = performance.now();
        const showProgress = flags.runs > 1;
        const outcome = sweep(
          {
            seed,
            runs: flags.runs,
            ...(flags.nodes === undefined ? {} : { nodes: flags.nodes }),
            ...(detector === undefined ? {} : { detector }),
            ...(plantBug === undefined ? {} : { plantBug }),
            ...(flags.safetyMs === undefined ? {} : { safetyDurationMs: flags.safetyMs }),
            json: flags.json === true,
            trace: flags.trace === true,
          },
          (chunk) => process.stdout.write(chunk),
          showProgress
            ? (done, failed, s) => {
                if (done === flags.runs || done % Math.max(1, Math.floor(flags.runs / 100)) === 0) {
                  process.stderr.write(`sim: ${done}/${flags.runs} runs, ${failed} failed (seed ${s})\n`);
                }
              }
            : undefined,
        );
        if (flags.timing) {
          const wallMs = performance.now() - startMs;
          const ops = outcome.opsInvoked;
          process.stderr.write(
            `sim: ${flags.runs} runs in ${(wallMs / 1000).toFixed(2)}s` +
              `, ${Math.round(ops / (wallMs / 1000))} simulated client ops/s` +
              '\n',
          );
        }
        if (outcome.failed > 0) process.exitCode = 1;
      }),
    );
}
