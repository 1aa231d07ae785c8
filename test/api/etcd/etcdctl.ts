import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';

/** Path of the real etcdctl, or undefined (tests that need it are skipped). */
export const ETCDCTL: string | undefined = (() => {
  const r = spawnSync('etcdctl', ['version'], { env: { ...process.env, ETCDCTL_API: '3' }, encoding: 'utf8' });
  if (r.error !== undefined || r.status !== 0) {
    process.stderr.write('etcdctl (3.4) is not installed: skipping the etcdctl end-to-end tests (apt-get install etcd-client)\n');
    return undefined;
  }
  return 'etcdctl';
})();

export interface CtlResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `etcdctl --endpoints <endpoint> ...args` (API v3), with optional stdin. */
export function etcdctl(endpoint: string, args: readonly string[], input?: string, extraFlags: readonly string[] = []): Promise<CtlResult> {
  return new Promise((resolve) => {
    const child = execFile(
      ETCDCTL ?? 'etcdctl',
      ['--endpoints', endpoint, '--dial-timeout', '2s', '--command-timeout', '5s', ...extraFlags, ...args],
      { env: { ...process.env, ETCDCTL_API: '3' }, timeout: 15_000, encoding: 'utf8' },
      (err, stdout, stderr) => {
        const code = err === null ? 0 : typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : 1;
        resolve({ code, stdout, stderr });
      },
    );
    if (input !== undefined) child.stdin?.end(input);
    else child.stdin?.end();
  });
}

/** A long-running etcdctl (watch, keep-alive) whose stdout is collected as it comes. */
export class CtlProcess {
  readonly child: ChildProcess;
  stdout = '';
  stderr = '';
  readonly exited: Promise<number>;

  constructor(endpoint: string, args: readonly string[]) {
    this.child = spawn(ETCDCTL ?? 'etcdctl', ['--endpoints', endpoint, ...args], { env: { ...process.env, ETCDCTL_API: '3' } });
    this.child.stdout?.on('data', (d: Buffer) => {
      this.stdout += d.toString('utf8');
    });
    this.child.stderr?.on('data', (d: Buffer) => {
      this.stderr += d.toString('utf8');
    });
    this.exited = new Promise((resolve) => this.child.on('exit', (code) => resolve(code ?? -1)));
  }

  /** Waits until stdout satisfies `test` (or fails after `timeoutMs`). */
  async waitFor(test: (stdout: string) => boolean, timeoutMs = 5000): Promise<void> {
    const start = Date.now();
    while (!test(this.stdout)) {
      if (Date.now() - start > timeoutMs) throw new Error(`timed out; stdout so far:\n${this.stdout}\nstderr:\n${this.stderr}`);
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  /** SIGKILL: etcdctl catches SIGTERM in `elect` and may then wait on the server forever. */
  kill(): void {
    if (this.child.exitCode === null) this.child.kill('SIGKILL');
  }
}
