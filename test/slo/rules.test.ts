import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { errorRatioExpr, histogramBucketsSeconds, type PromRuleFile, prometheusRules, prometheusRulesYaml } from '../../src/slo/rules.js';
import { buildSloSpec, defaultSloSpec } from '../../src/slo/spec.js';

const DAY = 86_400_000;

function balanced(expr: string): boolean {
  let depth = 0;
  for (const ch of expr) {
    if (ch === '(') depth++;
    if (ch === ')' && --depth < 0) return false;
  }
  return depth === 0;
}

describe('Prometheus rules', () => {
  it('is a valid rule file: groups of named rules, each a recording or an alert with an expr', () => {
    const text = prometheusRulesYaml(defaultSloSpec());
    const file = parse(text) as PromRuleFile;
    expect(file.groups).toHaveLength(3 * 2);
    expect(text).not.toMatch(/[&*]a\d/); // no YAML anchors
    const names = new Set<string>();
    for (const g of file.groups) {
      expect(names.has(g.name)).toBe(false);
      names.add(g.name);
      expect(g.rules.length).toBeGreaterThan(0);
      for (const r of g.rules) {
        expect(typeof r.expr).toBe('string');
        expect(balanced(r.expr)).toBe(true);
        expect((r.record === undefined) !== (r.alert === undefined)).toBe(true);
        if (r.record) expect(r.record).toMatch(/^[a-zA-Z_:][a-zA-Z0-9_:]*$/);
        if (r.alert) expect(r.alert).toMatch(/^[a-zA-Z_][a-zA-Z0-9_]*$/);
        for (const [k, v] of Object.entries(r.labels ?? {})) {
          expect(k).toMatch(/^[a-zA-Z_][a-zA-Z0-9_]*$/);
          expect(typeof v).toBe('string');
        }
      }
    }
  });

  it('pages on 1h/5m at 14.4 and 6h/30m at 6, tickets on 1d/2h at 3 and 3d/6h at 1 (30 days, 99.9%)', () => {
    const file = prometheusRules(defaultSloSpec());
    const alerts = file.groups.find((g) => g.name === 'nines-slo-availability-alerts')!.rules;
    expect(alerts.map((r) => [r.alert, r.labels?.severity])).toEqual([
      ['NinesSloAvailabilityPage', 'page'],
      ['NinesSloAvailabilityTicket', 'ticket'],
    ]);
    const page = alerts[0]!.expr;
    expect(page).toContain('slo:sli_error:ratio_rate1h{nines_service="nines",nines_slo="availability"} > (14.4 * 0.001)');
    expect(page).toContain('slo:sli_error:ratio_rate5m{nines_service="nines",nines_slo="availability"} > (14.4 * 0.001)');
    expect(page).toContain('ratio_rate6h{nines_service="nines",nines_slo="availability"} > (6 * 0.001)');
    expect(page).toContain('ratio_rate30m{nines_service="nines",nines_slo="availability"} > (6 * 0.001)');
    const ticket = alerts[1]!.expr;
    expect(ticket).toContain('ratio_rate1d{nines_service="nines",nines_slo="availability"} > (3 * 0.001)');
    expect(ticket).toContain('ratio_rate3d{nines_service="nines",nines_slo="availability"} > (1 * 0.001)');
  });

  it('records every window an alert or the period uses, with the labels the alerts select', () => {
    const spec = buildSloSpec({ periodMs: 28 * DAY });
    const file = prometheusRules(spec);
    for (const o of spec.objectives) {
      const sli = file.groups.find((g) => g.name === `nines-slo-${o.name}-sli-recordings`)!.rules;
      const recorded = new Set(sli.map((r) => r.record));
      for (const r of sli) expect(r.labels).toEqual({ nines_service: 'nines', nines_slo: o.name });
      const rest = file.groups.filter((g) => g.name.startsWith(`nines-slo-${o.name}-`) && !g.name.endsWith('sli-recordings'));
      for (const r of rest.flatMap((g) => g.rules)) {
        for (const m of r.expr.matchAll(/(slo:sli_error:ratio_rate\w+)\{/g)) expect(recorded).toContain(m[1]);
      }
      expect(recorded).toContain('slo:sli_error:ratio_rate28d');
    }
    const text = prometheusRulesYaml(spec);
    expect(text).toContain('(13.44 * 0.001)');
    expect(text).not.toContain('14.4 *');
  });

  it('writes latency errors as failures plus requests slower than the threshold bucket', () => {
    const spec = buildSloSpec({
      objectives: [{ name: 'lat', kind: 'latency', target: 0.99, latencyThresholdMs: 250, methods: ['put', 'a.b'] }],
    });
    const expr = errorRatioExpr(spec.objectives[0]!, 3_600_000);
    expect(expr).toContain('nines_requests_total{outcome="bad",method=~"put|a\\\\.b"}[1h]');
    expect(expr).toContain('nines_request_duration_seconds_count{method=~"put|a\\\\.b"}[1h]');
    expect(expr).toContain('nines_request_duration_seconds_bucket{le="0.25",method=~"put|a\\\\.b"}[1h]');
    expect(histogramBucketsSeconds(spec)).toContain(0.25);
    expect(histogramBucketsSeconds(defaultSloSpec())).toContain(0.1);
  });
});
