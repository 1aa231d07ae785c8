import type { Command } from 'commander';
import { InvalidArgumentError } from '../core/errors.js';
import { parseDurationMs } from '../core/duration.js';
import { formatDurationExact } from '../slo/duration-format.js';
import { formatAvailabilityPercent, formatNines } from '../slo/percent-format.js';
import {
  allowedDowntime,
  type NodeReliability,
  PLAN_NODES_MAX,
  type Plan,
  planQuorum,
  reliabilityFromAvailability,
  reliabilityFromMttf,
} from '../slo/plan.js';
import { action, intOption, numberOption, printJson } from './util.js';

export interface PlanOptions {
  readonly nodeAvailability?: number;
  readonly mttf?: string;
  readonly mttr?: string;
  readonly target: number;
  readonly maxNodes: number;
  readonly failoverMs?: number;
}

/** The node reliability the flags describe (exactly one of --node-availability, --mttf). */
export function nodeFromOptions(o: PlanOptions): NodeReliability {
  if (o.nodeAvailability !== undefined && o.mttf !== undefined) {
    throw new InvalidArgumentError('give --node-availability or --mttf/--mttr, not both');
  }
  const mttrMs = o.mttr === undefined ? undefined : parseDurationMs(o.mttr);
  if (o.nodeAvailability !== undefined) {
    return reliabilityFromAvailability(o.nodeAvailability, mttrMs, mttrMs === undefined);
  }
  if (o.mttf !== undefined) {
    if (mttrMs === undefined) throw new InvalidArgumentError('--mttf needs --mttr (e.g. --mttf 30d --mttr 1h)');
    return reliabilityFromMttf(parseDurationMs(o.mttf), mttrMs);
  }
  throw new InvalidArgumentError('give --node-availability P (e.g. 0.99) or --mttf D --mttr D (e.g. 30d and 1h)');
}

/** The `--json` document of `nines plan`. */
export function planJson(o: PlanOptions): unknown {
  const node = nodeFromOptions(o);
  const plan = planQuorum(planInput(o, node));
  return {
    rows: plan.rows.map((r) => ({
      nodes: r.nodes,
      quorum: r.quorum,
      availability: r.availability,
      downtimeSecondsPerYear: r.downtimeSecondsPerYear,
    })),
    recommended: plan.recommended,
    nodeAvailability: 1 - node.nodeUnavailability,
    targetPercent: o.target,
    failoverMs: o.failoverMs ?? 0,
    leaderFailuresPerYear: plan.leaderFailuresPerYear,
    assumptions: assumptions(o, node),
  };
}

function planInput(o: PlanOptions, node: NodeReliability) {
  return {
    node,
    maxNodes: o.maxNodes,
    targetPercent: o.target,
    ...(o.failoverMs === undefined ? {} : { failoverMs: o.failoverMs }),
  };
}

function assumptions(o: PlanOptions, node: NodeReliability): string[] {
  const out = [
    'nodes fail independently; a majority quorum k = floor(n/2)+1 must be up',
    'availability = sum over i = k..n of C(n,i) p^i (1-p)^(n-i)',
    'a year is 365 days',
  ];
  if (o.failoverMs !== undefined) {
    out.push(
      'each leader failure costs --failover-ms of downtime when n >= 3; leader failures per year = 365d / MTTF' +
        (node.mttrAssumed ? `, with MTTF = MTTR × p/(1-p) and MTTR assumed ${formatDurationExact(node.mttrMs)} (--mttr)` : ''),
    );
  }
  return out;
}

/** The human report of `nines plan`. */
export function planText(o: PlanOptions): string {
  const node = nodeFromOptions(o);
  const plan: Plan = planQuorum(planInput(o, node));
  const p = 1 - node.nodeUnavailability;
  const lines: string[] = [];
  const source =
    o.mttf === undefined
      ? `node availability p = ${p}`
      : `MTTF ${formatDurationExact(node.mttfMs)}, MTTR ${formatDurationExact(node.mttrMs)}: p = MTTF/(MTTF+MTTR) = ${formatAvailabilityPercent(node.nodeUnavailability, 4)}`;
  lines.push(`Quorum availability for ${source}, target ${o.target}%`);
  lines.push('');
  const header = ['nodes', 'quorum', 'survives', 'availability', 'nines', 'downtime/year', ''];
  const table = plan.rows.map((r) => [
    String(r.nodes),
    String(r.quorum),
    String(r.tolerates),
    formatAvailabilityPercent(r.unavailability),
    formatNines(r.nines),
    formatDurationExact(Math.round(r.downtimeSecondsPerYear * 1000)),
    r.nodes === plan.recommended ? '<- recommended' : r.nodes % 2 === 0 ? '(even: no better than n-1)' : '',
  ]);
  lines.push(...renderTable(header, table));
  lines.push('');
  lines.push(
    plan.recommended === null
      ? `No cluster of up to ${o.maxNodes} nodes reaches ${o.target}%: raise --max-nodes or node availability.`
      : `Recommended: ${plan.recommended} nodes, the smallest cluster with availability >= ${o.target}%.`,
  );
  const three = plan.rows[2];
  const four = plan.rows[3];
  if (three && four) {
    lines.push(
      `Even sizes do not help: 4 nodes need a quorum of 3 and survive 1 failure, as 3 nodes do, but have more ` +
        `nodes that can fail (${formatAvailabilityPercent(four.unavailability)} < ${formatAvailabilityPercent(three.unavailability)}).`,
    );
  }
  if (o.failoverMs !== undefined) {
    lines.push(
      `Leader failover: ${plan.leaderFailuresPerYear.toPrecision(4)} leader failures/year × ${o.failoverMs} ms ` +
        `added to the downtime of every n >= 3.`,
    );
  }
  lines.push('');
  for (const a of assumptions(o, node)) lines.push(`Assumes: ${a}.`);
  return lines.join('\n');
}

function renderTable(header: readonly string[], rows: readonly (readonly string[])[]): string[] {
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => (r[c] ?? '').length)));
  const fmt = (cells: readonly string[]): string =>
    cells
      .map((cell, c) => (c === cells.length - 1 ? cell : c < 3 ? cell.padStart(widths[c]!) : cell.padEnd(widths[c]!)))
      .join('  ')
      .trimEnd();
  return [fmt(header), ...rows.map(fmt)];
}

/** The `--json` document of `nines plan downtime`. */
export function downtimeJson(targetPercent: number): unknown {
  const d = allowedDowntime(targetPercent);
  return {
    targetPercent,
    unavailability: d.unavailability,
    perDaySeconds: d.perDayMs / 1000,
    perWeekSeconds: d.perWeekMs / 1000,
    per30DaysSeconds: d.perMonthMs / 1000,
    perYearSeconds: d.perYearMs / 1000,
    conventions: { monthDays: 30, yearDays: 365 },
  };
}

/** The human report of `nines plan downtime`. */
export function downtimeText(targetPercent: number): string {
  const d = allowedDowntime(targetPercent);
  return [
    `Availability ${targetPercent}% allows ${d.unavailability * 100}% downtime:`,
    `  per day      ${formatDurationExact(d.perDayMs)}`,
    `  per week     ${formatDurationExact(d.perWeekMs)}`,
    `  per 30 days  ${formatDurationExact(d.perMonthMs)}   (a "month" here is 30 days)`,
    `  per year     ${formatDurationExact(d.perYearMs)}   (365 days)`,
  ].join('\n');
}

function percentArg(text: string): number {
  const t = text.trim().replace(/%$/, '');
  const n = Number(t);
  if (t === '' || !Number.isFinite(n) || n <= 0 || n >= 100) {
    throw new InvalidArgumentError(`the target must be a percentage strictly between 0 and 100 (e.g. 99.95), got "${text}"`);
  }
  return n;
}

export function registerPlan(program: Command): void {
  const plan = program
    .command('plan')
    .description(
      'Plan availability: replicas needed for a target (majority quorum, independent failures), or `plan downtime TARGET`',
    )
    .option('--node-availability <p>', 'availability of one node, a fraction (e.g. 0.99)', numberOption('--node-availability', 0, 1))
    .option('--mttf <duration>', 'mean time to failure of one node (e.g. 30d); use with --mttr')
    .option('--mttr <duration>', 'mean time to repair one node (e.g. 1h); with --node-availability, used for failover counts (default 1h)')
    .option('--target <percent>', 'availability target in percent', percentArg, 99.999)
    .option('--max-nodes <n>', 'largest cluster to consider', intOption('--max-nodes', 1, PLAN_NODES_MAX), 9)
    .option('--failover-ms <ms>', 'downtime per leader failure (detection + election), added for n >= 3', numberOption('--failover-ms', 0))
    .option('--json', 'print JSON: {"rows":[{nodes,quorum,availability,downtimeSecondsPerYear}],"recommended":n}')
    .action(
      action((opts: PlanOptions & { json?: boolean }) => {
        if (opts.json) printJson(planJson(opts));
        else process.stdout.write(`${planText(opts)}\n`);
      }),
    );
  plan
    .command('downtime')
    .description('Downtime an availability target allows per day, week, 30 days and 365-day year')
    .argument('<target>', 'availability target in percent, e.g. 99.95', percentArg)
    .option('--json', 'print JSON')
    .action(
      action((target: number, opts: { json?: boolean }, cmd: Command) => {
        // `--json` after the target is claimed by `plan` itself (it has --json too).
        const json = opts.json === true || cmd.parent?.opts<{ json?: boolean }>().json === true;
        if (json) printJson(downtimeJson(target));
        else process.stdout.write(`${downtimeText(target)}\n`);
      }),
    );
}
