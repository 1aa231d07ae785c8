import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { checkProbeOptions, runProbe } from '../../src/chaos/probe.js';
import type { ProbeCycleView } from '../../src/slo/probe-report.js';

type Mode = 'ok' | 'unavailable' | 'hang' | 'stale';

/** A fake nines HTTP API on 127.0.0.1: PUT/GET/DELETE /v1/kv/{key}, with a switchable failure mode. */
class FakeNode {
  mode: Mode = 'ok';
  readonly kv: Map<string, string>;
  readonly seen = { put: 0, get: 0, delete: 0, failed: 0 };
  server!: Server;
  url = '';

  constructor(kv: Map<string, string>) {
    this.kv = kv;
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => {
        body += c.toString();
      });
      req.on('end', () => {
        if (this.mode === 'hang') return; // never answer
        if (this.mode === 'unavailable') {
          this.seen.failed++;
          res.writeHead(503, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ code: 'NINES_ERR_NO_LEADER', message: 'no leader' }));
          return;
        }
        const url = new URL(req.url ?? '/', 'http://x');
        const key = decodeURIComponent(url.pathname.slice('/v1/kv/'.length));
        const json = (status: number, doc: unknown): void => {
          res.writeHead(status, { 'content-type': 'application/json' });
          res.end(JSON.stringify(doc));
        };
        if (req.method === 'PUT') {
          this.seen.put++;
          this.kv.set(key, (JSON.parse(body) as { value: string }).value);
          json(200, { revision: this.seen.put + 1 });
        } else if (req.method === 'GET') {
          this.seen.get++;
          const v = this.mode === 'stale' ? '1' : this.kv.get(key);
          if (v === undefined) json(404, { code: 'NINES_ERR_NOT_FOUND', message: 'not found' });
          else json(200, { key, value: v, createRevision: 1, modRevision: 1, version: 1, lease: 0 });
        } else if (req.method === 'DELETE') {
          this.seen.delete++;
          let deleted = 0;
          for (const k of [...this.kv.keys()]) {
            if (url.searchParams.get('prefix') === 'true' ? k.startsWith(key) : k === key) {
              this.kv.delete(k);
              deleted++;
            }
          }
          json(200, { revision: 9, deleted });
        }
      });
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

const nodes: FakeNode[] = [];
async function cluster(n: number): Promise<FakeNode[]> {
  const kv = new Map<string, string>();
  const out: FakeNode[] = [];
  for (let i = 0; i < n; i++) out.push(await new FakeNode(kv).start());
  nodes.push(...out);
  return out;
}
afterEach(async () => {
  for (const n of nodes.splice(0)) await n.stop();
});

describe('runProbe against fake nodes', () => {
  it('counts every write and read; availability is successes ÷ attempts; deletes its keys', async () => {
    const [a] = await cluster(1);
    const cycles: ProbeCycleView[] = [];
    const r = await runProbe({ endpoints: [a!.url], id: 't1', intervalMs: 40, durationMs: 1500, timeoutMs: 500, onCycle: (c) => cycles.push(c) });
    expect(cycles.length).toBeGreaterThanOrEqual(3);
    expect(cycles.length).toBeLessThanOrEqual(Math.ceil(1500 / 40));
    // every cycle: one write, then a read of the write it just made
    expect(r.summary.byOp.write.attempts).toBe(cycles.length);
    expect(r.summary.byOp.read.attempts).toBe(cycles.length);
    expect(a!.seen.put).toBe(cycles.length);
    expect(a!.seen.get).toBe(cycles.length);
    expect(r.summary.attempts).toBe(2 * cycles.length);
    expect(r.summary.availability).toBe(1);
    expect(r.summary.outages).toBe(0);
    expect(r.summary.latencyP50Ms).not.toBeNull();
    expect(r.cleanedUp).toBe(true);
    expect([...a!.kv.keys()].filter((k) => k.startsWith('nines-probe/t1/'))).toEqual([]);
  });

  it('fails over to another endpoint when one answers 503 or is gone', async () => {
    const [a, b, c] = await cluster(3);
    a!.mode = 'unavailable';
    await c!.stop();
    nodes.splice(nodes.indexOf(c!), 1);
    const r = await runProbe({ endpoints: [c!.url, a!.url, b!.url], id: 't2', intervalMs: 30, durationMs: 300, timeoutMs: 1000 });
    expect(r.summary.availability).toBe(1);
    expect(b!.seen.put).toBe(r.summary.byOp.write.attempts);
    // once b answered, it is preferred: a is tried only by the first attempt
    expect(a!.seen.failed).toBe(1);
  });

  it('an outage on every endpoint lowers availability by exactly the failed attempts', async () => {
    const [a, b] = await cluster(2);
    const cycles: ProbeCycleView[] = [];
    const r = await runProbe({
      endpoints: [a!.url, b!.url],
      id: 't3',
      intervalMs: 30,
      durationMs: 900,
      timeoutMs: 500,
      onCycle: (c) => {
        cycles.push(c);
        // cycles 4..8 see the whole cluster down
        const down = cycles.length >= 3 && cycles.length < 8;
        a!.mode = down ? 'unavailable' : 'ok';
        b!.mode = a!.mode;
      },
    });
    const failedCycles = cycles.filter((c) => c.successes < c.attempts);
    expect(failedCycles.length).toBe(5);
    const failed = cycles.reduce((n, c) => n + c.attempts - c.successes, 0);
    expect(r.summary.failures).toBe(failed);
    expect(r.summary.availability).toBeCloseTo((r.summary.attempts - failed) / r.summary.attempts, 12);
    expect(r.summary.outages).toBe(1);
    expect(r.summary.errors['NINES_ERR_NO_LEADER']).toBe(failed);
    // five cycles of ~30 ms each at least
    expect(r.summary.longestOutageMs).toBeGreaterThanOrEqual(4 * 30);
  });

  it('is bounded by --duration and the per-request timeout when nothing answers', async () => {
    const [a, b] = await cluster(2);
    a!.mode = 'hang';
    b!.mode = 'hang';
    const t0 = performance.now();
    const r = await runProbe({ endpoints: [a!.url, b!.url], id: 't4', intervalMs: 50, durationMs: 300, timeoutMs: 120, cleanup: true });
    const took = performance.now() - t0;
    // last cycle may start just before 300 ms and take one timeout; then cleanup takes one timeout
    expect(took).toBeLessThan(300 + 2 * 120 + 400);
    expect(r.summary.successes).toBe(0);
    expect(r.summary.errors['TIMEOUT']).toBe(r.summary.attempts);
    expect(r.cleanedUp).toBe(false);
  });

  it('reports a stale linearizable read as a failure', async () => {
    const [a] = await cluster(1);
    a!.mode = 'stale'; // every read answers "1"
    const r = await runProbe({ endpoints: [a!.url], id: 't5', intervalMs: 20, durationMs: 200, timeoutMs: 500 });
    expect(r.summary.byOp.read.attempts).toBeGreaterThanOrEqual(3);
    // the first read (of write #1) is right; every later one is stale
    expect(r.summary.staleReads).toBe(r.summary.byOp.read.attempts - 1);
  });

  it('stops early on abort', async () => {
    const [a] = await cluster(1);
    const stop = new AbortController();
    setTimeout(() => stop.abort(), 150);
    const t0 = performance.now();
    await runProbe({ endpoints: [a!.url], id: 't6', intervalMs: 50, durationMs: 60_000, timeoutMs: 500, signal: stop.signal });
    expect(performance.now() - t0).toBeLessThan(2000);
  });

  it('rejects options naming the flag', () => {
    const base = { endpoints: ['http://x'], id: 'a', intervalMs: 1000, durationMs: 60_000, timeoutMs: 2000 };
    expect(() => checkProbeOptions({ ...base, intervalMs: 1 })).toThrow(/--interval/);
    expect(() => checkProbeOptions({ ...base, timeoutMs: 0 })).toThrow(/--timeout/);
    expect(() => checkProbeOptions({ ...base, durationMs: 0 })).toThrow(/--duration/);
    expect(() => checkProbeOptions({ ...base, endpoints: [] })).toThrow(/--endpoints/);
    expect(() => checkProbeOptions({ ...base, intervalMs: 10, durationMs: 7 * 86_400_000 })).toThrow(/cycles/);
  });
});
