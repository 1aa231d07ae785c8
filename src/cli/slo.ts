import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { parseDurationMs } from '../core/duration.js';
import { InvalidArgumentError } from '../core/errors.js';
import { type AlertWindow, alertTable, errorRatioThreshold } from '../slo/alerts.js';
import { promDuration } from '../slo/duration-format.js';
import { parseSloStatusDoc } from '../slo/status-doc.js';
import { buildSloStatusReport, type MemberSloResult, sloStatusJson, sloStatusText } from '../slo/status-view.js';
import { DEFAULT_UP_DATA_DIR, resolveEndpoints } from '../server/endpoints.js';
import { prometheusRulesYaml } from '../slo/rules.js';
import { defaultSloSpec, type SloSpec } from '../slo/spec.js';
import { type ParsedSloSpec, parseSloSpec } from '../slo/spec-yaml.js';
import { action, printJson } from './util.js';

/** How long `nines slo status` waits for each member. */
const STATUS_TIMEOUT_MS = 3_000;

/** `GET /v1/slo` from every endpoint, in parallel, each within `timeoutMs`. */
export async function fetchSloStatus(endpoints: readonly string[], timeoutMs = STATUS_TIMEOUT_MS): Promise<MemberSloResult[]> {
  return Promise.all(
    endpoints.map(async (endpoint): Promise<MemberSloResult> => {
      const base = endpoint.replace(/\/+$/, '');
      try {
        const res = await fetch(`${base}/v1/slo`, { signal: AbortSignal.timeout(timeoutMs) });
        const text = await res.text();
        if (res.status === 404) return { endpoint, error: 'this member does not serve GET /v1/slo (an older nines?)' };
        if (!res.ok) return { endpoint, error: `HTTP ${res.status}: ${text.slice(0, 200)}` };
        let doc: unknown;
        try {
          doc = JSON.parse(text);
        } catch {
          return { endpoint, error: 'the answer is not JSON' };
        }
        return { endpoint, status: parseSloStatusDoc(doc, base) };
      } catch (err) {
        const e = err as { name?: string; message?: string; cause?: { code?: string; message?: string } };
        const why =
          e.name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : (e.cause?.code ?? e.cause?.message ?? e.message ?? String(err));
        return { endpoint, error: why };
      }
    }),
  );
}

export interface StatusOptions {
  readonly endpoints?: string;
  readonly dataDir: string;
  readonly json?: boolean;
}

/** `nines slo status`: print every member's SLO state and the cluster's. Exit 1 if none answered. */
export async function sloStatusCommand(o: StatusOptions): Promise<void> {
  const endpoints = resolveEndpoints(o.endpoints, o.dataDir);
  const report = buildSloStatusReport(await fetchSloStatus(endpoints));
  if (o.json) printJson(sloStatusJson(report));
  else process.stdout.write(`${sloStatusText(report)}\n`);
  if (report.members.every((m) => m.snapshot === null)) process.exitCode = 1;
}

/** Read and parse an SLO spec file (nines format or OpenSLO v1). */
export function readSpecFile(file: string): ParsedSloSpec {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    throw new InvalidArgumentError(`cannot read SLO spec "${file}": ${why}`);
  }
  return parseSloSpec(text, file);
}

export interface AlertsOptions {
  readonly period?: string;
  readonly spec?: string;
  readonly target?: number;
}

interface AlertsView {
  readonly periodMs: number;
  readonly targetPercent: number;
  readonly windows: readonly AlertWindow[];
}

function alertsView(o: AlertsOptions): AlertsView {
  if (o.period !== undefined && o.spec !== undefined) {
    throw new InvalidArgumentError('give --period or --spec, not both (the spec sets its own period)');
  }
  let spec: SloSpec;
  if (o.spec !== undefined) {
    const parsed = readSpecFile(o.spec);
    for (const w of parsed.warnings) process.stderr.write(`nines: warning: ${w}\n`);
    spec = parsed.spec;
  } else {
    spec = defaultSloSpec();
  }
  const periodMs = o.period === undefined ? spec.periodMs : parsePeriod(o.period);
  const windows = o.period === undefined ? spec.alerts : alertTable(periodMs);
  const targetPercent = o.target ?? Number(((spec.objectives[0]?.target ?? 0.999) * 100).toPrecision(12));
  return { periodMs, targetPercent, windows };
}

function parsePeriod(text: string): number {
  const ms = parseDurationMs(text);
  if (!Number.isSafeInteger(ms) || ms < 3_600_000 || ms > 366 * 86_400_000) {
    throw new InvalidArgumentError(`--period must be a duration from 1h to 366d (e.g. 30d, 28d, 7d), got "${text}"`);
  }
  return ms;
}

/** The `--json` document of `nines slo alerts`. */
export function alertsJson(o: AlertsOptions): unknown {
  const v = alertsView(o);
  const target = v.targetPercent / 100;
  return {
    period: promDuration(v.periodMs),
    periodMs: v.periodMs,
    formula: 'burnRate = budgetFraction × period ÷ longWindow',
    targetPercent: v.targetPercent,
    windows: v.windows.map((w) => ({
      severity: w.severity,
      long: promDuration(w.longWindowMs),
      short: promDuration(w.shortWindowMs),
      longWindowMs: w.longWindowMs,
      shortWindowMs: w.shortWindowMs,
      budgetFraction: w.budgetFraction,
      burnRate: w.burnRate,
      errorRatioThreshold: Number(errorRatioThreshold(w, target).toPrecision(12)),
    })),
  };
}

/** The human report of `nines slo alerts`. */
export function alertsText(o: AlertsOptions): string {
  const v = alertsView(o);
  const target = v.targetPercent / 100;
  const header = ['severity', 'long', 'short', 'budget', 'burn rate', `error ratio @${v.targetPercent}%`];
  const rows = v.windows.map((w) => {
    const ratio = errorRatioThreshold(w, target);
    return [
      w.severity,
      promDuration(w.longWindowMs),
      promDuration(w.shortWindowMs),
      `${Number((w.budgetFraction * 100).toPrecision(6))}%`,
      String(Number(w.burnRate.toPrecision(6))),
      ratio > 1 ? 'unreachable (>100%)' : `${Number((ratio * 100).toPrecision(6))}%`,
    ];
  });
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => (r[c] ?? '').length)));
  const fmt = (cells: readonly string[]) => cells.map((s, c) => s.padEnd(widths[c]!)).join('  ').trimEnd();
  return [
    `Multiwindow burn-rate alerts for a ${promDuration(v.periodMs)} period`,
    'burn rate = budget fraction × period ÷ long window; an alert fires when the burn rate over both windows exceeds it',
    '',
    fmt(header),
    ...rows.map(fmt),
  ].join('\n');
}

export function registerSlo(program: Command): void {
  const slo = program
    .command('slo')
    .description('Service level objectives: burn-rate alert table and Prometheus rules (see docs/slo.md)');
  slo
    .command('alerts')
    .description('Print the multiwindow burn-rate alert table in effect for a period or a spec')
    .option('--period <duration>', 'SLO period, e.g. 30d, 28d, 7d (default: 30d)')
    .option('--spec <file>', 'read the period and alert windows from an SLO spec (YAML)')
    .option('--target <percent>', 'show the error ratio each alert fires at for this target (default 99.9)', targetArg)
    .option('--json', 'print JSON')
    .action(
      action((opts: AlertsOptions & { json?: boolean }) => {
        if (opts.json) printJson(alertsJson(opts));
        else process.stdout.write(`${alertsText(opts)}\n`);
      }),
    );
  slo
    .command('rules')
    .description('Print Prometheus recording and alerting rules (Sloth-style) for an SLO spec')
    .argument('[spec]', 'SLO spec file (nines YAML or OpenSLO v1); default: 99.9% availability, 99% < 100ms, 30d')
    .action(
      action((file: string | undefined) => {
        let spec = defaultSloSpec();
        if (file !== undefined) {
          const parsed = readSpecFile(file);
          for (const w of parsed.warnings) process.stderr.write(`nines: warning: ${w}\n`);
          spec = parsed.spec;
        }
        process.stdout.write(prometheusRulesYaml(spec));
      }),
    );
  slo
    .command('status')
    .description(
      'Live SLOs of a running cluster (GET /v1/slo of every member): SLI, error budget left, burn rates and firing alerts, per member and for the cluster',
    )
    .option('--endpoints <urls>', "members' HTTP URLs, comma-separated (default: from <data-dir>/cluster.json)")
    .option('--data-dir <dir>', 'where `nines up` wrote cluster.json', DEFAULT_UP_DATA_DIR)
    .option('--json', 'print JSON')
    .action(action((opts: StatusOptions) => sloStatusCommand(opts)));
}

function targetArg(text: string): number {
  const t = text.trim().replace(/%$/, '');
  const n = Number(t);
  if (t === '' || !Number.isFinite(n) || n <= 0 || n >= 100) {
    throw new InvalidArgumentError(`--target must be a percentage strictly between 0 and 100 (e.g. 99.9), got "${text}"`);
  }
  return n;
}
