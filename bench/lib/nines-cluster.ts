import { fileURLToPath } from 'node:url';
import { LocalCluster, planCluster, type RunningMember } from '../../src/server/launcher.js';
import type { NodeStatus } from '../../src/server/service.js';
import { type LeaderEndpoint, type RunningCluster, sleep } from './cluster.js';
import { BenchLimits } from './limits.js';

/** Timeout of one /v1/status request. */
const CONTROL_TIMEOUT_MS = 2_000;

/**
 * A local nines cluster for the benchmark: the same launcher as `nines up` (one
 * `node dist/src/cli/main.js start …` process per member, etcd-style flags, fsync on by
 * default), in a temp data dir.
 */
export class NinesCluster implements RunningCluster {
  readonly #cluster: LocalCluster;

  constructor(dataDir: string, basePort: number, extraArgs: readonly string[]) {
    const plan = planCluster({ nodes: BenchLimits.clusterSize, dataDir, basePort, host: '127.0.0.1', extraArgs });
    const mainJs = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
    this.#cluster = new LocalCluster(plan, mainJs, extraArgs);
  }

  get members(): readonly RunningMember[] {
    return this.#cluster.running;
  }

  async start(): Promise<void> {
    await this.#cluster.checkPortsFree();
    this.#cluster.start();
  }

  waitReady(timeoutMs: number = BenchLimits.readyTimeoutMs): Promise<void> {
    return this.#cluster.waitReady(timeoutMs);
  }

  /** The leader every member agrees on (from GET /v1/status), once it says it is the leader. */
  async leader(timeoutMs: number = BenchLimits.readyTimeoutMs): Promise<LeaderEndpoint> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const statuses: NodeStatus[] = [];
      for (const r of this.#cluster.running) {
        if (r.exited) throw new Error(`nines member ${r.member.name} exited (${r.exitSignal ?? `code ${r.exitCode}`}); see its nines.log in ${r.member.dataDir}`);
        try {
          const res = await fetch(`${r.member.httpUrl}/v1/status`, { signal: AbortSignal.timeout(CONTROL_TIMEOUT_MS) });
          if (res.status === 200) statuses.push((await res.json()) as NodeStatus);
        } catch {
          // count it as not agreeing
        }
      }
      const leaderName = statuses[0]?.leaderName;
      const agreed = leaderName !== undefined && leaderName !== '' && statuses.length === this.#cluster.running.length && statuses.every((s) => s.leaderName === leaderName);
      const self = statuses.find((s) => s.name === leaderName);
      const member = this.#cluster.running.find((r) => r.member.name === leaderName)?.member;
      if (agreed && self?.role === 'leader' && member !== undefined) {
        return { name: member.name, httpUrl: member.httpUrl, clientUrl: member.clientUrls[0] ?? member.httpUrl };
      }
      if (performance.now() > deadline) throw new Error(`the nines members did not agree on a leader within ${timeoutMs} ms`);
      await sleep(BenchLimits.readyPollMs);
    }
  }

  stop(graceMs: number = BenchLimits.stopGraceMs): Promise<void> {
    return this.#cluster.stop(graceMs);
  }

  /** Last resort (process exit): SIGKILL whatever still runs. */
  killSync(): void {
    for (const r of this.#cluster.running) if (!r.exited) r.child.kill('SIGKILL');
  }
}
