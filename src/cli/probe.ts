import { randomBytes } from 'node:crypto';
import type { Command } from 'commander';
import { runProbe } from '../chaos/probe.js';
import { parseDurationMs } from '../core/duration.js';
import { InvalidArgumentError } from '../core/errors.js';
import { DEFAULT_UP_DATA_DIR, resolveEndpoints } from '../server/endpoints.js';
import { probeCycleLine, probeSummaryText } from '../slo/probe-report.js';
import { checkProbeId } from '../slo/probe-session.js';
import { action, printJson } from './util.js';

export interface ProbeCliOptions {
  readonly endpoints?: string;
  readonly dataDir: string;
  readonly interval: string;
  readonly duration: string;
  readonly timeout: string;
  readonly id?: string;
  readonly keepKeys?: boolean;
  readonly json?: boolean;
}

function durationFlag(flag: string, text: string): number {
  try {
    return parseDurationMs(text);
  } catch {
    throw new InvalidArgumentError(`${flag} must be a duration such as 500ms, 1s, 5m or 1h, got "${text}"`);
  }
}

/** `nines probe`: run the prober, print live lines (or a refreshing line on a TTY) and the summary. */
export async function probeCommand(o: ProbeCliOptions): Promise<void> {
  const endpoints = resolveEndpoints(o.endpoints, o.dataDir);
  const id = checkProbeId(o.id ?? randomBytes(4).toString('hex'));
  const intervalMs = durationFlag('--interval', o.interval);
  const durationMs = durationFlag('--duration', o.duration);
  const timeoutMs = durationFlag('--timeout', o.timeout);
  const tty = process.stdout.isTTY === true && o.json !== true;
  const stop = new AbortController();
  const onSignal = (): void => stop.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  if (o.json !== true) {
    process.stdout.write(
      `probing ${endpoints.join(', ')} as nines-probe/${id}/ every ${o.interval} for ${o.duration} (Ctrl-C stops early)\n`,
    );
  }
  try {
    const result = await runProbe({
      endpoints,
      id,
      intervalMs,
      durationMs,
      timeoutMs,
      signal: stop.signal,
      cleanup: o.keepKeys !== true,
      onCycle: (c) => {
        if (o.json === true) return;
        const line = probeCycleLine(c);
        process.stdout.write(tty ? `\r\x1b[K${line}` : `${line}\n`);
      },
    });
    if (o.json === true) {
      printJson({ id, endpoints, intervalMs, durationMs, timeoutMs, elapsedMs: result.elapsedMs, cleanedUp: result.cleanedUp, ...result.summary });
      return;
    }
    if (tty) process.stdout.write('\n');
    process.stdout.write(`${probeSummaryText(result.summary, { id, durationMs: result.elapsedMs, endpoints })}\n`);
    if (!result.cleanedUp && o.keepKeys !== true) {
      process.stderr.write(`nines: warning: could not delete the probe keys nines-probe/${id}/ (the cluster did not answer)\n`);
    }
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

export function registerProbe(program: Command): void {
  program
    .command('probe')
    .description(
      'Synthetic outside-in prober: writes and linearizable reads of its own keys (nines-probe/<id>/…) over the HTTP API, ' +
        'failing over between endpoints; prints availability live and a summary (a blackbox SLI)',
    )
    .option('--endpoints <urls>', "members' HTTP URLs, comma-separated (default: from <data-dir>/cluster.json)")
    .option('--data-dir <dir>', 'where `nines up` wrote cluster.json', DEFAULT_UP_DATA_DIR)
    .option('--interval <duration>', 'time between probe cycles (one write + one read)', '1s')
    .option('--duration <duration>', 'how long to probe', '60s')
    .option('--timeout <duration>', 'budget of one attempt across all endpoints it tries', '2s')
    .option('--id <id>', "the prober's id, naming its keys (default: random)")
    .option('--keep-keys', 'do not delete the probe keys at the end')
    .option('--json', 'print only the summary, as JSON')
    .action(action((opts: ProbeCliOptions) => probeCommand(opts)));
}
