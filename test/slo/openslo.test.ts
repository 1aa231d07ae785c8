import { describe, expect, it } from 'vitest';
import { parseSloSpec } from '../../src/slo/spec-yaml.js';

const DAY = 86_400_000;

const availability = `apiVersion: openslo/v1
kind: SLO
metadata:
  name: kv-availability
  displayName: KV availability
spec:
  service: kv
  budgetingMethod: Occurrences
  timeWindow:
    - duration: 28d
      isRolling: true
  indicator:
    metadata:
      name: availability
    spec:
      ratioMetric:
        counter: true
        good:
          metricSource:
            type: Prometheus
            spec:
              query: sum(rate(nines_requests_total{outcome!="bad"}[5m]))
        total:
          metricSource:
            type: Prometheus
            spec:
              query: sum(rate(nines_requests_total[5m]))
  objectives:
    - displayName: three nines
      target: 0.999
`;

const latencyRef = `---
apiVersion: openslo/v1
kind: SLI
metadata:
  name: put-latency
spec:
  ratioMetric:
    counter: true
    good:
      metricSource:
        type: Prometheus
        spec:
          query: sum(rate(nines_request_duration_seconds_bucket{le="0.05",method=~"put|txn"}[5m]))
    total:
      metricSource:
        type: Prometheus
        spec:
          query: sum(rate(nines_requests_total{method=~"put|txn"}[5m]))
---
apiVersion: openslo/v1
kind: SLO
metadata:
  name: put-latency
spec:
  timeWindow:
    - duration: 28d
  indicatorRef: put-latency
  objectives:
    - targetPercent: 99
`;

function errorOf(text: string): string {
  try {
    parseSloSpec(text, 'o.yaml');
  } catch (err) {
    return (err as Error).message;
  }
  throw new Error('expected an error');
}

describe('OpenSLO v1 (ratio subset)', () => {
  it('reads an inline ratio SLO and an SLI referenced by name', () => {
    const { spec, warnings } = parseSloSpec(availability + latencyRef, 'o.yaml');
    expect(warnings).toEqual([]);
    expect(spec.service).toBe('kv');
    expect(spec.periodMs).toBe(28 * DAY);
    expect(spec.objectives).toEqual([
      { name: 'kv-availability', kind: 'availability', target: 0.999 },
      { name: 'put-latency', kind: 'latency', target: 0.99, latencyThresholdMs: 50, methods: ['put', 'txn'] },
    ]);
    expect(spec.alerts[0]!.burnRate).toBeCloseTo(0.02 * 28 * 24, 9);
  });

  it('warns that alertPolicies are ignored', () => {
    const { warnings } = parseSloSpec(`${availability}  alertPolicies: [fast-burn]\n`, 'o.yaml');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/^o\.yaml:31:3: .*alertPolicies ignored/);
  });

  it('rejects unknown and unsupported fields naming the line', () => {
    expect(errorOf(availability.replace('  service: kv\n', '  servic: kv\n'))).toMatch(
      /^o\.yaml:7:3: SLO kv-availability\.spec\.servic: unknown field/,
    );
    expect(errorOf(availability.replace('budgetingMethod: Occurrences', 'budgetingMethod: Timeslices'))).toMatch(
      /^o\.yaml:8:20: .*only Occurrences/,
    );
    expect(errorOf(availability.replace('      target: 0.999', '      op: lte\n      value: 1'))).toMatch(
      /^o\.yaml:30:7: .*op: op\/value are for threshold metrics/,
    );
    expect(errorOf(availability.replace('      target: 0.999', '      target: 99.9'))).toMatch(/^o\.yaml:30:15: .*fraction in \(0, 1\)/);
    expect(errorOf(availability.replace('isRolling: true', 'isRolling: false'))).toMatch(/^o\.yaml:11:18: .*only rolling/);
  });

  it('rejects indicators that are not over nines metrics, and mismatched periods', () => {
    expect(errorOf(availability.replaceAll('nines_requests_total', 'http_requests_total'))).toMatch(
      /^o\.yaml:22:22: .*query: nines measures its own SLIs/,
    );
    expect(errorOf(availability + latencyRef.replace('duration: 28d', 'duration: 30d'))).toMatch(
      /^o\.yaml:56:17: .*differs from the first SLO's \(o\.yaml:10:17\)/,
    );
    expect(errorOf(availability + latencyRef.replace('indicatorRef: put-latency', 'indicatorRef: nope'))).toMatch(
      /no kind: SLI document named "nope"/,
    );
    expect(errorOf(availability.replace('kind: SLO', 'kind: Service'))).toMatch(/^o\.yaml:2:7: .*nines reads kind SLO/);
  });
});
