/**
 * The dashboard's "Availability" panel: pure helpers that sum `GET /v1/slo` documents and
 * render the panel's rows as HTML. They run in the browser: `SLO_PANEL_SCRIPT` is their
 * source, serialised into the page. Contract for every function listed there: plain
 * `function` declarations, no imports, no closures over module names other than each other,
 * no Node or DOM APIs — so `toString()` yields code that runs as-is in the page.
 *
 * Summing follows `combineSnapshots` (src/slo/snapshot.ts): each member counts the requests
 * it answered, so the cluster's counts are the members' sums and SLI, budget, burn rates and
 * alerts are recomputed from them.
 */

/** Counts over one window, as in the `burnRates` of a `/v1/slo` objective. */
export interface PanelWindow {
  readonly windowMs: number;
  readonly valid: number;
  readonly bad: number;
}

/** The fields of a `/v1/slo` document the panel reads (docs/slo.md). */
export interface PanelDoc {
  readonly member: string;
  readonly spec: {
    readonly periodMs: number;
    readonly objectives: readonly { readonly name: string; readonly target: number }[];
    readonly alerts: readonly {
      readonly severity: string;
      readonly longWindowMs: number;
      readonly shortWindowMs: number;
      readonly burnRate: number;
    }[];
  };
  readonly snapshot: {
    readonly objectives: readonly {
      readonly name: string;
      readonly valid: number;
      readonly bad: number;
      readonly burnRates: readonly PanelWindow[];
    }[];
  };
}

/** One objective, summed over some members. */
export interface PanelObjective {
  readonly name: string;
  readonly target: number;
  /** Over the period. */
  readonly valid: number;
  readonly bad: number;
  /** good ÷ valid over the period; null with no requests. */
  readonly sli: number | null;
  /** 1 − (bad ÷ valid) ÷ (1 − target): 1 untouched, negative once overspent. */
  readonly budgetRemaining: number;
  /** Burn rate over each of `windowsMs`; null where a member does not report the window. */
  readonly burnRates: readonly (number | null)[];
  /** Alerts whose long and short burn rates both exceed their threshold. */
  readonly firing: readonly { readonly severity: string; readonly longWindowMs: number; readonly shortWindowMs: number }[];
}

/** The result of summing: objectives, and the members left out for having another spec. */
export interface PanelSum {
  readonly objectives: readonly PanelObjective[];
  readonly skipped: readonly string[];
}

/** One row group of the panel: a member or the cluster. */
export interface PanelRow {
  readonly label: string;
  readonly isCluster: boolean;
  /** Null when the member gave no usable `/v1/slo` answer; `error` says why. */
  readonly sum: PanelSum | null;
  readonly error: string;
}

/** The burn-rate windows shown as columns: 5m, 1h, 6h, 3d. */
export const SLO_PANEL_WINDOWS_MS: readonly number[] = [5 * 60_000, 60 * 60_000, 6 * 60 * 60_000, 3 * 24 * 60 * 60_000];

/** HTML-escape text. */
export function sloEsc(s: unknown): string {
  return String(s).replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c,
  );
}

/** A fraction as a percentage, 2 to 4 decimals so nines show ("99.90%", "99.995%"); "–" for null. */
export function sloPct(x: number | null): string {
  if (x === null || !Number.isFinite(x)) return '–';
  return `${(x * 100).toFixed(4).replace(/(\.\d\d\d*?)0+$/, '$1')}%`;
}

/** A window length as "5m", "1h", "3d". */
export function sloWindow(ms: number): string {
  if (ms % 86_400_000 === 0) return `${ms / 86_400_000}d`;
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  return `${ms / 1000}s`;
}

/**
 * Sum the documents' counts per objective and recompute SLI, budget, the burn rates over
 * `windowsMs` and the alert states (spec of the first document). Documents whose period or
 * objectives (names, targets) differ from the first are left out and named in `skipped`.
 * An empty list gives no objectives.
 */
export function sloSummarise(docs: readonly PanelDoc[], windowsMs: readonly number[]): PanelSum {
  const first = docs[0];
  if (first === undefined) return { objectives: [], skipped: [] };
  const spec = first.spec;
  const used: PanelDoc[] = [];
  const skipped: string[] = [];
  for (const d of docs) {
    const same =
      d.spec.periodMs === spec.periodMs &&
      d.spec.objectives.length === spec.objectives.length &&
      d.snapshot.objectives.length === spec.objectives.length &&
      d.spec.objectives.every((o, j) => o.name === spec.objectives[j]?.name && o.target === spec.objectives[j]?.target);
    if (same) used.push(d);
    else skipped.push(d.member);
  }
  const objectives = spec.objectives.map((o, j) => {
    const budgetRatio = 1 - o.target;
    let valid = 0;
    let bad = 0;
    for (const d of used) {
      const s = d.snapshot.objectives[j];
      valid += s ? s.valid : 0;
      bad += s ? s.bad : 0;
    }
    const burnOf = (windowMs: number): number | null => {
      let v = 0;
      let b = 0;
      for (const d of used) {
        const w = d.snapshot.objectives[j]?.burnRates.find((x) => x.windowMs === windowMs);
        if (!w) return null;
        v += w.valid;
        b += w.bad;
      }
      return v === 0 ? 0 : b / v / budgetRatio;
    };
    const periodBurn = valid === 0 ? 0 : bad / valid / budgetRatio;
    const firing = spec.alerts
      .filter((a) => {
        const long = burnOf(a.longWindowMs);
        const short = burnOf(a.shortWindowMs);
        return long !== null && short !== null && long > a.burnRate && short > a.burnRate;
      })
      .map((a) => ({ severity: a.severity, longWindowMs: a.longWindowMs, shortWindowMs: a.shortWindowMs }));
    return {
      name: o.name,
      target: o.target,
      valid,
      bad,
      sli: valid === 0 ? null : (valid - bad) / valid,
      budgetRemaining: 1 - periodBurn,
      burnRates: windowsMs.map(burnOf),
      firing,
    };
  });
  return { objectives, skipped };
}

/** The CSS class of a burn rate: s0 within budget (≤ 1) … s3 fast burn (> 10). */
export function sloBurnClass(burn: number | null): string {
  if (burn === null) return 'muted';
  if (burn <= 1) return 's0';
  if (burn <= 2) return 's1';
  return burn <= 10 ? 's2' : 's3';
}

/** The budget cell: a bar filled to the remaining share (red, full width, when overspent). */
export function sloBudgetBar(remaining: number): string {
  const widthPct = Math.max(0, Math.min(1, remaining)) * 100;
  const cls = remaining < 0 ? 'bad' : remaining < 0.25 ? 'warn' : 'ok';
  const fill = remaining < 0 ? 100 : widthPct;
  return (
    `<span class='budget'><span class='bar ${cls}' style='width:${fill.toFixed(1)}%'></span></span>` +
    ` <span class='num ${remaining < 0 ? 'down' : ''}'>${sloPct(remaining)}</span>`
  );
}

/** The panel's table rows (`<tr>`…), one per objective per row group, `colspan` safe. */
export function sloPanelRows(rows: readonly PanelRow[], windowsMs: readonly number[]): string {
  const cols = 5 + windowsMs.length;
  const out: string[] = [];
  for (const r of rows) {
    const label = r.isCluster ? `<b>${sloEsc(r.label)}</b>` : sloEsc(r.label);
    const cls = r.isCluster ? " class='cluster'" : '';
    if (r.sum === null || r.sum.objectives.length === 0) {
      const why = r.sum === null ? r.error : 'no objectives';
      out.push(`<tr${cls}><td>${label}</td><td colspan='${cols}' class='muted'>${sloEsc(why)}</td></tr>`);
      continue;
    }
    r.sum.objectives.forEach((o, j) => {
      const burns = o.burnRates
        .map((b) => `<td class='num'><span class='cell ${sloBurnClass(b)}'>${b === null ? '–' : b.toFixed(2)}</span></td>`)
        .join('');
      const alerts =
        o.firing.length === 0
          ? "<span class='muted'>none</span>"
          : o.firing
              .map(
                (a) =>
                  `<span class='alert ${a.severity === 'page' ? 'page' : 'ticket'}'>${sloEsc(a.severity)} ` +
                  `${sloWindow(a.longWindowMs)}/${sloWindow(a.shortWindowMs)}</span>`,
              )
              .join(' ');
      const sliCls = o.sli !== null && o.sli < o.target ? " class='num down'" : " class='num'";
      out.push(
        `<tr${cls}><td>${j === 0 ? label : ''}</td><td>${sloEsc(o.name)}</td>` +
          `<td${sliCls} title='${o.valid - o.bad} good of ${o.valid}'>${sloPct(o.sli)}</td>` +
          `<td class='num'>${sloPct(o.target)}</td><td>${sloBudgetBar(o.budgetRemaining)}</td>${burns}<td>${alerts}</td></tr>`,
      );
    });
    if (r.sum.skipped.length > 0) {
      out.push(
        `<tr${cls}><td></td><td colspan='${cols}' class='muted'>left out (different SLO spec): ${r.sum.skipped.map(sloEsc).join(', ')}</td></tr>`,
      );
    }
  }
  return out.join('');
}

/** The browser code of the helpers above, in dependency-free form, for the page's script. */
export const SLO_PANEL_SCRIPT: string = [
  `const SLO_PANEL_WINDOWS_MS = ${JSON.stringify(SLO_PANEL_WINDOWS_MS)};`,
  ...[sloEsc, sloPct, sloWindow, sloSummarise, sloBurnClass, sloBudgetBar, sloPanelRows].map((f) => f.toString()),
].join('\n');
