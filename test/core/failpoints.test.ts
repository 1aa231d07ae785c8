import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../../src/core/errors.js';
import { FAILPOINT_SLEEP_MS_MAX, Failpoints, failpointsFromEnv, parseFailpoints } from '../../src/core/failpoints.js';

describe('failpoints', () => {
  it('parses name=sleep(MS) terms and prints them back', () => {
    const fp = parseFailpoints(' storageBeforeSync = sleep( 1500 ) ');
    expect(fp.sleepMs('storageBeforeSync')).toBe(1500);
    expect(fp.empty).toBe(false);
    expect(fp.toString()).toBe('storageBeforeSync=sleep(1500)');
    expect(parseFailpoints('').empty).toBe(true);
    expect(parseFailpoints(',').empty).toBe(true);
  });

  it('refuses unknown names, malformed terms, repeats and long sleeps, saying what is accepted', () => {
    const cases: Array<[string, RegExp]> = [
      ['storageBeforSync=sleep(1)', /unknown failpoint "storageBeforSync"; known: storageBeforeSync/],
      ['storageBeforeSync=pause', /cannot read "storageBeforeSync=pause"; write name=sleep\(MS\)/],
      ['storageBeforeSync=sleep(-1)', /cannot read/],
      ['storageBeforeSync=sleep(1.5)', /cannot read/],
      [`storageBeforeSync=sleep(${FAILPOINT_SLEEP_MS_MAX + 1})`, /at most 600000/],
      ['storageBeforeSync=sleep(99999999999999999999)', /at most 600000/],
      ['storageBeforeSync=sleep(1),storageBeforeSync=sleep(2)', /set twice/],
      ['toString=sleep(1)', /unknown failpoint "toString"/],
      [`storageBeforeSync=sleep(1),${' '.repeat(5000)}`, /characters long/],
    ];
    for (const [spec, message] of cases) {
      expect(() => parseFailpoints(spec), spec).toThrow(InvalidArgumentError);
      expect(() => parseFailpoints(spec), spec).toThrow(message);
    }
  });

  it('reads the environment: unset is off (undefined), set (even empty) is on', () => {
    expect(failpointsFromEnv({})).toBeUndefined();
    expect(failpointsFromEnv({ NINES_FAILPOINTS: '' })?.empty).toBe(true);
    expect(failpointsFromEnv({ NINES_FAILPOINTS: 'storageBeforeSync=sleep(3)' })?.sleepMs('storageBeforeSync')).toBe(3);
    expect(() => failpointsFromEnv({ NINES_FAILPOINTS: 'nope' })).toThrow(InvalidArgumentError);
  });

  it('hit sleeps as set; a run-time replacement takes effect for the holder of the same object', async () => {
    const fp = new Failpoints();
    expect(fp.sleepMs('storageBeforeSync')).toBeUndefined();
    await fp.hit('storageBeforeSync');
    fp.replaceWith(parseFailpoints('storageBeforeSync=sleep(60)'));
    const t0 = performance.now();
    await fp.hit('storageBeforeSync');
    expect(performance.now() - t0).toBeGreaterThanOrEqual(55);
    fp.replaceWith(parseFailpoints(''));
    expect(fp.empty).toBe(true);
  });
});
