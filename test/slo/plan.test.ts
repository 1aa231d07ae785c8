import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatAvailabilityPercent } from '../../src/slo/percent-format.js';
import {
  allowedDowntime,
  binomial,
  ninesOf,
  planQuorum,
  quorumAvailability,
  quorumOf,
  reliabilityFromAvailability,
  reliabilityFromMttf,
} from '../../src/slo/plan.js';

const YEAR_S = 365 * 86_400;

describe('availability planner', () => {
  it('computes quorum availability as the binomial sum, by hand for p = 0.99', () => {
    const p = 0.99;
    const q = 0.01;
    const u3 = q ** 3 + 3 * p * q ** 2; // fewer than 2 of 3 up
    const u4 = q ** 4 + 4 * p * q ** 3 + 6 * p ** 2 * q ** 2; // fewer than 3 of 4 up
    const u5 = q ** 5 + 5 * p * q ** 4 + 10 * p ** 2 * q ** 3; // fewer than 3 of 5 up
    expect(quorumAvailability(3, q).unavailability).toBeCloseTo(u3, 15);
    expect(quorumAvailability(4, q).unavailability).toBeCloseTo(u4, 15);
    expect(quorumAvailability(5, q).unavailability).toBeCloseTo(u5, 15);
    expect(u3).toBeCloseTo(0.000298, 12);
    expect(formatAvailabilityPercent(quorumAvailability(3, q).unavailability)).toBe('99.9702%');
    expect(formatAvailabilityPercent(quorumAvailability(5, q).unavailability)).toBe('99.999015%');
    expect(Math.floor(quorumAvailability(5, q).availability * 1e7) / 1e5).toBe(99.99901);
    // Even sizes do not help: 4 is worse than 3.
    expect(quorumAvailability(4, q).availability).toBeLessThan(quorumAvailability(3, q).availability);
    expect(formatAvailabilityPercent(u4)).toBe('99.9408%');
  });

  it('keeps precision near 1: U = 1 − A is summed directly', () => {
    const q = 1e-4;
    const u3 = q ** 3 + 3 * (1 - q) * q ** 2;
    const got = quorumAvailability(3, q).unavailability;
    expect(Math.abs(got - u3) / u3).toBeLessThan(1e-12);
    expect(ninesOf(got)).toBeCloseTo(-Math.log10(u3), 9);
  });

  it('never gains from an even size, and availability + unavailability = 1 (property)', () => {
    fc.assert(
      fc.property(fc.double({ min: 0.51, max: 0.99999, noNaN: true }), fc.integer({ min: 1, max: 10 }), (p, m) => {
        const q = 1 - p;
        const odd = quorumAvailability(2 * m - 1, q);
        const even = quorumAvailability(2 * m, q);
        expect(even.unavailability).toBeGreaterThan(odd.unavailability);
        expect(odd.availability + odd.unavailability).toBeCloseTo(1, 12);
      }),
    );
  });

  it('has exact helpers', () => {
    expect([binomial(5, 0), binomial(5, 2), binomial(9, 4), binomial(3, 4)]).toEqual([1, 10, 126, 0]);
    expect([1, 2, 3, 4, 5, 9].map(quorumOf)).toEqual([1, 2, 2, 3, 3, 5]);
  });

  it('recommends the smallest n meeting the target', () => {
    const node = reliabilityFromAvailability(0.99);
    expect(planQuorum({ node, maxNodes: 9, targetPercent: 99.999 }).recommended).toBe(5);
    expect(planQuorum({ node, maxNodes: 9, targetPercent: 99.9 }).recommended).toBe(3);
    expect(planQuorum({ node, maxNodes: 3, targetPercent: 99.999 }).recommended).toBeNull();
    const plan = planQuorum({ node, maxNodes: 5, targetPercent: 99.99 });
    expect(plan.rows.map((r) => r.quorum)).toEqual([1, 2, 2, 3, 3]);
    expect(plan.rows[2]!.downtimeSecondsPerYear).toBeCloseTo(0.000298 * YEAR_S, 6); // 9397.728 s
  });

  it('derives p from MTTF and MTTR, and adds leader failover time', () => {
    const node = reliabilityFromMttf(30 * 86_400_000, 3_600_000);
    expect(node.nodeUnavailability).toBeCloseTo(1 / 721, 15);
    const plan = planQuorum({ node, maxNodes: 5, targetPercent: 99.99, failoverMs: 2000 });
    const leaderFailures = 365 / 30;
    expect(plan.leaderFailuresPerYear).toBeCloseTo(leaderFailures, 12);
    const q = 1 / 721;
    const u3 = q ** 3 + 3 * (1 - q) * q ** 2;
    expect(plan.rows[2]!.failoverSecondsPerYear).toBeCloseTo(leaderFailures * 2, 9);
    expect(plan.rows[2]!.downtimeSecondsPerYear).toBeCloseTo(u3 * YEAR_S + leaderFailures * 2, 6);
    expect(plan.rows[0]!.failoverSecondsPerYear).toBe(0); // one node: a failure is already downtime
    // From p alone, with the stated MTTR assumption (1 h): MTTF = 1h × 0.99/0.01 = 99 h.
    const fromP = planQuorum({ node: reliabilityFromAvailability(0.99), maxNodes: 3, targetPercent: 99.9, failoverMs: 1500 });
    expect(fromP.leaderFailuresPerYear).toBeCloseTo(8760 / 99, 9);
  });

  it('rejects bad inputs naming the flag', () => {
    expect(() => reliabilityFromAvailability(1)).toThrow(/--node-availability/);
    expect(() => reliabilityFromMttf(0, 1)).toThrow(/--mttf/);
    const node = reliabilityFromAvailability(0.9);
    expect(() => planQuorum({ node, maxNodes: 0, targetPercent: 99 })).toThrow(/--max-nodes/);
    expect(() => planQuorum({ node, maxNodes: 3, targetPercent: 99, failoverMs: -1 })).toThrow(/--failover-ms/);
  });

  it('computes allowed downtime (month = 30 days, year = 365 days)', () => {
    const d = allowedDowntime(99.95);
    expect(d.perDayMs).toBe(0.0005 * 86_400_000); // 43.2 s
    expect(d.perDayMs).toBe(43_200);
    expect(d.perWeekMs).toBe(302_400);
    expect(d.perMonthMs).toBe(1_296_000); // 21m 36s
    expect(d.perYearMs).toBe(15_768_000); // 4h 22m 48s
    expect(allowedDowntime(99.999).perYearMs).toBe(315_360); // 5m 15.36s
    expect(() => allowedDowntime(100)).toThrow(/between 0 and 100/);
  });
});
