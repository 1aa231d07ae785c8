import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { NinesHttpClient } from '../../src/server/client.js';
import type { NodeStatus } from '../../src/server/service.js';

/**
 * Real `nines start` processes on 127.0.0.1 for tests: random high ports, a temp dir per
 * cluster, logs in each member's data dir, kill -9 / SIGTERM / restart, and cleanup. Uses
 * the built CLI (dist/), so run `npx tsc -p tsconfig.json` first (npm test does).
 */
/** The built CLI (tests import src/ through vitest but spawn the compiled CLI). */
export function mainJs(): string {
  const path = fileURLToPath(new URL('../../dist/src/cli/main.js', import.meta.url));
  if (!existsSync(path)) throw new Error(`${path} is missing: run \`npx tsc -p tsconfig.json\` first`);
  return path;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

/** A base port with `count` consecutive free ports (client, peer, http per member, stride 3). */
export async function freeBasePort(count: number): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    // Below Linux's ephemeral range (32768+), so outgoing connections never take our ports.
    const base = 12_000 + Math.floor(Math.random() * (32_000 - 12_000 - count));
    let ok = true;
    for (let p = base; p < base + count && ok; p++) ok = await portFree(p);
    if (ok) return base;
  }
  throw new Error('no free ports');
}

export interface MemberSpec {
  readonly name: string;
  readonly clientUrl: string;
  readonly peerUrl: string;
  readonly httpUrl: string;
  readonly dataDir: string;
}

export interface ClusterOptions {
  readonly nodes: number;
  readonly token?: string;
  readonly extraArgs?: readonly string[];
}

export class TestCluster {
  readonly dir: string;
  readonly members: MemberSpec[] = [];
  readonly procs = new Map<number, ChildProcess>();
  readonly token: string;
  readonly extraArgs: readonly string[];
  readonly #exits = new Map<number, Promise<number | null>>();

  private constructor(dir: string, token: string, extraArgs: readonly string[]) {
    this.dir = dir;
    this.token = token;
    this.extraArgs = extraArgs;
  }

  static async create(options: ClusterOptions): Promise<TestCluster> {
    const dir = mkdtempSync(join(tmpdir(), 'nines-test-'));
    const base = await freeBasePort(options.nodes * 3);
    const c = new TestCluster(dir, options.token ?? `test-${Math.random().toString(16).slice(2, 10)}`, [
      '--heartbeat-interval',
      '50',
      '--election-timeout',
      '1000',
      '--log-level',
      'info',
      ...(options.extraArgs ?? []),
    ]);
    for (let i = 0; i < options.nodes; i++) {
      const p = base + 3 * i;
      c.members.push({
        name: `n${i + 1}`,
        clientUrl: `http://127.0.0.1:${p}`,
        peerUrl: `http://127.0.0.1:${p + 1}`,
        httpUrl: `http://127.0.0.1:${p + 2}`,
        dataDir: join(dir, `n${i + 1}`),
      });
    }
    return c;
  }

  args(i: number, overrides: { token?: string; initialCluster?: string } = {}): string[] {
    const m = this.members[i]!;
    return [
      'start',
      '--name',
      m.name,
      '--data-dir',
      m.dataDir,
      '--listen-client-urls',
      m.clientUrl,
      '--listen-peer-urls',
      m.peerUrl,
      '--listen-http-urls',
      m.httpUrl,
      '--initial-cluster',
      overrides.initialCluster ?? this.members.map((x) => `${x.name}=${x.peerUrl}`).join(','),
      // With a custom member list the HTTP URLs of the others are not known.
      ...(overrides.initialCluster === undefined ? ['--initial-cluster-http', this.members.map((x) => `${x.name}=${x.httpUrl}`).join(',')] : []),
      '--initial-cluster-token',
      overrides.token ?? this.token,
      ...this.extraArgs,
    ];
  }

  logFile(i: number): string {
    return join(this.dir, `${this.members[i]!.name}.log`);
  }

  log(i: number): string {
    try {
      return readFileSync(this.logFile(i), 'utf8');
    } catch {
      return '';
    }
  }

  /** Each member's last log lines about leadership, stalls, warnings and errors: for failure messages. */
  events(linesMax = 15): string {
    return this.members
      .map((m, i) => `--- ${m.name}\n${this.log(i).split('\n').filter((l) => /leader|stalled|"level":[456]0/.test(l)).slice(-linesMax).join('\n')}`)
      .join('\n');
  }

  /** Spawn member i (its output appended to its log file), with `env` added to this process's. */
  spawn(i: number, args: string[] = this.args(i), env: Record<string, string> = {}): ChildProcess {
    const fd = openSync(this.logFile(i), 'a');
    const child = spawn(process.execPath, [mainJs(), ...args], { stdio: ['ignore', fd, fd], env: { ...process.env, ...env } });
    closeSync(fd);
    this.procs.set(i, child);
    this.#exits.set(
      i,
      new Promise((resolve) => {
        child.once('exit', (code) => resolve(code));
      }),
    );
    return child;
  }

  async startAll(): Promise<void> {
    for (let i = 0; i < this.members.length; i++) this.spawn(i);
    await this.waitReady([...this.members.keys()]);
  }

  /** Wait until each listed member answers /readyz 200. */
  async waitReady(indexes: number[], timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (const i of indexes) {
      for (;;) {
        try {
          const res = await fetch(`${this.members[i]!.httpUrl}/readyz`, { signal: AbortSignal.timeout(1000) });
          await res.text();
          if (res.status === 200) break;
        } catch {
          // not up yet
        }
        if (Date.now() > deadline) throw new Error(`member ${i} not ready; log:\n${this.log(i).slice(-3000)}`);
        await sleep(100);
      }
    }
  }

  async status(i: number): Promise<NodeStatus | undefined> {
    try {
      const res = await fetch(`${this.members[i]!.httpUrl}/v1/status`, { signal: AbortSignal.timeout(2000) });
      return (await res.json()) as NodeStatus;
    } catch {
      return undefined;
    }
  }

  /** Index of the member every running member agrees is leader. */
  async waitLeader(timeoutMs = 20_000, among: number[] = [...this.procs.keys()]): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const statuses = await Promise.all(among.map((i) => this.status(i)));
      const leaders = new Set(statuses.map((s) => s?.leaderName ?? ''));
      const leaderName = [...leaders][0];
      if (leaders.size === 1 && leaderName !== undefined && leaderName !== '') {
        const idx = this.members.findIndex((m) => m.name === leaderName);
        const ls = statuses[among.indexOf(idx)];
        if (ls?.role === 'leader') return idx;
      }
      await sleep(100);
    }
    throw new Error('no agreed leader');
  }

  client(indexes: number[] = [...this.procs.keys()]): NinesHttpClient {
    return new NinesHttpClient(indexes.map((i) => this.members[i]!.httpUrl));
  }

  /** kill -9 member i and wait for it to exit. */
  async kill9(i: number): Promise<void> {
    const p = this.procs.get(i);
    if (p === undefined) return;
    p.kill('SIGKILL');
    await this.#exits.get(i);
    this.procs.delete(i);
  }

  /** SIGTERM member i; resolves with its exit code. */
  async stop(i: number): Promise<number | null> {
    const p = this.procs.get(i);
    if (p === undefined) return null;
    p.kill('SIGTERM');
    const code = await this.#exits.get(i)!;
    this.procs.delete(i);
    return code;
  }

  /** Wait for member i to exit by itself; resolves with its exit code. */
  async exited(i: number): Promise<number | null> {
    const code = await this.#exits.get(i)!;
    this.procs.delete(i);
    return code;
  }

  async cleanup(): Promise<void> {
    for (const i of [...this.procs.keys()]) await this.kill9(i);
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Retry `fn` while it fails with a retryable cluster error (no leader, unavailable, timeout). */
export async function retrying<T>(fn: () => Promise<T>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await fn();
    } catch (err) {
      const status = (err as { status?: number }).status;
      const retryable = status === 0 || status === 503 || status === 504 || status === undefined;
      if (!retryable || Date.now() > deadline) throw err;
      await sleep(100);
    }
  }
}

/** A raw HTTP request: status and parsed JSON body. */
export async function http(url: string, method = 'GET', body?: string | Buffer): Promise<{ status: number; json: Record<string, unknown> }> {
  const init: RequestInit = { method, signal: AbortSignal.timeout(10_000) };
  if (body !== undefined) init.body = body;
  const res = await fetch(url, init);
  const text = await res.text();
  let json: Record<string, unknown> = {};
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch {
    json = { text };
  }
  return { status: res.status, json };
}

/** A running `nines up`: the child, its combined stdout and stderr so far, its exit code. */
export interface UpProcess {
  readonly child: ChildProcess;
  output(): string;
  readonly exit: Promise<number | null>;
}

/** Start `nines up` with `args`. */
export function startUp(args: string[]): UpProcess {
  const child = spawn(process.execPath, [mainJs(), 'up', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const collect = (d: Buffer) => {
    out += d.toString();
  };
  child.stdout!.on('data', collect);
  child.stderr!.on('data', collect);
  return { child, output: () => out, exit: new Promise((resolve) => child.once('exit', (code) => resolve(code))) };
}
