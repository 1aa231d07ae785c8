import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import { NodeSlo, type SloHistoryStore } from '../../src/slo/node-slo.js';
import { registerSloGauges } from '../../src/slo/prom-gauges.js';
import type { SloHistory } from '../../src/slo/recorder.js';
import { buildSloSpec, defaultSloSpec } from '../../src/slo/spec.js';
import { parseSloStatusDoc } from '../../src/slo/status-doc.js';

const T0 = 20_000 * 86_400_000;

class MemoryStore implements SloHistoryStore {
  saved: unknown;
  saves = 0;
  load(): unknown {
    return this.saved === undefined ? undefined : JSON.parse(JSON.stringify(this.saved));
  }
  save(history: SloHistory): Promise<void> {
    this.saved = history;
    this.saves++;
    return Promise.resolve();
  }
}

function open(store: MemoryStore, clock: ManualClock, persistIntervalMs = 10_000, spec = defaultSloSpec()) {
  const warnings: string[] = [];
  const slo = NodeSlo.open({ member: 'n1', spec, clock, store, persistIntervalMs, onWarning: (w) => warnings.push(w) });
  return { slo, warnings };
}

describe('NodeSlo', () => {
  it('records with the wall clock and leaves monitoring requests out', () => {
    const clock = new ManualClock(T0);
    const { slo } = open(new MemoryStore(), clock);
    expect(slo.record('kv.put', 'good', 5)).toBe(true);
    expect(slo.record('kv.get', 'bad', 5)).toBe(true);
    expect(slo.record('kv.get', 'client_error', 500)).toBe(true);
    expect(slo.record('status', 'good', 1)).toBe(false);
    expect(slo.record('slo', 'good', 1)).toBe(false);
    clock.advance(1000);
    const [avail, latency] = slo.snapshot().objectives;
    expect(avail!.valid).toBe(3);
    expect(avail!.bad).toBe(1);
    // latency: the failure and the 500 ms client error are bad
    expect(latency!.bad).toBe(2);
  });

  it('persists when due and on flush, and a reopened node keeps its history', async () => {
    const store = new MemoryStore();
    const clock = new ManualClock(T0);
    const { slo } = open(store, clock);
    for (let i = 0; i < 10; i++) slo.record('kv.put', i < 3 ? 'bad' : 'good', 5);
    await slo.persistIfDue(); // first save: due at once
    expect(store.saves).toBe(1);
    slo.record('kv.put', 'good', 5);
    clock.advance(5_000);
    await slo.persistIfDue(); // not due: 5 s < 10 s
    expect(store.saves).toBe(1);
    clock.advance(5_000);
    await slo.persistIfDue();
    expect(store.saves).toBe(2);
    await slo.persistIfDue(); // nothing new
    expect(store.saves).toBe(2);
    slo.record('kv.put', 'bad', 5);
    await slo.flush();
    expect(store.saves).toBe(3);
    expect(slo.historyInfo().persistedAtMs).toBe(T0 + 10_000);

    const again = open(store, clock).slo;
    const o = again.snapshot().objectives[0]!;
    expect(o.valid).toBe(12);
    expect(o.bad).toBe(4);
  });

  it('keeps history across a spec change that keeps the objective (new target, period)', async () => {
    const store = new MemoryStore();
    const clock = new ManualClock(T0);
    const { slo } = open(store, clock);
    for (let i = 0; i < 4; i++) slo.record('kv.put', i === 0 ? 'bad' : 'good', 5);
    await slo.flush();
    const spec = buildSloSpec({ periodMs: 7 * 86_400_000, objectives: [{ name: 'avail', kind: 'availability', target: 0.99 }] });
    const o = open(store, clock, 10_000, spec).slo.snapshot().objectives[0]!;
    expect([o.name, o.valid, o.bad]).toEqual(['avail', 4, 1]);
  });

  it('starts afresh with a warning when the saved history is corrupt', () => {
    const store = new MemoryStore();
    store.saved = { format: 'nines-slo-history', version: 1, bucketWidthMs: 60_000, keys: ['x'], buckets: [[0, 1, 2]] };
    const { slo, warnings } = open(store, new ManualClock(T0));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/more bad than valid/);
    expect(slo.snapshot().objectives[0]!.valid).toBe(0);
  });

  it('a failed save leaves the history dirty for the next attempt', async () => {
    let fail = true;
    let saves = 0;
    const store: SloHistoryStore = {
      load: () => undefined,
      save: () => {
        saves++;
        return fail ? Promise.reject(new Error('disk full')) : Promise.resolve();
      },
    };
    const slo = NodeSlo.open({ member: 'n1', spec: defaultSloSpec(), clock: new ManualClock(T0), store });
    slo.record('kv.put', 'good', 1);
    await expect(slo.flush()).rejects.toThrow('disk full');
    fail = false;
    await slo.flush();
    expect(saves).toBe(2);
  });

  it('serves a GET /v1/slo document that parses back', () => {
    const clock = new ManualClock(T0);
    const { slo } = open(new MemoryStore(), clock);
    slo.record('kv.put', 'bad', 5);
    slo.record('kv.put', 'good', 5);
    const parsed = parseSloStatusDoc(JSON.parse(JSON.stringify(slo.statusDoc())), 'test');
    expect(parsed.member).toBe('n1');
    expect(parsed.snapshot.objectives[0]!.sli).toBeCloseTo(0.5, 12);
    expect(parsed.history.oldestMs).toBe(Math.floor(T0 / 60_000) * 60_000);
  });
});

describe('SLO gauges', () => {
  it('expose SLI, budget, burn rates and firing alerts', async () => {
    const clock = new ManualClock(T0);
    const { slo } = open(new MemoryStore(), clock);
    for (let i = 0; i < 100; i++) slo.record('kv.put', i < 2 ? 'bad' : 'good', 5);
    const registry = new Registry();
    registerSloGauges(registry, () => slo.snapshot());
    const text = await registry.metrics();
    expect(text).toContain('nines_slo_objective_ratio{nines_slo="availability"} 0.999');
    expect(text).toContain('nines_slo_sli_ratio{nines_slo="availability"} 0.98');
    expect(text).toContain('nines_slo_period_requests{nines_slo="availability",kind="bad"} 2');
    // 2% errors with a 0.1% budget: burn 20, remaining 1 − 20 = −19
    const value = (series: string): number => {
      const line = text.split('\n').find((l) => l.startsWith(`${series} `));
      if (line === undefined) throw new Error(`no ${series}`);
      return Number(line.slice(series.length + 1));
    };
    expect(value('nines_slo_error_budget_remaining_ratio{nines_slo="availability"}')).toBeCloseTo(-19, 9);
    expect(value('nines_slo_burn_rate{nines_slo="availability",window="5m"}')).toBeCloseTo(20, 9);
    expect(value('nines_slo_burn_rate{nines_slo="latency",window="3d"}')).toBeCloseTo(2, 9);
    expect(text).toContain('nines_slo_alert_firing{nines_slo="availability",severity="page",long="1h",short="5m"} 1');
  });
});
