import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { type LeaderEndpoint, type RunningCluster, sleep } from './cluster.js';
import { type EtcdClusterPlan, type EtcdMemberPlan, etcdArgs } from './etcd-args.js';
import { BenchLimits } from './limits.js';

/** Lines of a member's log shown when it fails to start. */
const LOG_TAIL_LINES = 15;
/** Timeout of one control request (health, status). */
const CONTROL_TIMEOUT_MS = 2_000;

interface EtcdChild {
  readonly member: EtcdMemberPlan;
  readonly child: ChildProcess;
  exited: boolean;
  exitCode: number | null;
  exitSignal: NodeJS.Signals | null;
}

/** A local etcd cluster of child processes (see etcd-args.ts for the plan and flags). */
export class EtcdCluster implements RunningCluster {
  readonly plan: EtcdClusterPlan;
  readonly #etcdBin: string;
  readonly #children: EtcdChild[] = [];

  constructor(plan: EtcdClusterPlan, etcdBin: string) {
    this.plan = plan;
    this.#etcdBin = etcdBin;
  }

  /** Spawn every member; stdout and stderr go to the member's log file. */
  start(): void {
    for (const member of this.plan.members) {
      const logFd = openSync(member.logFile, 'a');
      const child = spawn(this.#etcdBin, etcdArgs(this.plan, member), { stdio: ['ignore', logFd, logFd], env: process.env });
      closeSync(logFd);
      const c: EtcdChild = { member, child, exited: false, exitCode: null, exitSignal: null };
      child.on('error', () => {
        c.exited = true;
      });
      child.on('exit', (code, signal) => {
        c.exited = true;
        c.exitCode = code;
        c.exitSignal = signal;
      });
      this.#children.push(c);
    }
  }

  /** Wait until every member answers /health with {"health":"true"}; fails early if one exits. */
  async waitReady(timeoutMs: number = BenchLimits.readyTimeoutMs): Promise<void> {
    const deadline = performance.now() + timeoutMs;
    const pending = new Set(this.#children);
    while (pending.size > 0) {
      for (const c of [...pending]) {
        this.#throwIfExited(c);
        try {
          const res = await fetch(`${c.member.clientUrl}/health`, { signal: AbortSignal.timeout(CONTROL_TIMEOUT_MS) });
          const body = (await res.json()) as { health?: unknown };
          if (res.status === 200 && body.health === 'true') pending.delete(c);
        } catch {
          // not listening yet
        }
      }
      if (pending.size === 0) return;
      if (performance.now() > deadline) {
        throw new Error(`etcd members not healthy after ${timeoutMs} ms: ${[...pending].map((c) => c.member.name).join(', ')} (see their logs)`);
      }
      await sleep(BenchLimits.readyPollMs);
    }
  }

  /** The current leader, from /v3/maintenance/status (the member whose id is its own leader). */
  async leader(timeoutMs: number = BenchLimits.readyTimeoutMs): Promise<LeaderEndpoint> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      for (const c of this.#children) {
        this.#throwIfExited(c);
        try {
          const res = await fetch(`${c.member.clientUrl}/v3/maintenance/status`, {
            method: 'POST',
            body: '{}',
            headers: { 'content-type': 'application/json' },
            signal: AbortSignal.timeout(CONTROL_TIMEOUT_MS),
          });
          const body = (await res.json()) as { header?: { member_id?: string }; leader?: string };
          if (res.status === 200 && body.leader !== undefined && body.leader === body.header?.member_id) {
            return { name: c.member.name, httpUrl: c.member.clientUrl, clientUrl: c.member.clientUrl };
          }
        } catch {
          // try the next member
        }
      }
      if (performance.now() > deadline) throw new Error(`no etcd leader found within ${timeoutMs} ms`);
      await sleep(BenchLimits.readyPollMs);
    }
  }

  #throwIfExited(c: EtcdChild): void {
    if (!c.exited) return;
    throw new Error(
      `etcd member ${c.member.name} exited (${c.exitSignal ?? `code ${c.exitCode}`}); last lines of ${c.member.logFile}:\n${logTail(c.member.logFile)}`,
    );
  }

  /** SIGTERM every member, wait up to `graceMs`, then SIGKILL the rest and wait for them. */
  async stop(graceMs: number = BenchLimits.stopGraceMs): Promise<void> {
    const alive = this.#children.filter((c) => !c.exited);
    for (const c of alive) c.child.kill('SIGTERM');
    const deadline = performance.now() + graceMs;
    while (alive.some((c) => !c.exited) && performance.now() < deadline) await sleep(50);
    for (const c of alive) if (!c.exited) c.child.kill('SIGKILL');
    const killDeadline = performance.now() + graceMs;
    while (alive.some((c) => !c.exited) && performance.now() < killDeadline) await sleep(20);
  }

  /** Last resort (process exit): SIGKILL whatever still runs. */
  killSync(): void {
    for (const c of this.#children) if (!c.exited) c.child.kill('SIGKILL');
  }
}

export function logTail(file: string): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-LOG_TAIL_LINES).join('\n');
  } catch {
    return '(no log)';
  }
}
