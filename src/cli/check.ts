import { readFileSync, statSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import type { Command } from 'commander';
import { checkHistory, type CheckResult } from '../check/checker.js';
import { CheckLimits } from '../check/limits.js';
import { MODEL_NAMES, type ModelName, parseModelName } from '../check/models.js';
import { type ParsedHistory, parseHistory } from '../check/parse.js';
import { InvalidArgumentError, LimitExceededError } from '../core/errors.js';
import { action, intOption } from './util.js';

export interface CheckCommandOptions {
  readonly model: ModelName;
  readonly timeoutMs: number;
  readonly json?: boolean;
}

/** The JSON verdict `nines check` prints, and the exit code that goes with it. */
export interface CheckVerdict {
  readonly document: CheckResult & { readonly file: string; readonly elapsedMs: number; readonly history: ParsedHistory['stats'] };
  /** 0 linearizable, 1 not linearizable, 2 unknown (budget exhausted). */
  readonly exitCode: 0 | 1 | 2;
}

const DEFAULT_TIMEOUT_MS = 60_000;

/**
 * Check a history file's text. Throws `InvalidArgumentError` listing malformed lines with
 * their numbers (the CLI turns it into exit code 2).
 */
export function checkText(
  file: string,
  text: string,
  options: Omit<CheckCommandOptions, 'json'>,
  nowMs: () => number,
): CheckVerdict {
  const started = nowMs();
  const parsed = parseHistory(text);
  if (parsed.errors.length > 0) {
    const lines = parsed.errors.map((e) => `  malformed line ${e.line}: ${e.message}`);
    if (parsed.errorsTruncated) lines.push(`  (stopped after ${parsed.errors.length} errors)`);
    throw new InvalidArgumentError(`${file}: not a valid history:\n${lines.join('\n')}\n(fix these lines; see docs/checker.md for the format)`);
  }
  const result = checkHistory(parsed.operations, { model: options.model, nowMs, timeoutMs: options.timeoutMs });
  const elapsedMs = Math.round((nowMs() - started) * 1000) / 1000;
  const exitCode = result.valid === true ? 0 : result.valid === false ? 1 : 2;
  return { document: { ...result, file, elapsedMs, history: parsed.stats }, exitCode };
}

/** Read a history file, naming the file in every error. */
export function readHistoryFile(file: string): string {
  let sizeBytes: number;
  try {
    const st = statSync(file);
    if (!st.isFile()) throw new InvalidArgumentError(`${file} is not a regular file: give a JSON-lines history file`);
    sizeBytes = st.size;
  } catch (err) {
    if (err instanceof InvalidArgumentError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new InvalidArgumentError(`file not found: ${file}`);
    throw new InvalidArgumentError(`cannot read ${file}: ${(err as Error).message}`);
  }
  if (sizeBytes > CheckLimits.historyBytesMax) {
    throw new LimitExceededError('historyBytesMax', sizeBytes, CheckLimits.historyBytesMax);
  }
  return readFileSync(file, 'utf8');
}

function summary(v: CheckVerdict): string {
  const d = v.document;
  if (d.valid === true) return `linearizable: ${d.opsChecked} operations on ${d.keysTotal} key(s), ${d.elapsedMs} ms`;
  if (d.valid === 'unknown') {
    return `unknown: search budget exhausted after ${d.elapsedMs} ms with ${d.keysTotal - d.keysChecked} key(s) undecided (raise --timeout-ms)`;
  }
  const f = d.failure;
  return f === undefined
    ? 'not linearizable'
    : `NOT linearizable: key ${JSON.stringify(f.key)}: after a linearisable prefix of ${f.prefixLength} operations, ${f.cannotOrder.length} concurrent operation(s) cannot be ordered`;
}

export function registerCheck(program: Command): void {
  program
    .command('check')
    .description(
      'Check that a Jepsen-style JSON-lines history is linearizable (Wing & Gong / Lowe search, per key). ' +
        'Prints one JSON verdict; exits 0 if linearizable, 1 if not, 2 if unknown (time budget exhausted) or the file is bad.',
    )
    .argument('<file>', 'history file: one event per line, e.g. {"process":0,"type":"invoke","f":"write","key":"x","value":3,"time":1000}')
    .option(
      '--model <model>',
      `consistency model per key: ${MODEL_NAMES.join(' | ')} (register: read/write; cas-register and kv: read/write/cas)`,
      parseModelName,
      'cas-register',
    )
    .option('--timeout-ms <n>', 'search time budget in milliseconds; past it the verdict is "unknown"', intOption('--timeout-ms', 0), DEFAULT_TIMEOUT_MS)
    .option('--json', 'print only the JSON verdict (no one-line summary on stderr)')
    .action(
      action((file: string, options: CheckCommandOptions) => {
        const text = readHistoryFile(file);
        const verdict = checkText(file, text, options, () => performance.now());
        process.stdout.write(`${JSON.stringify(verdict.document, null, 2)}\n`);
        if (!options.json) process.stderr.write(`nines check: ${summary(verdict)}\n`);
        process.exitCode = verdict.exitCode;
      }),
    );
}
