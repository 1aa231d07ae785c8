import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { registerProbe } from '../../src/cli/probe.js';
import { registerSlo } from '../../src/cli/slo.js';
import { ManualClock } from '../../src/core/clock.js';
import { NodeSlo } from '../../src/slo/node-slo.js';
import { defaultSloSpec } from '../../src/slo/spec.js';
import { runCli } from './run-cli.js';

const T0 = 20_000 * 86_400_000;

/** Run `nines <args>` with the slo and probe commands; return stdout, stderr and the exit code. */
function run(...args: string[]): Promise<{ out: string; err: string; code: number }> {
  return runCli([registerSlo, registerProbe], args);
}

const servers: Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise<void>((r) => s.close(() => r()));
  }
});

/** A fake member: GET /v1/slo serves `slo.statusDoc()`; PUT/GET /v1/kv/* a tiny store. */
async function fakeMember(slo: NodeSlo): Promise<string> {
  const kv = new Map<string, string>();
  const s = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => {
      body += c.toString();
    });
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://x');
      const json = (status: number, doc: unknown): void => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(doc));
      };
      if (url.pathname === '/v1/slo') return json(200, slo.statusDoc());
      const key = decodeURIComponent(url.pathname.slice('/v1/kv/'.length));
      if (req.method === 'PUT') {
        kv.set(key, (JSON.parse(body) as { value: string }).value);
        return json(200, { revision: 2 });
      }
      if (req.method === 'GET') {
        const v = kv.get(key);
        return v === undefined ? json(404, { code: 'NINES_ERR_NOT_FOUND' }) : json(200, { key, value: v });
      }
      return json(200, { revision: 3, deleted: 1 });
    });
  });
  servers.push(s);
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(s.address() as AddressInfo).port}`;
}

/** A URL nothing listens on. */
async function closedPort(): Promise<string> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return `http://127.0.0.1:${port}`;
}

function member(name: string, good: number, bad: number): NodeSlo {
  const slo = NodeSlo.open({ member: name, spec: defaultSloSpec(), clock: new ManualClock(T0) });
  for (let i = 0; i < good; i++) slo.record('kv.put', 'good', 3);
  for (let i = 0; i < bad; i++) slo.record('kv.put', 'bad', 3);
  return slo;
}

describe('nines slo status', () => {
  it('fetches every member and sums them into the cluster', async () => {
    const a = await fakeMember(member('n1', 990, 10));
    const b = await fakeMember(member('n2', 1000, 0));
    const { out, code } = await run('slo', 'status', '--endpoints', `${a},${b}`, '--json');
    expect(code).toBe(0);
    const doc = JSON.parse(out) as { cluster: { members: string[]; objectives: { name: string; valid: number; bad: number; sli: number }[] } };
    expect(doc.cluster.members).toEqual(['n1', 'n2']);
    const avail = doc.cluster.objectives.find((o) => o.name === 'availability')!;
    expect([avail.valid, avail.bad]).toEqual([2000, 10]);
    expect(avail.sli).toBeCloseTo(1990 / 2000, 12);
    const text = await run('slo', 'status', '--endpoints', `${a},${b}`);
    expect(text.out).toContain('2/2 members answered');
    expect(text.out).toMatch(/availability\s+99\.9%\s+99\.5%/);
  });

  it('shows an unreachable member and exits 1 when none answered', async () => {
    const a = await fakeMember(member('n1', 10, 0));
    const gone = await closedPort();
    const some = await run('slo', 'status', '--endpoints', `${a},${gone}`);
    expect(some.code).toBe(0);
    expect(some.out).toContain(`\n${gone}  unreachable: ECONNREFUSED`);
    const none = await run('slo', 'status', '--endpoints', gone);
    expect(none.code).toBe(1);
    expect(none.out).toContain('0/1 members answered');
  });

  it('names the missing cluster file', async () => {
    const r = await run('slo', 'status', '--data-dir', '/nonexistent-nines');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--endpoints/);
  });
});

describe('nines probe', () => {
  it('prints a line per cycle and a summary', async () => {
    const a = await fakeMember(member('n1', 0, 0));
    const r = await run('probe', '--endpoints', a, '--interval', '50ms', '--duration', '400ms', '--id', 'clitest');
    expect(r.code).toBe(0);
    const lines = r.out.trim().split('\n');
    expect(lines[0]).toContain('as nines-probe/clitest/ every 50ms');
    const cycles = lines.filter((l) => /^\s+\d+\.\ds {2}ok/.test(l));
    expect(cycles.length).toBeGreaterThanOrEqual(1);
    expect(r.out).toMatch(/availability\s+100%/);
    expect(r.out).toContain(`attempts      ${2 * cycles.length} (writes ${cycles.length}`);
  });

  it('--json prints only the summary', async () => {
    const a = await fakeMember(member('n1', 0, 0));
    const r = await run('probe', '--endpoints', a, '--interval', '50ms', '--duration', '200ms', '--json');
    const doc = JSON.parse(r.out) as { attempts: number; successes: number; availability: number; cleanedUp: boolean };
    expect(doc.attempts).toBeGreaterThanOrEqual(2);
    expect(doc.successes).toBe(doc.attempts);
    expect(doc.availability).toBe(1);
    expect(doc.cleanedUp).toBe(true);
  });

  it('names a bad flag', async () => {
    const r = await run('probe', '--endpoints', 'http://127.0.0.1:9', '--interval', 'soon');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--interval must be a duration/);
  });
});
