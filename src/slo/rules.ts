import { stringify } from 'yaml';
import { BURN_RATE_WINDOWS_MS } from './alerts.js';
import { promDuration } from './duration-format.js';
import type { Objective, SloSpec } from './spec.js';

/**
 * The metrics a nines server exposes for its SLIs (the contract rules are written over):
 * - `nines_requests_total{method,outcome}` counter, outcome ∈ good | bad | client_error
 *   (see outcome.ts), one increment per answered client request;
 * - `nines_request_duration_seconds{method}` histogram, observed ONLY for requests whose
 *   outcome is not `bad`, with a bucket boundary at every latency threshold of the spec
 *   (`histogramBucketsSeconds`). A latency objective's bad events are then
 *   bad + (histogram count − bucket{le=threshold}).
 */
export const SLO_METRICS = {
  requestsTotal: 'nines_requests_total',
  requestDurationSeconds: 'nines_request_duration_seconds',
} as const;

/** Prometheus' default histogram buckets, in seconds. */
export const DEFAULT_BUCKETS_SECONDS: readonly number[] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** Histogram buckets for the server: the defaults plus every latency threshold of the spec. */
export function histogramBucketsSeconds(spec: SloSpec): number[] {
  const all = new Set(DEFAULT_BUCKETS_SECONDS);
  for (const o of spec.objectives) if (o.latencyThresholdMs !== undefined) all.add(leSeconds(o.latencyThresholdMs));
  return [...all].sort((a, b) => a - b);
}

function leSeconds(ms: number): number {
  return Number((ms / 1000).toPrecision(12));
}

export interface PromRule {
  record?: string;
  alert?: string;
  expr: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}
export interface PromRuleGroup {
  name: string;
  rules: PromRule[];
}
export interface PromRuleFile {
  groups: PromRuleGroup[];
}

/** Escape a string for a PromQL double-quoted literal. */
function promString(s: string): string {
  return s.replace(/\\/g, '\\\\').replace(/"/g, '\\"');
}

function methodMatcher(o: Objective): string {
  if (o.methods === undefined) return '';
  const alternatives = o.methods.map((m) => m.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|');
  return `method=~"${promString(alternatives)}"`;
}

function selector(...matchers: string[]): string {
  const parts = matchers.filter((m) => m !== '');
  return parts.length === 0 ? '' : `{${parts.join(',')}}`;
}

/** The PromQL error ratio of an objective over a window (bad ÷ valid). */
export function errorRatioExpr(o: Objective, windowMs: number): string {
  const w = promDuration(windowMs);
  const m = methodMatcher(o);
  const total = `sum(rate(${SLO_METRICS.requestsTotal}${selector(m)}[${w}]))`;
  const failed = `(sum(rate(${SLO_METRICS.requestsTotal}${selector('outcome="bad"', m)}[${w}])) or vector(0))`;
  if (o.kind === 'availability') return `${failed}\n/\n${total}`;
  const h = SLO_METRICS.requestDurationSeconds;
  const le = `le="${leSeconds(o.latencyThresholdMs!)}"`;
  const count = `(sum(rate(${h}_count${selector(m)}[${w}])) or vector(0))`;
  const fast = `(sum(rate(${h}_bucket${selector(le, m)}[${w}])) or vector(0))`;
  return `(\n  ${failed}\n  +\n  ${count}\n  -\n  ${fast}\n)\n/\n${total}`;
}

function pascal(name: string): string {
  return name
    .split(/[^A-Za-z0-9]+/)
    .filter((p) => p !== '')
    .map((p) => p[0]!.toUpperCase() + p.slice(1))
    .join('');
}

/** A number for PromQL without float dust. */
function num(x: number): string {
  return String(Number(x.toPrecision(12)));
}

/**
 * Sloth-style Prometheus rules for a spec, per objective: recording rules for the error
 * ratio over every window (burn-rate windows, alert windows, the period), metadata
 * recordings (objective, budget, burn rates, budget remaining), and one multiwindow
 * multi-burn-rate alert per severity (`or` of its windows; each fires when the error
 * ratio over both the long and the short window exceeds burnRate × (1 − target)).
 */
export function prometheusRules(spec: SloSpec): PromRuleFile {
  const groups: PromRuleGroup[] = [];
  const windows = [
    ...new Set([
      ...BURN_RATE_WINDOWS_MS,
      ...spec.alerts.flatMap((a) => [a.longWindowMs, a.shortWindowMs]),
      spec.periodMs,
    ]),
  ].sort((a, b) => a - b);
  const period = promDuration(spec.periodMs);
  for (const o of spec.objectives) {
    const labels = { nines_service: spec.service, nines_slo: o.name };
    const sel = `{nines_service="${promString(spec.service)}",nines_slo="${promString(o.name)}"}`;
    const budget = num(1 - o.target);
    groups.push({
      name: `nines-slo-${o.name}-sli-recordings`,
      rules: windows.map((w) => ({
        record: `slo:sli_error:ratio_rate${promDuration(w)}`,
        expr: errorRatioExpr(o, w),
        // No window label: the record name carries the window, and the alerts' `and`
        // must match long- and short-window series on identical label sets.
        labels: { ...labels },
      })),
    });
    groups.push({
      name: `nines-slo-${o.name}-meta-recordings`,
      rules: [
        { record: 'slo:objective:ratio', expr: `vector(${num(o.target)})`, labels },
        { record: 'slo:error_budget:ratio', expr: `vector(${budget})`, labels },
        { record: 'slo:time_period:days', expr: `vector(${num(spec.periodMs / 86_400_000)})`, labels },
        { record: 'slo:current_burn_rate:ratio', expr: `slo:sli_error:ratio_rate5m${sel} / ${budget}`, labels },
        { record: 'slo:period_burn_rate:ratio', expr: `slo:sli_error:ratio_rate${period}${sel} / ${budget}`, labels },
        { record: 'slo:period_error_budget_remaining:ratio', expr: `1 - slo:period_burn_rate:ratio${sel}`, labels },
      ],
    });
    const alertRules: PromRule[] = [];
    for (const severity of ['page', 'ticket'] as const) {
      const ws = spec.alerts.filter((a) => a.severity === severity);
      if (ws.length === 0) continue;
      const clauses = ws.map((a) => {
        const threshold = `(${num(a.burnRate)} * ${budget})`;
        const long = `slo:sli_error:ratio_rate${promDuration(a.longWindowMs)}${sel} > ${threshold}`;
        const short = `slo:sli_error:ratio_rate${promDuration(a.shortWindowMs)}${sel} > ${threshold}`;
        return `(\n  (${long})\n  and\n  (${short})\n)`;
      });
      const table = ws
        .map((a) => `${promDuration(a.longWindowMs)}/${promDuration(a.shortWindowMs)} > ${num(a.burnRate)}x`)
        .join(', ');
      alertRules.push({
        alert: `NinesSlo${pascal(o.name)}${severity === 'page' ? 'Page' : 'Ticket'}`,
        expr: clauses.join('\nor\n'),
        labels: { ...labels, severity },
        annotations: {
          summary: `${spec.service} ${o.name} SLO (${num(o.target * 100)}% over ${period}) is burning its error budget too fast`,
          description: `Multiwindow burn-rate ${severity}: ${table} (burn rate 1 spends the budget in exactly ${period}).`,
        },
      });
    }
    groups.push({ name: `nines-slo-${o.name}-alerts`, rules: alertRules });
  }
  return { groups };
}

/** `prometheusRules` as a Prometheus rule file (YAML). */
export function prometheusRulesYaml(spec: SloSpec): string {
  const header =
    `# Prometheus rules for the ${spec.service} SLOs, generated by \`nines slo rules\`.\n` +
    '# Metrics: nines_requests_total{method,outcome}, nines_request_duration_seconds{method}.\n';
  return header + stringify(prometheusRules(spec), { lineWidth: 0, aliasDuplicateObjects: false });
}
