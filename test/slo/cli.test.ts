import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { downtimeText, planJson, planText, registerPlan } from '../../src/cli/plan.js';
import { alertsJson, alertsText, registerSlo } from '../../src/cli/slo.js';
import { runCli } from './run-cli.js';

/** Run `nines <args>` with the plan and slo commands; return stdout and stderr. */
function run(...args: string[]): Promise<{ out: string; err: string; code: number }> {
  return runCli([registerPlan, registerSlo], args);
}

afterEach(() => {
  process.exitCode = undefined;
});

describe('nines plan', () => {
  it('prints the table with hand-checked figures and the recommendation', async () => {
    const { out } = await run('plan', '--node-availability', '0.99', '--target', '99.999', '--max-nodes', '9');
    const row = (n: number) => out.split('\n').find((l) => l.trimStart().startsWith(`${n} `))!;
    expect(row(3)).toContain('99.9702%');
    expect(row(3)).toContain('2h 36m 37.728s'); // 0.000298 × 365 d
    expect(row(4)).toContain('99.9408%');
    expect(row(5)).toContain('99.999015%');
    expect(row(5)).toContain('recommended');
    expect(out).toContain('Recommended: 5 nodes');
    expect(out).toMatch(/Even sizes do not help.*99\.9408% < 99\.9702%/);
    expect(out).toContain('independently');
  });

  it('prints JSON in the documented shape', async () => {
    const { out } = await run('plan', '--node-availability', '0.99', '--max-nodes', '5', '--json');
    const doc = JSON.parse(out) as { rows: Record<string, number>[]; recommended: number };
    expect(doc.recommended).toBe(5);
    expect(doc.rows.map((r) => Object.keys(r))).toEqual(
      Array(5).fill(['nodes', 'quorum', 'availability', 'downtimeSecondsPerYear']),
    );
    expect(doc.rows[2]).toMatchObject({ nodes: 3, quorum: 2 });
    expect(doc.rows[2]!.availability).toBeCloseTo(1 - 0.000298, 12);
    expect(doc.rows[2]!.downtimeSecondsPerYear).toBeCloseTo(0.000298 * 365 * 86_400, 6);
  });

  it('accepts --mttf/--mttr and --failover-ms', () => {
    const doc = planJson({ mttf: '30d', mttr: '1h', target: 99.99, maxNodes: 3, failoverMs: 2000 }) as {
      rows: { downtimeSecondsPerYear: number }[];
      leaderFailuresPerYear: number;
      nodeAvailability: number;
    };
    expect(doc.nodeAvailability).toBeCloseTo(720 / 721, 15);
    expect(doc.leaderFailuresPerYear).toBeCloseTo(365 / 30, 12);
    const q = 1 / 721;
    expect(doc.rows[2]!.downtimeSecondsPerYear).toBeCloseTo((q ** 3 + 3 * (1 - q) * q ** 2) * 365 * 86_400 + (365 / 30) * 2, 6);
    expect(planText({ mttf: '30d', mttr: '1h', target: 99.99, maxNodes: 3, failoverMs: 2000 })).toContain('Leader failover');
  });

  it('names the bad flag', async () => {
    expect(() => planText({ target: 99.9, maxNodes: 3 })).toThrow(/--node-availability P .* or --mttf/);
    expect(() => planText({ nodeAvailability: 0.9, mttf: '1d', target: 99.9, maxNodes: 3 })).toThrow(/not both/);
    expect(() => planText({ mttf: '1d', target: 99.9, maxNodes: 3 })).toThrow(/--mttf needs --mttr/);
    // Flag parsers throw NinesErrors that main.ts prints as "nines: <message>".
    await expect(run('plan', '--node-availability', '0.99', '--max-nodes', '0')).rejects.toThrow(/--max-nodes must be an integer/);
  });

  it('prints downtime per day, week, 30 days and year', async () => {
    const text = downtimeText(99.95);
    expect(text).toContain('per day      43.2s');
    expect(text).toContain('per week     5m 2.4s');
    expect(text).toContain('per 30 days  21m 36s');
    expect(text).toContain('per year     4h 22m 48s');
    expect(text).toMatch(/30 days/);
    const { out } = await run('plan', 'downtime', '99.95', '--json');
    expect(JSON.parse(out)).toMatchObject({ perDaySeconds: 43.2, perWeekSeconds: 302.4, per30DaysSeconds: 1296, perYearSeconds: 15768 });
  });
});

describe('nines slo', () => {
  it('prints the alert table in effect', async () => {
    const { out } = await run('slo', 'alerts', '--period', '30d');
    expect(out).toMatch(/page\s+1h\s+5m\s+2%\s+14\.4\s+1\.44%/);
    expect(out).toMatch(/page\s+6h\s+30m\s+5%\s+6\s+0\.6%/);
    expect(out).toMatch(/ticket\s+1d\s+2h\s+10%\s+3\s+0\.3%/);
    expect(out).toMatch(/ticket\s+3d\s+6h\s+10%\s+1\s+0\.1%/);
    const doc = alertsJson({ period: '28d' }) as { windows: { burnRate: number }[] };
    expect(doc.windows.map((w) => w.burnRate)).toEqual([13.44, 5.6, 2.8, 0.933333333333]);
    expect(alertsText({ period: '7d', target: 99 })).toMatch(/page\s+1h\s+5m\s+2%\s+3\.36\s+3\.36%/);
    expect(() => alertsText({ period: '5m' })).toThrow(/--period must be/);
  });

  it('prints Prometheus rules for a spec file, and names bad spec lines', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nines-slo-'));
    const file = join(dir, 'slo.yaml');
    writeFileSync(file, 'period: 28d\nobjectives:\n  - name: availability\n    kind: availability\n    target: 99.95\n');
    const { out } = await run('slo', 'rules', file);
    const rules = parse(out) as { groups: { name: string }[] };
    expect(rules.groups.map((g) => g.name)).toEqual([
      'nines-slo-availability-sli-recordings',
      'nines-slo-availability-meta-recordings',
      'nines-slo-availability-alerts',
    ]);
    expect(out).toContain('(13.44 * 0.0005)');
    writeFileSync(file, 'period: 28d\nobjective: []\n');
    const bad = await run('slo', 'rules', file);
    expect(bad.err).toContain(`${file}:2:1: objective: unknown field`);
    expect(bad.code).toBe(2); // the exit code the command set
    const missing = await run('slo', 'alerts', '--spec', join(dir, 'nope.yaml'));
    expect(missing.err).toMatch(/cannot read SLO spec/);
  });
});
