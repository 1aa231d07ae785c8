import { describe, expect, it } from 'vitest';
import { alertTable, budgetFractionFor, burnRateFor, errorRatioThreshold } from '../../src/slo/alerts.js';

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;

describe('alert table', () => {
  it('is exactly the SRE workbook table (plus Sloth 1d/2h) for 30 days', () => {
    expect(alertTable(30 * DAY)).toEqual([
      { severity: 'page', longWindowMs: HOUR, shortWindowMs: 5 * MIN, budgetFraction: 0.02, burnRate: 14.4 },
      { severity: 'page', longWindowMs: 6 * HOUR, shortWindowMs: 30 * MIN, budgetFraction: 0.05, burnRate: 6 },
      { severity: 'ticket', longWindowMs: DAY, shortWindowMs: 2 * HOUR, budgetFraction: 0.1, burnRate: 3 },
      { severity: 'ticket', longWindowMs: 3 * DAY, shortWindowMs: 6 * HOUR, budgetFraction: 0.1, burnRate: 1 },
    ]);
  });

  it('follows burnRate = fraction × period ÷ long window for 7 and 28 days', () => {
    // By hand: 7d = 168h, 28d = 672h.
    const hand = (hours: number) => [0.02 * hours, (0.05 * hours) / 6, (0.1 * hours) / 24, (0.1 * hours) / 72];
    for (const days of [7, 28]) {
      const table = alertTable(days * DAY);
      const expected = hand(days * 24);
      expect(table.map((w) => w.budgetFraction)).toEqual([0.02, 0.05, 0.1, 0.1]);
      table.forEach((w, i) => {
        expect(w.burnRate).toBeCloseTo(expected[i]!, 9);
      });
    }
    expect(alertTable(7 * DAY).map((w) => w.burnRate)).toEqual([3.36, 1.4, 0.7, 0.233333333333]);
    expect(alertTable(28 * DAY).map((w) => w.burnRate)).toEqual([13.44, 5.6, 2.8, 0.933333333333]);
    // Never a silent copy of the 30-day numbers.
    expect(alertTable(28 * DAY)[0]!.burnRate).not.toBe(14.4);
  });

  it('drops default windows longer than the period', () => {
    const table = alertTable(DAY);
    expect(table.map((w) => w.longWindowMs)).toEqual([HOUR, 6 * HOUR, DAY]);
    expect(table[0]!.burnRate).toBeCloseTo(0.02 * 24, 12);
  });

  it('takes overrides given as a fraction or as a burn rate', () => {
    const table = alertTable(30 * DAY, [
      { severity: 'ticket', longWindowMs: 2 * DAY, shortWindowMs: 4 * HOUR, burnRate: 2 },
      { severity: 'page', longWindowMs: 2 * HOUR, shortWindowMs: 10 * MIN, budgetFraction: 0.05 },
    ]);
    expect(table[0]).toEqual({
      severity: 'page',
      longWindowMs: 2 * HOUR,
      shortWindowMs: 10 * MIN,
      budgetFraction: 0.05,
      burnRate: (0.05 * 720) / 2,
    });
    expect(table[1]!.budgetFraction).toBeCloseTo((2 * 48) / 720, 12);
  });

  it('rejects contradictions and impossible windows, naming the field', () => {
    expect(() =>
      alertTable(30 * DAY, [{ severity: 'page', longWindowMs: HOUR, shortWindowMs: 5 * MIN, budgetFraction: 0.02, burnRate: 10 }]),
    ).toThrow(/alerts\.windows\[0\]: burnRate 10 contradicts budgetFraction 0.02/);
    expect(() => alertTable(7 * DAY, [{ severity: 'page', longWindowMs: 8 * DAY, shortWindowMs: HOUR, burnRate: 1 }])).toThrow(
      /alerts\.windows\[0\]\.long: .*must not exceed the period/,
    );
    expect(() => alertTable(7 * DAY, [{ severity: 'page', longWindowMs: HOUR, shortWindowMs: HOUR, burnRate: 1 }])).toThrow(
      /\.short: the short window/,
    );
    expect(() => alertTable(7 * DAY, [{ severity: 'page', longWindowMs: DAY, shortWindowMs: HOUR, burnRate: 8 }])).toThrow(
      /would consume/,
    );
    expect(() => alertTable(7 * DAY, [])).toThrow(/give 1 to/);
  });

  it('inverts: fraction → burn → fraction', () => {
    const f = budgetFractionFor(burnRateFor(0.07, 14 * DAY, 6 * HOUR), 14 * DAY, 6 * HOUR);
    expect(f).toBeCloseTo(0.07, 12);
  });

  it('gives the error ratio an alert fires at', () => {
    const page = alertTable(30 * DAY)[0]!;
    expect(errorRatioThreshold(page, 0.999)).toBeCloseTo(0.0144, 12);
    expect(errorRatioThreshold(page, 0.9)).toBeGreaterThan(1); // unreachable for a loose target
  });
});
