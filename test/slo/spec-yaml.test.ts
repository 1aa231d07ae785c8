import { describe, expect, it } from 'vitest';
import { defaultSloSpec } from '../../src/slo/spec.js';
import { parseSloSpec } from '../../src/slo/spec-yaml.js';

const DAY = 86_400_000;

const full = `service: kv
period: 28d
objectives:
  - name: availability
    kind: availability
    target: 99.95
  - name: fast-reads
    kind: latency
    target: "99%"
    threshold: 250ms
    methods: [range]
alerts:
  windows:
    - severity: page
      long: 1h
      short: 5m
      budgetFraction: 0.02
    - severity: ticket
      long: 3d
      short: 6h
      burnRate: 1
`;

/** The error message parsing `text` throws. */
function errorOf(text: string): string {
  try {
    parseSloSpec(text, 'slo.yaml');
  } catch (err) {
    return (err as Error).message;
  }
  throw new Error('expected an error');
}

describe('nines SLO spec (YAML)', () => {
  it('parses every field', () => {
    const { spec, warnings } = parseSloSpec(full, 'slo.yaml');
    expect(warnings).toEqual([]);
    expect(spec.service).toBe('kv');
    expect(spec.periodMs).toBe(28 * DAY);
    expect(spec.objectives).toEqual([
      { name: 'availability', kind: 'availability', target: 0.9995 },
      { name: 'fast-reads', kind: 'latency', target: 0.99, latencyThresholdMs: 250, methods: ['range'] },
    ]);
    expect(spec.alerts.map((a) => a.severity)).toEqual(['page', 'ticket']);
    expect(spec.alerts[0]!.burnRate).toBeCloseTo(0.02 * 28 * 24, 9);
    expect(spec.alerts[1]!.burnRate).toBe(1);
    expect(spec.alerts[1]!.budgetFraction).toBeCloseTo(72 / (28 * 24), 9);
  });

  it('fills defaults: 99.9% availability and 99% < 100 ms over 30 days', () => {
    const { spec } = parseSloSpec('period: 30d\n');
    expect(spec).toEqual(defaultSloSpec());
    expect(spec.objectives.map((o) => [o.kind, o.target, o.latencyThresholdMs])).toEqual([
      ['availability', 0.999, undefined],
      ['latency', 0.99, 100],
    ]);
    expect(spec.periodMs).toBe(30 * DAY);
  });

  it('accepts any period duration', () => {
    for (const [text, days] of [
      ['7d', 7],
      ['14d', 14],
      ['2w', 14],
      ['90d', 90],
    ] as const) {
      expect(parseSloSpec(`period: ${text}\n`).spec.periodMs).toBe(days * DAY);
    }
  });

  it('rejects unknown fields naming the line and the field', () => {
    const text = full.replace('    threshold: 250ms\n', '    treshold: 250ms\n');
    expect(errorOf(text)).toMatch(/^slo\.yaml:10:5: objectives\[1\]\.treshold: unknown field "treshold"/);
    expect(errorOf('period: 30d\nslos: []\n')).toMatch(/^slo\.yaml:2:1: slos: unknown field/);
    expect(errorOf(full.replace('      burnRate: 1\n', '      burnRate: 1\n      for: 5m\n'))).toMatch(
      /^slo\.yaml:22:7: alerts\.windows\[1\]\.for: unknown field/,
    );
  });

  it('names the line of bad values', () => {
    expect(errorOf(full.replace('period: 28d', 'period: 28 days'))).toMatch(/^slo\.yaml:2:9: period: cannot parse duration/);
    expect(errorOf(full.replace('target: 99.95', 'target: 0.999'))).toMatch(/^slo\.yaml:6:13: objectives\[0\]\.target: is a percentage/);
    expect(errorOf(full.replace('target: 99.95', 'target: 100'))).toMatch(/^slo\.yaml:6:13: objectives\[0\]\.target: must be a percentage/);
    expect(errorOf(full.replace('kind: latency', 'kind: speed'))).toMatch(/^slo\.yaml:8:11: objectives\[1\]\.kind: must be/);
    expect(errorOf(full.replace('period: 28d', 'period: 10m'))).toMatch(/^slo\.yaml:2:9: period: the period must be/);
    expect(errorOf(full.replace('      long: 3d', '      long: 30d'))).toMatch(
      /^slo\.yaml:19:13: alerts\.windows\[1\]\.long: .*must not exceed the period/,
    );
  });

  it('locates semantic errors found after parsing', () => {
    const dup = full.replace('name: fast-reads', 'name: availability');
    expect(errorOf(dup)).toMatch(/^slo\.yaml:7:11: objectives\[1\]\.name: duplicate name "availability"/);
    const noThreshold = full.replace('    threshold: 250ms\n', '');
    expect(errorOf(noThreshold)).toMatch(/^slo\.yaml:7:\d+: objectives\[1\]\.threshold: a latency objective needs a threshold/);
  });

  it('reports YAML syntax errors with their line', () => {
    expect(errorOf('period: 30d\nobjectives:\n  - name: [a\n')).toMatch(/^slo\.yaml:\d+:\d+: invalid YAML/);
    expect(errorOf('period: 30d\nperiod: 7d\n')).toMatch(/^slo\.yaml:2:1: invalid YAML/);
    expect(errorOf('')).toMatch(/empty/);
    expect(errorOf('period: 30d\n---\nperiod: 7d\n')).toMatch(/^slo\.yaml:3:1: document: a nines spec is one YAML document/);
  });

  it('rejects a wrong apiVersion and wrong types', () => {
    expect(errorOf('apiVersion: nines/v2\n')).toMatch(/^slo\.yaml:1:13: apiVersion: must be "nines\/v1"/);
    expect(errorOf('objectives: {}\n')).toMatch(/^slo\.yaml:1:13: objectives: expected a list/);
    expect(errorOf('- a\n')).toMatch(/^slo\.yaml:1:1: : expected a mapping/);
  });
});
