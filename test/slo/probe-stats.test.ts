import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { probeCycleLine, probeSummaryText } from '../../src/slo/probe-report.js';
import { nearestRank, type ProbeAttempt, ProbeStats } from '../../src/slo/probe-stats.js';

function ok(startMs: number, latencyMs: number, endpoint = 'A', op: 'write' | 'read' = 'write'): ProbeAttempt {
  return { op, startMs, endMs: startMs + latencyMs, ok: true, endpoint };
}
function fail(startMs: number, latencyMs: number, error = 'NINES_ERR_NO_LEADER'): ProbeAttempt {
  return { op: 'write', startMs, endMs: startMs + latencyMs, ok: false, error };
}

describe('ProbeStats', () => {
  it('computes availability, percentiles and the longest outage by hand', () => {
    const s = new ProbeStats();
    // t=0..3000: good every second; 4000..6000 fail (3 attempts); 7000 good; 8000 fail; 9000 good.
    s.add(ok(0, 10));
    s.add(ok(1000, 20));
    s.add(ok(2000, 30));
    s.add(ok(3000, 40));
    s.add(fail(4000, 100));
    s.add(fail(5000, 100, 'TIMEOUT'));
    s.add(fail(6000, 100));
    s.add(ok(7000, 50, 'B'));
    s.add(fail(8000, 5));
    s.add(ok(9000, 60, 'B', 'read'));
    const sum = s.summary();
    expect(sum.attempts).toBe(10);
    expect(sum.successes).toBe(6);
    expect(sum.failures).toBe(4);
    expect(sum.availability).toBeCloseTo(0.6, 12);
    // successful latencies sorted: 10 20 30 40 50 60 → p50 = 3rd = 30, p99 = 6th = 60
    expect(sum.latencyP50Ms).toBe(30);
    expect(sum.latencyP99Ms).toBe(60);
    expect(sum.latencyMaxMs).toBe(60);
    // outage 1: from 4000 to the end of the good attempt at 7000 (7050) = 3050; outage 2: 8000 → 9060 = 1060
    expect(sum.outages).toBe(2);
    expect(sum.longestOutageMs).toBe(3050);
    expect(sum.failovers).toBe(1);
    expect(sum.errors).toEqual({ NINES_ERR_NO_LEADER: 3, TIMEOUT: 1 });
    expect(sum.byOp).toEqual({ write: { attempts: 9, successes: 5 }, read: { attempts: 1, successes: 1 } });
  });

  it('an outage still open at the end lasts to the end of its last failure', () => {
    const s = new ProbeStats();
    s.add(ok(0, 10));
    s.add(fail(1000, 200));
    s.add(fail(2000, 300));
    expect(s.summary().longestOutageMs).toBe(1300);
    expect(s.summary().outages).toBe(1);
  });

  it('with no attempts there is no availability and no latency', () => {
    const sum = new ProbeStats().summary();
    expect(sum.availability).toBeNull();
    expect(sum.latencyP50Ms).toBeNull();
    expect(sum.longestOutageMs).toBe(0);
  });

  it('counts stale reads', () => {
    const s = new ProbeStats();
    s.add({ op: 'read', startMs: 0, endMs: 1, ok: false, error: 'STALE_READ', endpoint: 'A' });
    expect(s.summary().staleReads).toBe(1);
    expect(probeSummaryText(s.summary(), { id: 'x', durationMs: 1000, endpoints: ['A'] })).toMatch(/STALE READS\s+1/);
  });

  it('property: availability = successes ÷ attempts and the longest outage spans the longest failure run', () => {
    fc.assert(
      fc.property(fc.array(fc.boolean(), { minLength: 1, maxLength: 200 }), (oks) => {
        const s = new ProbeStats();
        oks.forEach((good, i) => {
          s.add(good ? ok(i * 100, 10) : fail(i * 100, 10));
        });
        const sum = s.summary();
        expect(sum.successes).toBe(oks.filter(Boolean).length);
        expect(sum.availability).toBeCloseTo(sum.successes / oks.length, 12);
        // longest run of failures, by hand: k failures from i; ends at the next success's end or the last failure's end
        let longest = 0;
        for (let i = 0; i < oks.length; i++) {
          if (oks[i] || (i > 0 && !oks[i - 1])) continue;
          let j = i;
          while (j < oks.length && !oks[j]) j++;
          const end = j < oks.length ? j * 100 + 10 : (j - 1) * 100 + 10;
          longest = Math.max(longest, end - i * 100);
        }
        expect(sum.longestOutageMs).toBe(longest);
      }),
    );
  });
});

describe('nearestRank', () => {
  it('is the ⌈p·n⌉-th value', () => {
    const xs = Array.from({ length: 200 }, (_, i) => i + 1);
    expect(nearestRank(xs, 0.5)).toBe(100);
    expect(nearestRank(xs, 0.99)).toBe(198);
    expect(nearestRank([7], 0.99)).toBe(7);
    expect(nearestRank([], 0.5)).toBeNull();
  });
});

describe('probe report', () => {
  it('shows the cycle and the running availability', () => {
    const s = new ProbeStats();
    s.add(ok(0, 4));
    s.add(fail(10, 3));
    const line = probeCycleLine({ elapsedMs: 1500, attempts: 2, successes: 1, errors: ['TIMEOUT'], endpoint: 'http://a', summary: s.summary() });
    expect(line).toContain('FAIL 1/2');
    expect(line).toContain('availability 50% (1/2)');
    expect(line).toContain('via http://a');
    expect(line).toContain('TIMEOUT');
    const text = probeSummaryText(s.summary(), { id: 'x', durationMs: 60_000, endpoints: ['http://a'] });
    expect(text).toMatch(/availability\s+50%/);
    expect(text).toMatch(/outages\s+1, longest 0.003s/);
  });
});
