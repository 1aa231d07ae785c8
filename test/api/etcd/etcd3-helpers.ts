/**
 * Helpers for driving the unmodified `etcd3` npm client against nines (and, as a
 * reference, against a real `etcd` process): a client with bounded timeouts and a fast
 * watch reconnect, polling, watch event collection, openssl certificates and a real
 * etcd spawner. Everything binds 127.0.0.1 only; every spawned thing has a stop().
 */
import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConstantBackoff, ExponentialBackoff, handleWhen, noop, retry } from 'cockatiel';
import { Etcd3, type IOptions, isRecoverableError, type Watcher } from 'etcd3';
import type { MemoryEtcdBackend } from '../../../src/api/etcd/memory-backend.js';
import { serveMemory } from './serve-memory.js';

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Per-call deadline for unary calls; streams have none (they are closed explicitly). */
export const CALL_DEADLINE_MS = 5000;
/** How long a test waits for an expected asynchronous effect before failing. */
export const WAIT_MS_MAX = 8000;
const POLL_INTERVAL_MS = 20;

export interface ClientOptions {
  readonly auth?: { username: string; password: string };
  readonly credentials?: IOptions['credentials'];
  /** Retries across hosts (etcd3's default global policy is 3; failover tests want more). */
  readonly retries?: number;
  /** Watch reconnect delay (etcd3's default is an exponential backoff of up to 30 s). */
  readonly watchBackoffMs?: number;
}

/**
 * An etcd3 client for `hosts` (host:port or URLs) with bounded deadlines, a constant fast
 * watch reconnect and retries with backoff across hosts, so failures surface within seconds.
 */
export function etcd3Client(hosts: string | string[], options: ClientOptions = {}): Etcd3 {
  const list = (Array.isArray(hosts) ? hosts : [hosts]).map((h) => (h.includes('://') ? h : `${options.credentials ? 'https' : 'http'}://${h}`));
  const opts: IOptions = {
    hosts: list,
    dialTimeout: 3000,
    // grpc-js keeps a refused address in backoff for up to 120 s by default; a restarted
    // server should be reachable again quickly.
    grpcOptions: { 'grpc.initial_reconnect_backoff_ms': 100, 'grpc.max_reconnect_backoff_ms': 1000 },
    defaultCallOptions: (ctx) => (ctx.isStream ? {} : { deadline: Date.now() + CALL_DEADLINE_MS }),
    faultHandling: {
      // No per-host circuit breaker (etcd3's default opens for 5 s after 3 failures, which
      // turns a restarted server into seconds of errors); the global retry moves between hosts.
      host: () => noop,
      global: retry(handleWhen(isRecoverableError), {
        maxAttempts: options.retries ?? 3,
        backoff: new ExponentialBackoff({ initialDelay: 50, maxDelay: 1000 }),
      }),
      // etcd3 1.1 types this as a backoff (not a factory); a constant backoff's next() is one.
      watchBackoff: new ConstantBackoff(options.watchBackoffMs ?? 100).next(),
    },
  };
  if (options.auth !== undefined) opts.auth = options.auth;
  if (options.credentials !== undefined) opts.credentials = options.credentials;
  return new Etcd3(opts);
}

/** Poll `fn` until it returns a value other than undefined/false, or throw after `timeoutMs`. */
export async function waitFor<T>(what: string, fn: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = WAIT_MS_MAX): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(POLL_INTERVAL_MS);
  }
}

/** Resolve with `p`, or reject after `timeoutMs` naming `what`. */
export async function within<T>(what: string, p: Promise<T>, timeoutMs = WAIT_MS_MAX): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms: ${what}`)), timeoutMs);
  });
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** One watch event as seen by an etcd3 Watcher. */
export interface SeenEvent {
  readonly type: 'put' | 'delete';
  readonly key: string;
  readonly value: string;
  readonly modRevision: number;
  readonly prevValue?: string;
}

/** Records every put/delete a Watcher delivers, in delivery order. */
export function recordEvents(w: Watcher): SeenEvent[] {
  const seen: SeenEvent[] = [];
  w.on('data', (res) => {
    for (const ev of res.events) {
      const base = { type: ev.type === 'Delete' ? 'delete' : 'put', key: ev.kv.key.toString(), value: ev.kv.value.toString(), modRevision: Number(ev.kv.mod_revision) } as const;
      seen.push(ev.prev_kv ? { ...base, prevValue: ev.prev_kv.value.toString() } : base);
    }
  });
  return seen;
}

export const HAS_OPENSSL = spawnSync('openssl', ['version']).status === 0;

export interface Certs {
  readonly dir: string;
  readonly caFile: string;
  readonly serverCertFile: string;
  readonly serverKeyFile: string;
  readonly clientCertFile: string;
  readonly clientKeyFile: string;
  remove(): void;
}

/** A throwaway CA plus a server certificate for IP 127.0.0.1 and a client certificate. */
export function makeCerts(): Certs {
  const dir = mkdtempSync(join(tmpdir(), 'nines-etcd3-tls-'));
  const ssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe', timeout: 20_000 });
  ssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '1', '-subj', '/CN=etcd3-test-ca');
  writeFileSync(join(dir, 'server.ext'), 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n');
  writeFileSync(join(dir, 'client.ext'), 'extendedKeyUsage=clientAuth\n');
  for (const who of ['server', 'client']) {
    ssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${who}.key`, '-out', `${who}.csr`, '-subj', `/CN=etcd3-${who}`);
    ssl('x509', '-req', '-in', `${who}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${who}.crt`, '-days', '1', '-extfile', `${who}.ext`);
  }
  return {
    dir,
    caFile: join(dir, 'ca.crt'),
    serverCertFile: join(dir, 'server.crt'),
    serverKeyFile: join(dir, 'server.key'),
    clientCertFile: join(dir, 'client.crt'),
    clientKeyFile: join(dir, 'client.key'),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** A free TCP port on 127.0.0.1 (closed again before returning). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address();
      const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
      s.close(() => resolve(port));
    });
  });
}

export const ETCD_BINARY = ['/usr/bin/etcd', '/usr/local/bin/etcd'].find((p) => existsSync(p));

export interface RealEtcd {
  readonly endpoint: string;
  stop(): Promise<void>;
}

/** A single-member real etcd on 127.0.0.1, as the reference for behaviour. */
export async function startRealEtcd(): Promise<RealEtcd> {
  if (ETCD_BINARY === undefined) throw new Error('etcd is not installed');
  const dir = mkdtempSync(join(tmpdir(), 'etcd3-ref-'));
  const clientPort = await freePort();
  const peerPort = await freePort();
  const client = `http://127.0.0.1:${clientPort}`;
  const peer = `http://127.0.0.1:${peerPort}`;
  const child: ChildProcess = spawn(
    ETCD_BINARY,
    [
      '--name',
      'ref',
      '--data-dir',
      join(dir, 'data'),
      '--listen-client-urls',
      client,
      '--advertise-client-urls',
      client,
      '--listen-peer-urls',
      peer,
      '--initial-advertise-peer-urls',
      peer,
      '--initial-cluster',
      `ref=${peer}`,
      '--log-level',
      'error',
    ],
    { stdio: 'ignore' },
  );
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const probe = etcd3Client(`127.0.0.1:${clientPort}`);
  try {
    await waitFor('real etcd to answer', async () => {
      try {
        await probe.get('probe').string();
        return true;
      } catch {
        return false;
      }
    }, 15_000);
  } finally {
    probe.close();
  }
  return {
    endpoint: `127.0.0.1:${clientPort}`,
    stop: async () => {
      child.kill('SIGKILL');
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A server the same etcd3 test runs against: nines (in-process) or the real etcd reference. */
export interface Target {
  readonly name: string;
  /** host:port */
  readonly endpoint: string;
  /** The nines memory backend, when the target is nines. */
  readonly backend?: MemoryEtcdBackend;
  stop(): Promise<void>;
}

export interface TargetKind {
  readonly name: 'nines' | 'etcd';
  start(): Promise<Target>;
}

/**
 * nines on a MemoryEtcdBackend, plus real etcd (the reference) when it is installed: a
 * test that passes on etcd but fails on nines is a nines bug.
 */
export const TARGETS: readonly TargetKind[] = [
  {
    name: 'nines',
    start: async () => {
      // Listen on a port known in advance, so the member advertises its client URL as etcd does.
      const url = `http://127.0.0.1:${await freePort()}`;
      const s = await serveMemory({ clientUrls: [url] }, { listenUrls: [url] });
      return { name: 'nines', endpoint: s.endpoint, backend: s.backend, stop: () => s.stop() };
    },
  },
  ...(ETCD_BINARY === undefined
    ? []
    : [
        {
          name: 'etcd' as const,
          start: async () => {
            const e = await startRealEtcd();
            return { name: 'etcd', endpoint: e.endpoint, stop: () => e.stop() };
          },
        },
      ]),
];
if (ETCD_BINARY === undefined) process.stderr.write('etcd is not installed: etcd3 tests run against nines only, without the etcd reference\n');
