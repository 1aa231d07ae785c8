import { describe, expect, it } from 'vitest';
import { LoadError, type PutTarget } from '../../bench/lib/http-put.js';
import { runPhase } from '../../bench/lib/load.js';

/** A target that answers at once (or fails every `failEvery`-th put), recording keys and peak concurrency. */
class FakeTarget implements PutTarget {
  readonly description = 'fake';
  readonly keys: string[] = [];
  inflight = 0;
  inflightPeak = 0;
  revision = 1;
  constructor(readonly failEvery = 0) {}
  async put(key: string, value: string): Promise<number> {
    const n = this.keys.push(key);
    this.inflight++;
    this.inflightPeak = Math.max(this.inflightPeak, this.inflight);
    await new Promise((r) => setImmediate(r));
    this.inflight--;
    if (value.length === 0) throw new Error('empty value');
    if (this.failEvery > 0 && n % this.failEvery === 0) throw new LoadError('http 503 X', 'no leader');
    return ++this.revision;
  }
  close(): void {}
}

const base = { durationMs: 60_000, keys: 10, keyOffset: 0, value: 'v'.repeat(8) };

describe('runPhase', () => {
  it('stops at the request count bound and keeps exactly `inflight` requests in flight', async () => {
    const target = new FakeTarget();
    const r = await runPhase(target, { ...base, inflight: 8, requestsMax: 200 });
    expect(r.ok + r.errors).toBe(200);
    expect(r.ok).toBe(200);
    expect(target.inflightPeak).toBe(8);
    expect(r.latency.count).toBe(200);
    expect(r.revisionMax).toBe(201);
    expect(new Set(target.keys).size).toBe(10);
  });

  it('stops at the time bound even with requests left', async () => {
    const target = new FakeTarget();
    const r = await runPhase(target, { ...base, durationMs: 0, inflight: 4, requestsMax: 1_000 });
    expect(r.ok).toBe(0);
    expect(target.keys.length).toBe(0);
    expect(r.throughputPerSec).toBe(0);
  });

  it('counts errors by kind with a first sample, and only successes in the latencies', async () => {
    const target = new FakeTarget(5);
    const r = await runPhase(target, { ...base, inflight: 3, requestsMax: 100 });
    expect(r.errors).toBe(20);
    expect(r.ok).toBe(80);
    expect(r.errorKinds).toEqual({ 'http 503 X': 20 });
    expect(r.errorSamples['http 503 X']).toContain('no leader');
    expect(r.latency.count).toBe(80);
  });

  it('rejects an in-flight count out of range', async () => {
    await expect(runPhase(new FakeTarget(), { ...base, inflight: 0, requestsMax: 1 })).rejects.toThrow(RangeError);
  });
});
