import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { burnWindowsMs, buildSnapshot, combineSnapshots } from '../../src/slo/snapshot.js';
import { defaultSloSpec, type SloSpec } from '../../src/slo/spec.js';
import { type SloStatusDoc, sloStatusDoc } from '../../src/slo/status-doc.js';
import { DASHBOARD_POLL_MS, dashboardHtml } from '../../src/web/dashboard.js';
import {
  type PanelSum,
  SLO_PANEL_SCRIPT,
  SLO_PANEL_WINDOWS_MS,
  sloBudgetBar,
  sloPanelRows,
  sloPct,
  sloSummarise,
  sloWindow,
} from '../../src/web/slo-panel.js';

const spec = defaultSloSpec();
const HISTORY = { bucketWidthMs: 10_000, oldestMs: null, persistedAtMs: null, droppedTooOld: 0 };

/** A member's document whose counts come from `countOf(j, windowMs)`. */
function docOf(member: string, s: SloSpec, countOf: (j: number, windowMs: number) => { valid: number; bad: number }): SloStatusDoc {
  return sloStatusDoc(member, s, buildSnapshot(s, 1_000, 10_000, countOf), HISTORY);
}

/** Counts per (objective, window) that grow with the window, as real ones do. */
const countsArb = fc
  .array(fc.tuple(fc.nat(1000), fc.nat(1000)), { minLength: 1, maxLength: 16 })
  .map((pairs) => (j: number, windowMs: number) => {
    const [v, b] = pairs[(j * 7 + Math.round(Math.log2(windowMs))) % pairs.length]!;
    const valid = v + Math.round(windowMs / 60_000);
    return { valid, bad: Math.min(valid, b) };
  });

/** The helpers as the browser sees them: evaluated from the serialised script alone. */
function browserHelpers(): {
  sloSummarise: typeof sloSummarise;
  sloPanelRows: typeof sloPanelRows;
  windows: readonly number[];
} {
  const make = new Function(`${SLO_PANEL_SCRIPT}\nreturn { sloSummarise, sloPanelRows, windows: SLO_PANEL_WINDOWS_MS };`);
  return make() as ReturnType<typeof browserHelpers>;
}

describe('sloSummarise', () => {
  it('matches combineSnapshots for any counts (SLI, budget, burn rates, firing alerts)', () => {
    const windows = burnWindowsMs(spec);
    fc.assert(
      fc.property(fc.array(countsArb, { minLength: 1, maxLength: 5 }), (countFns) => {
        const docs = countFns.map((f, i) => docOf(`m${i}`, spec, f));
        const want = combineSnapshots(
          spec,
          docs.map((d) => d.snapshot),
        );
        const got = sloSummarise(docs, windows);
        expect(got.skipped).toEqual([]);
        want.objectives.forEach((o, j) => {
          const g = got.objectives[j]!;
          expect(g.name).toBe(o.name);
          expect(g.valid).toBe(o.valid);
          expect(g.bad).toBe(o.bad);
          if (o.sli === null) expect(g.sli).toBeNull();
          else expect(g.sli).toBeCloseTo(o.sli, 12);
          expect(g.budgetRemaining).toBeCloseTo(o.budget.remainingFraction, 9);
          o.burnRates.forEach((w, k) => {
            expect(g.burnRates[k]).toBeCloseTo(w.burnRate, 9);
          });
          const firing = want.firing.filter((a) => a.objective === o.name);
          expect(g.firing.map((a) => `${a.severity}:${a.longWindowMs}:${a.shortWindowMs}`).sort()).toEqual(
            firing.map((a) => `${a.severity}:${a.longWindowMs}:${a.shortWindowMs}`).sort(),
          );
        });
      }),
      { numRuns: 200 },
    );
  });

  it('serialised into the page, behaves exactly like the TypeScript', () => {
    const browser = browserHelpers();
    expect(browser.windows).toEqual(SLO_PANEL_WINDOWS_MS);
    fc.assert(
      fc.property(fc.array(countsArb, { minLength: 1, maxLength: 4 }), (countFns) => {
        const docs = countFns.map((f, i) => docOf(`m${i}`, spec, f));
        const sum = browser.sloSummarise(docs, browser.windows);
        expect(sum).toEqual(sloSummarise(docs, SLO_PANEL_WINDOWS_MS));
        const rows = [{ label: 'cluster', isCluster: true, sum, error: '' }];
        expect(browser.sloPanelRows(rows, browser.windows)).toBe(sloPanelRows(rows, SLO_PANEL_WINDOWS_MS));
      }),
      { numRuns: 50 },
    );
  });

  it('leaves out members with another spec, and names them', () => {
    const other = { ...spec, objectives: spec.objectives.map((o) => ({ ...o, target: 0.5 })) };
    const a = docOf('a', spec, () => ({ valid: 100, bad: 1 }));
    const b = docOf('b', other, () => ({ valid: 50, bad: 50 }));
    const sum = sloSummarise([a, b], SLO_PANEL_WINDOWS_MS);
    expect(sum.skipped).toEqual(['b']);
    expect(sum.objectives[0]!.valid).toBe(100);
    expect(sloSummarise([], SLO_PANEL_WINDOWS_MS)).toEqual({ objectives: [], skipped: [] });
  });

  it('gives null for a window a member does not report, and no requests mean SLI null, full budget', () => {
    const a = docOf('a', spec, () => ({ valid: 0, bad: 0 }));
    const sum = sloSummarise([a], [5 * 60_000, 7_000]);
    const o = sum.objectives[0]!;
    expect(o.sli).toBeNull();
    expect(o.budgetRemaining).toBe(1);
    expect(o.burnRates).toEqual([0, null]);
    expect(o.firing).toEqual([]);
  });
});

describe('panel rendering', () => {
  const burning = docOf('n1', spec, () => ({ valid: 1000, bad: 500 }));
  const sum: PanelSum = sloSummarise([burning], SLO_PANEL_WINDOWS_MS);

  it('shows SLI, target, a red bar for an overspent budget, burn rates and highlighted firing alerts', () => {
    const html = sloPanelRows([{ label: 'n1', isCluster: false, sum, error: '' }], SLO_PANEL_WINDOWS_MS);
    const o = sum.objectives[0]!;
    expect(html).toContain(sloPct(0.5));
    expect(html).toContain(sloPct(o.target));
    expect(html).toContain("class='bar bad'");
    expect(html).toContain(`<span class='cell s3'>${o.burnRates[0]!.toFixed(2)}</span>`);
    expect(o.firing.some((a) => a.severity === 'page')).toBe(true);
    expect(html).toContain("<span class='alert page'>page 1h/5m</span>");
    expect(html).toContain("<span class='alert ticket'>");
    // One row per objective.
    expect(html.split('<tr').length - 1).toBe(spec.objectives.length);
  });

  it('degrades to one explanatory row for a member without /v1/slo, escaping text', () => {
    const html = sloPanelRows(
      [{ label: '<n2>', isCluster: false, sum: null, error: 'no SLOs served (GET /v1/slo: 404)' }],
      SLO_PANEL_WINDOWS_MS,
    );
    expect(html).toBe(
      "<tr><td>&lt;n2&gt;</td><td colspan='9' class='muted'>no SLOs served (GET /v1/slo: 404)</td></tr>",
    );
  });

  it('budget bar: width follows the remaining share, colour by level', () => {
    expect(sloBudgetBar(0.6)).toContain("class='bar ok' style='width:60.0%'");
    expect(sloBudgetBar(0.1)).toContain("class='bar warn' style='width:10.0%'");
    expect(sloBudgetBar(-0.3)).toContain("class='bar bad' style='width:100.0%'");
    expect(sloBudgetBar(-0.3)).toContain('-30.00%');
  });

  it('formats percentages and windows', () => {
    expect(sloPct(null)).toBe('–');
    expect(sloPct(0.9995)).toBe('99.95%');
    expect(sloPct(0.99995)).toBe('99.995%');
    expect(sloPct(0.999)).toBe('99.90%');
    expect(sloPct(-0.3)).toBe('-30.00%');
    expect(sloPct(0.5)).toBe('50.00%');
    expect(SLO_PANEL_WINDOWS_MS.map(sloWindow)).toEqual(['5m', '1h', '6h', '3d']);
  });
});

describe('dashboardHtml', () => {
  const html = dashboardHtml();
  const script = /<script>([\s\S]*)<\/script>/.exec(html)?.[1] ?? '';

  it('contains the Availability panel and polls /v1/slo at the status rate', () => {
    expect(html).toContain('<section id="availability"><h2>Availability</h2>');
    expect(html).toContain('<tbody id="slo">');
    expect(script).toContain('"/v1/slo"');
    expect(script).toContain(`const POLL_MS = ${DASHBOARD_POLL_MS};`);
    expect(script).toContain(SLO_PANEL_SCRIPT);
    expect(html).not.toContain('__SLO_PANEL_SCRIPT__');
  });

  it('is self-contained and its script is valid JavaScript', () => {
    expect(html).not.toMatch(/<link|<script src|<img|https?:\/\/(?!127)/);
    expect(() => new Function(script)).not.toThrow();
  });
});
