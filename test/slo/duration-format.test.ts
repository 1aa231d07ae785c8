import { describe, expect, it } from 'vitest';
import { formatDurationExact, promDuration } from '../../src/slo/duration-format.js';
import { formatAvailabilityPercent, formatNines } from '../../src/slo/percent-format.js';

describe('formatting', () => {
  it('writes Prometheus durations with the largest exact unit', () => {
    expect([300_000, 1_800_000, 3_600_000, 86_400_000, 259_200_000, 2_592_000_000, 1500, 90_000].map(promDuration)).toEqual([
      '5m',
      '30m',
      '1h',
      '1d',
      '3d',
      '30d',
      '1500ms',
      '90s',
    ]);
    expect(() => promDuration(0)).toThrow();
  });

  it('writes exact durations for people', () => {
    expect(formatDurationExact(43_200)).toBe('43.2s');
    expect(formatDurationExact(302_400)).toBe('5m 2.4s');
    expect(formatDurationExact(15_768_000)).toBe('4h 22m 48s');
    expect(formatDurationExact(315_360)).toBe('5m 15.36s');
    expect(formatDurationExact(3 * 86_400_000 + 15 * 3_600_000 + 36 * 60_000)).toBe('3d 15h 36m');
    expect(formatDurationExact(0)).toBe('0s');
    expect(formatDurationExact(0.25)).toBe('0.25ms');
  });

  it('shows availability with three significant digits of unavailability', () => {
    expect(formatAvailabilityPercent(0.000298)).toBe('99.9702%');
    expect(formatAvailabilityPercent(0.01)).toBe('99.00%');
    expect(formatAvailabilityPercent(0.0199)).toBe('98.01%');
    expect(formatAvailabilityPercent(1.22e-8)).toBe('99.99999878%');
    expect(formatAvailabilityPercent(0)).toBe('100%');
    expect(formatNines(3.5258)).toBe('3.53');
    expect(formatNines(Number.POSITIVE_INFINITY)).toBe('∞');
  });
});
