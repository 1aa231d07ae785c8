#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { isNinesError } from '../core/errors.js';
// nines:register-imports (one line per subcommand module; keep sorted)
import { registerCheck } from './check.js';
import { registerDetect } from './detect.js';
import { registerKv } from './kv.js';
import { registerPlan } from './plan.js';
import { registerProbe } from './probe.js';
import { registerSim } from './sim.js';
import { registerSlo } from './slo.js';
import { registerSnapshot } from './snapshot.js';
import { registerStart } from './start.js';
import { registerStatus } from './status.js';
import { registerUp } from './up.js';

const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };

export function buildProgram(): Command {
  const program = new Command('nines')
    .description('A fault-tolerant, etcd-compatible key-value service with measured failure detection.')
    .version(pkg.version, '-v, --version')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .configureOutput({ outputError: (str, write) => write(`nines: ${str.replace(/^error: /, '')}`) });
  // nines:register-calls (one line per subcommand module; keep sorted)
  registerCheck(program);
  registerDetect(program);
  registerKv(program);
  registerPlan(program);
  registerProbe(program);
  registerSim(program);
  registerSlo(program);
  registerSnapshot(program);
  registerStart(program);
  registerStatus(program);
  registerUp(program);
  return program;
}

async function main(): Promise<void> {
  const program = buildProgram();
  try {
    await program.parseAsync(process.argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      process.exitCode = err.exitCode === 0 ? 0 : 2;
      return;
    }
    if (isNinesError(err)) {
      process.stderr.write(`nines: ${err.message} (${err.code})\n`);
      process.exitCode = 2;
      return;
    }
    throw err;
  }
}

await main();
