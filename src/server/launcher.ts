import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { ErrorCodes, InvalidArgumentError, NinesError } from '../core/errors.js';
import { CLUSTER_FILE_NAME, type ClusterFile, type ClusterFileMember, readClusterFile, writeClusterFile } from './cluster-file.js';

/**
 * Running a local cluster as child processes (`nines up`): plan names, ports and data dirs
 * (or reuse them from an existing cluster.json), spawn one `nines start` per member, wait
 * until every member is ready, and stop them cleanly.
 */

/** Ports per member: client (etcd gRPC, later), peer, HTTP. */
export const PORTS_PER_MEMBER_STRIDE = 10;
export const LOG_FILE_NAME = 'nines.log';
/** Lines of a failed child's log shown in the error. */
const LOG_TAIL_LINES = 15;
/** Poll interval while waiting for /readyz. */
const READY_POLL_MS = 100;

export interface UpOptions {
  readonly nodes: number;
  readonly dataDir: string;
  readonly basePort: number;
  readonly host: string;
  /** Extra `nines start` flags passed to every member (e.g. --heartbeat-interval 50). */
  readonly extraArgs: readonly string[];
  /** `https` when the members talk peer TLS (its flags are in `extraArgs`); default `http`. */
  readonly peerScheme?: 'http' | 'https';
}

export interface PlannedCluster {
  readonly file: string;
  readonly token: string;
  readonly members: readonly ClusterFileMember[];
  /** True when resuming from an existing cluster.json. */
  readonly resumed: boolean;
}

/** Names, ports, data dirs: from `<dataDir>/cluster.json` if present, otherwise fresh. */
export function planCluster(options: UpOptions): PlannedCluster {
  const dataDir = resolve(options.dataDir);
  const file = join(dataDir, CLUSTER_FILE_NAME);
  const peerScheme = options.peerScheme ?? 'http';
  if (existsSync(file)) {
    const existing = readClusterFile(file);
    if (existing.members.length !== options.nodes) {
      throw new InvalidArgumentError(
        `--nodes ${options.nodes} but ${file} describes ${existing.members.length} members: ` +
          `run with --nodes ${existing.members.length} to resume, or use another --data-dir for a new cluster`,
      );
    }
    // The peer URLs are part of the replicated membership: a cluster keeps its scheme.
    const mismatch = existing.members.find((m) => !m.peerUrl.startsWith(`${peerScheme}://`));
    if (mismatch !== undefined) {
      throw new InvalidArgumentError(
        peerScheme === 'https'
          ? `${file} describes a cluster with plain-text peer URLs (${mismatch.peerUrl}): resume it without the --peer-* TLS flags, or use another --data-dir for a TLS cluster`
          : `${file} describes a cluster with peer TLS (${mismatch.peerUrl}): resume it with --peer-cert-file and --peer-key-file (and the CA flags it was started with)`,
      );
    }
    return {
      file,
      token: existing.token ?? 'nines-up',
      members: existing.members.map((m) => ({ ...m, pid: 0 })),
      resumed: true,
    };
  }
  const portMax = options.basePort + PORTS_PER_MEMBER_STRIDE * (options.nodes - 1) + 2;
  if (portMax > 65_535) throw new InvalidArgumentError(`--base-port ${options.basePort} is too high for ${options.nodes} nodes (needs up to ${portMax})`);
  const members: ClusterFileMember[] = [];
  for (let i = 0; i < options.nodes; i++) {
    const port = options.basePort + PORTS_PER_MEMBER_STRIDE * i;
    const name = `node${i + 1}`;
    members.push({
      name,
      pid: 0,
      clientUrls: [`http://${options.host}:${port}`],
      peerUrl: `${peerScheme}://${options.host}:${port + 1}`,
      httpUrl: `http://${options.host}:${port + 2}`,
      dataDir: join(dataDir, name),
    });
  }
  return { file, token: `nines-up-${randomBytes(6).toString('hex')}`, members, resumed: false };
}

/** Whether a member's data dir already holds state (then it restarts as `existing`). */
function hasData(dataDir: string): boolean {
  try {
    return readdirSync(join(dataDir, 'member')).length > 0;
  } catch {
    return false;
  }
}

/** The `nines start` arguments of one planned member. */
export function startArgs(plan: PlannedCluster, member: ClusterFileMember, extraArgs: readonly string[]): string[] {
  const cluster = plan.members.map((m) => `${m.name}=${m.peerUrl}`).join(',');
  const http = plan.members.map((m) => `${m.name}=${m.httpUrl}`).join(',');
  return [
    'start',
    '--name',
    member.name,
    '--data-dir',
    member.dataDir,
    '--listen-client-urls',
    member.clientUrls.join(','),
    '--advertise-client-urls',
    member.clientUrls.join(','),
    '--listen-peer-urls',
    member.peerUrl,
    '--initial-advertise-peer-urls',
    member.peerUrl,
    '--listen-http-urls',
    member.httpUrl,
    '--initial-cluster',
    cluster,
    '--initial-cluster-http',
    http,
    '--initial-cluster-token',
    plan.token,
    '--initial-cluster-state',
    hasData(member.dataDir) ? 'existing' : 'new',
    ...extraArgs,
  ];
}

export interface RunningMember {
  readonly member: ClusterFileMember;
  readonly child: ChildProcess;
  exited: boolean;
  exitCode: number | null;
  exitSignal: NodeJS.Signals | null;
}

/** The child processes of a local cluster. */
export class LocalCluster {
  readonly plan: PlannedCluster;
  readonly running: RunningMember[] = [];
  readonly #mainJs: string;
  readonly #extraArgs: readonly string[];
  #onExit: (m: RunningMember) => void = () => undefined;

  constructor(plan: PlannedCluster, mainJs: string, extraArgs: readonly string[]) {
    this.plan = plan;
    this.#mainJs = mainJs;
    this.#extraArgs = extraArgs;
  }

  onExit(fn: (m: RunningMember) => void): void {
    this.#onExit = fn;
  }

  /** Fails with the first port (client, peer or HTTP) that something already listens on. */
  async checkPortsFree(): Promise<void> {
    for (const m of this.plan.members) {
      for (const url of [...m.clientUrls, m.peerUrl, m.httpUrl]) {
        const u = new URL(url);
        const problem = await new Promise<string | undefined>((resolveCheck) => {
          const server = createServer();
          server.once('error', (err: NodeJS.ErrnoException) => resolveCheck(err.code ?? String(err)));
          server.listen(Number(u.port), u.hostname, () => server.close(() => resolveCheck(undefined)));
        });
        if (problem !== undefined) {
          throw new NinesError(
            ErrorCodes.UNAVAILABLE,
            `${m.name}: cannot use ${url} (${problem === 'EADDRINUSE' ? 'port in use: is another cluster running? stop it, or pick another --base-port' : problem})`,
          );
        }
      }
    }
  }

  /** Spawn every member; each one's stdout and stderr go to `<member data dir>/nines.log`. */
  start(): void {
    for (const member of this.plan.members) {
      const args = startArgs(this.plan, member, this.#extraArgs);
      mkdirSync(member.dataDir, { recursive: true });
      const logFd = openSync(join(member.dataDir, LOG_FILE_NAME), 'a');
      const child = spawn(process.execPath, [this.#mainJs, ...args], {
        stdio: ['ignore', logFd, logFd],
        detached: false,
        env: process.env,
      });
      closeSync(logFd);
      const running: RunningMember = { member: { ...member, pid: child.pid ?? 0 }, child, exited: false, exitCode: null, exitSignal: null };
      child.on('exit', (code, signal) => {
        running.exited = true;
        running.exitCode = code;
        running.exitSignal = signal;
        this.#onExit(running);
      });
      this.running.push(running);
    }
  }

  clusterFile(): ClusterFile {
    return {
      token: this.plan.token,
      members: this.running.map((r) => ({ ...r.member, pid: r.exited ? 0 : r.member.pid })),
    };
  }

  writeClusterFile(): void {
    writeClusterFile(this.plan.file, this.clusterFile());
  }

  /** Wait until every member answers /readyz with 200; fails early if one exits. */
  async waitReady(timeoutMs: number): Promise<void> {
    const deadline = performance.now() + timeoutMs;
    const pending = new Set(this.running);
    while (pending.size > 0) {
      for (const r of [...pending]) {
        if (r.exited) {
          throw new NinesError(
            ErrorCodes.UNAVAILABLE,
            `member ${r.member.name} exited (code ${r.exitCode ?? r.exitSignal}) before it was ready; last lines of ${join(r.member.dataDir, LOG_FILE_NAME)}:\n${logTail(r.member.dataDir)}`,
          );
        }
        try {
          // Make sure the answer comes from our child, not a stranger on the same port.
          const status = await fetch(`${r.member.httpUrl}/v1/status`, { signal: AbortSignal.timeout(1_000) });
          const pid = ((await status.json()) as { pid?: number }).pid;
          if (pid === r.member.pid) {
            const res = await fetch(`${r.member.httpUrl}/readyz`, { signal: AbortSignal.timeout(1_000) });
            await res.text();
            if (res.status === 200) pending.delete(r);
          }
        } catch {
          // not listening yet
        }
      }
      if (pending.size === 0) break;
      if (performance.now() > deadline) {
        throw new NinesError(
          ErrorCodes.TIMEOUT,
          `members not ready after ${timeoutMs} ms: ${[...pending].map((r) => r.member.name).join(', ')} (see their ${LOG_FILE_NAME})`,
        );
      }
      await new Promise((res) => setTimeout(res, READY_POLL_MS));
    }
  }

  /** SIGTERM every member, wait up to `graceMs`, then SIGKILL the rest. */
  async stop(graceMs: number): Promise<void> {
    const alive = this.running.filter((r) => !r.exited);
    for (const r of alive) r.child.kill('SIGTERM');
    const deadline = performance.now() + graceMs;
    while (alive.some((r) => !r.exited) && performance.now() < deadline) {
      await new Promise((res) => setTimeout(res, 50));
    }
    for (const r of alive) if (!r.exited) r.child.kill('SIGKILL');
    while (alive.some((r) => !r.exited)) await new Promise((res) => setTimeout(res, 20));
  }
}

/** The last lines of a member's log file (for error messages). */
export function logTail(dataDir: string): string {
  try {
    const lines = readFileSync(join(dataDir, LOG_FILE_NAME), 'utf8').trimEnd().split('\n');
    return lines.slice(-LOG_TAIL_LINES).join('\n');
  } catch {
    return '(no log)';
  }
}
