import { describe, expect, it } from 'vitest';
import { SliRecorder } from '../../src/slo/recorder.js';
import type { SloSnapshot } from '../../src/slo/snapshot.js';
import { buildSloSpec, defaultSloSpec, type SloSpec } from '../../src/slo/spec.js';
import { parseSloStatusDoc, type SloStatusDoc, sloStatusDoc } from '../../src/slo/status-doc.js';
import { buildSloStatusReport, formatBurnRate, formatSliPercent, sloStatusJson, sloStatusText } from '../../src/slo/status-view.js';

const DAY = 86_400_000;
const T0 = 20_000 * DAY;
const NOW = T0 + 60_000;

/** A member that answered `total` requests at T0, `bad` of them failed; all took 10 ms. */
function memberDoc(member: string, total: number, bad: number, spec: SloSpec = defaultSloSpec()): SloStatusDoc {
  const r = new SliRecorder(spec);
  r.record({ method: 'kv.put', outcome: 'good', latencyMs: 10, atMs: T0, count: total - bad });
  if (bad > 0) r.record({ method: 'kv.put', outcome: 'bad', latencyMs: 10, atMs: T0, count: bad });
  const snap = r.snapshot(NOW);
  return sloStatusDoc(member, spec, snap, { bucketWidthMs: r.bucketWidthMs, oldestMs: T0, persistedAtMs: null, droppedTooOld: 0 });
}

/** What the wire carries. */
function wire(doc: SloStatusDoc): unknown {
  return JSON.parse(JSON.stringify(doc));
}

function objective(s: SloSnapshot, name: string) {
  const o = s.objectives.find((x) => x.name === name);
  if (!o) throw new Error(name);
  return o;
}

describe('GET /v1/slo document', () => {
  it('round-trips through JSON to the same snapshot', () => {
    const doc = memberDoc('n1', 10_000, 5);
    const parsed = parseSloStatusDoc(wire(doc), 'http://n1');
    expect(parsed.member).toBe('n1');
    expect(parsed.spec).toEqual(doc.spec);
    expect(parsed.snapshot).toEqual(doc.snapshot);
  });

  it('recomputes derived figures from the counts instead of trusting them', () => {
    const doc = wire(memberDoc('n1', 10_000, 5)) as { snapshot: { objectives: { sli: number; budget: { remainingFraction: number } }[] } };
    doc.snapshot.objectives[0]!.sli = 0.5;
    doc.snapshot.objectives[0]!.budget.remainingFraction = 42;
    const parsed = parseSloStatusDoc(doc, 'http://n1');
    expect(objective(parsed.snapshot, 'availability').sli).toBeCloseTo(9995 / 10_000, 12);
    expect(objective(parsed.snapshot, 'availability').budget.remainingFraction).toBeCloseTo(1 - 5 / 10, 9);
  });

  it('refuses malformed answers naming the source and field', () => {
    const good = wire(memberDoc('n1', 100, 1)) as Record<string, unknown>;
    expect(() => parseSloStatusDoc({ ...good, format: 'x' }, 'http://n1')).toThrow(/http:\/\/n1: GET \/v1\/slo: format/);
    const tampered = JSON.parse(JSON.stringify(good)) as { snapshot: { objectives: { bad: number; valid: number }[] } };
    tampered.snapshot.objectives[0]!.bad = 1000;
    expect(() => parseSloStatusDoc(tampered, 'http://n1')).toThrow(/snapshot.objectives\[0\]: more bad than valid/);
    const badSpec = JSON.parse(JSON.stringify(good)) as { spec: { periodMs: number } };
    badSpec.spec.periodMs = 5;
    expect(() => parseSloStatusDoc(badSpec, 'http://n1')).toThrow(/bad spec: period/);
    expect(() => parseSloStatusDoc([], 'http://n1')).toThrow(/must be an object/);
  });
});

describe('nines slo status report', () => {
  // n1: 10 000 requests, 5 bad; n2: 10 000, 195 bad. Every window holds all of them.
  const results = [
    { endpoint: 'http://n1', status: parseSloStatusDoc(wire(memberDoc('n1', 10_000, 5)), 'http://n1') },
    { endpoint: 'http://n2', status: parseSloStatusDoc(wire(memberDoc('n2', 10_000, 195)), 'http://n2') },
    { endpoint: 'http://n3', error: 'ECONNREFUSED' },
  ];
  const report = buildSloStatusReport(results);

  it('sums the members that answered into the cluster view', () => {
    const c = report.cluster!;
    expect(report.clusterMembers).toEqual(['n1', 'n2']);
    const avail = objective(c, 'availability');
    expect(avail.valid).toBe(20_000);
    expect(avail.bad).toBe(200);
    expect(avail.sli).toBeCloseTo(0.99, 12);
    // budget: 0.1% of 20 000 = 20 requests; 200 consumed → remaining 1 − 10 = −9
    expect(avail.budget.totalRequests).toBeCloseTo(20, 9);
    expect(avail.budget.remainingFraction).toBeCloseTo(-9, 9);
    for (const b of avail.burnRates) expect(b.burnRate).toBeCloseTo(10, 9);
    // burn 10: pages at 6 (6h/30m) fire, 14.4 (1h/5m) does not; tickets (3, 1) fire
    const fired = c.firing.filter((f) => f.objective === 'availability').map((f) => f.burnRate);
    expect(fired).toEqual([6, 3, 1]);
    // latency 99% < 100 ms: only the failed requests are bad → error ratio 1%, burn 1 → nothing fires (not > 1)
    expect(objective(c, 'latency').burnRates[0]!.burnRate).toBeCloseTo(1, 9);
  });

  it('keeps each member its own view', () => {
    expect(report.members.map((m) => m.member)).toEqual(['n1', 'n2', null]);
    const n2 = report.members[1]!.snapshot!;
    // n2 alone: 195 / 10 000 = 1.95% → burn 19.5: every alert fires, pages first
    expect(n2.firing.filter((f) => f.objective === 'availability').map((f) => f.burnRate)).toEqual([14.4, 6, 3, 1]);
    expect(report.members[2]!.error).toBe('ECONNREFUSED');
  });

  it('renders the cluster, the members and the unreachable one', () => {
    const text = sloStatusText(report);
    expect(text).toContain('service nines, period 30d, 2/3 members answered');
    expect(text).toContain('cluster (n1, n2;');
    expect(text).toContain(formatSliPercent(0.99)); // 99%
    expect(text).toMatch(/availability\s+99\.9%\s+99%\s+-900%\s+200\/20000\s+10\s/);
    expect(text).toContain('FIRING PAGE availability: burn rate 10 over 6h and 10 over 30m > 6');
    expect(text).toContain(`FIRING PAGE availability: burn rate ${formatBurnRate(19.5)} over 1h`);
    expect(text).toContain('\nhttp://n3  unreachable: ECONNREFUSED');
    const json = sloStatusJson(report) as { cluster: { members: string[] }; members: unknown[] };
    expect(json.cluster.members).toEqual(['n1', 'n2']);
    expect(json.members).toHaveLength(3);
  });

  it('gives no cluster view when specs differ or nobody answered', () => {
    const other = buildSloSpec({ periodMs: 7 * DAY });
    const mixed = buildSloStatusReport([
      results[0]!,
      { endpoint: 'http://n4', status: parseSloStatusDoc(wire(memberDoc('n4', 10, 0, other)), 'http://n4') },
    ]);
    expect(mixed.cluster).toBeNull();
    expect(mixed.note).toMatch(/n4 differ from n1/);
    const none = buildSloStatusReport([{ endpoint: 'http://n3', error: 'ECONNREFUSED' }]);
    expect(none.cluster).toBeNull();
    expect(sloStatusText(none)).toContain('0/1 members answered');
  });
});

describe('formatting', () => {
  it('never rounds a miss up to 100%', () => {
    expect(formatSliPercent(0.9999999)).toBe('99.9999%');
    expect(formatSliPercent(1)).toBe('100%');
    expect(formatSliPercent(0.99875)).toBe('99.875%');
    expect(formatSliPercent(null)).toBe('-');
  });
  it('burn rates', () => {
    expect([0, 0.4242, 14.4, 123.4].map(formatBurnRate)).toEqual(['0', '0.42', '14.4', '123']);
  });
});
