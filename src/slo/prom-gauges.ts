import { Gauge, type Registry } from 'prom-client';
import { promDuration } from './duration-format.js';
import type { SloSnapshot } from './snapshot.js';

/**
 * The SLO gauges of a node's `/metrics`, read from `snapshot()` at scrape time (labels:
 * `nines_slo` = objective name, `window` = a Prometheus duration):
 * - `nines_slo_objective_ratio`: the target (0.999);
 * - `nines_slo_sli_ratio`: good ÷ valid over the period (absent with no requests);
 * - `nines_slo_period_requests{kind="valid"|"bad"}`: the counts behind it;
 * - `nines_slo_error_budget_remaining_ratio`: 1 − consumed (negative once overspent);
 * - `nines_slo_burn_rate{window}`: error ratio ÷ (1 − target) over 5m … 3d;
 * - `nines_slo_alert_firing{severity,long,short}`: 1 while a multiwindow alert fires.
 * These are this node's own counts; the cluster's are the sums over nodes.
 */
export function registerSloGauges(registry: Registry, snapshot: () => SloSnapshot): void {
  const registers = [registry];
  const each = (
    name: string,
    help: string,
    labelNames: readonly string[],
    fill: (g: Gauge<string>, s: SloSnapshot) => void,
  ): void => {
    new Gauge({
      name,
      help,
      labelNames,
      registers,
      collect() {
        this.reset();
        fill(this, snapshot());
      },
    });
  };
  each('nines_slo_objective_ratio', 'SLO target (fraction of good requests wanted over the period).', ['nines_slo'], (g, s) => {
    for (const o of s.objectives) g.set({ nines_slo: o.name }, o.target);
  });
  each('nines_slo_sli_ratio', 'SLI over the SLO period: good ÷ valid requests this member answered.', ['nines_slo'], (g, s) => {
    for (const o of s.objectives) if (o.sli !== null) g.set({ nines_slo: o.name }, o.sli);
  });
  each('nines_slo_period_requests', 'Requests over the SLO period that count for the objective (valid) and failed it (bad).', ['nines_slo', 'kind'], (g, s) => {
    for (const o of s.objectives) {
      g.set({ nines_slo: o.name, kind: 'valid' }, o.valid);
      g.set({ nines_slo: o.name, kind: 'bad' }, o.bad);
    }
  });
  each('nines_slo_error_budget_remaining_ratio', 'Error budget left over the period (1 = untouched, < 0 = overspent).', ['nines_slo'], (g, s) => {
    for (const o of s.objectives) g.set({ nines_slo: o.name }, o.budget.remainingFraction);
  });
  each('nines_slo_burn_rate', 'Error budget burn rate over a window (1 = the budget lasts exactly the period).', ['nines_slo', 'window'], (g, s) => {
    for (const o of s.objectives) for (const b of o.burnRates) g.set({ nines_slo: o.name, window: promDuration(b.windowMs) }, b.burnRate);
  });
  each('nines_slo_alert_firing', '1 while a multiwindow burn-rate alert fires.', ['nines_slo', 'severity', 'long', 'short'], (g, s) => {
    for (const o of s.objectives) {
      for (const a of o.alerts) {
        g.set(
          { nines_slo: o.name, severity: a.severity, long: promDuration(a.longWindowMs), short: promDuration(a.shortWindowMs) },
          a.firing ? 1 : 0,
        );
      }
    }
  });
}
