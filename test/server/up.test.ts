import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { readClusterFile } from '../../src/server/cluster-file.js';
import { freeBasePort, mainJs, sleep, startUp, type UpProcess as Up } from './harness.js';

const run = promisify(execFile);

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function waitFor(up: Up, text: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!up.output().includes(text)) {
    if (Date.now() > deadline || up.child.exitCode !== null) throw new Error(`"${text}" not printed; output:\n${up.output()}`);
    await sleep(100);
  }
}

describe('nines up', () => {
  const dir = mkdtempSync(join(tmpdir(), 'nines-up-'));
  const dataDir = join(dir, 'data');
  const children: ChildProcess[] = [];

  afterAll(() => {
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
    try {
      for (const m of readClusterFile(join(dataDir, 'cluster.json')).members) if (m.pid > 0 && alive(m.pid)) process.kill(m.pid, 'SIGKILL');
    } catch {
      // no cluster file
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it('starts 3 members, writes cluster.json, serves the CLI, stops cleanly on SIGINT and resumes', async () => {
    const base = await freeBasePort(23);
    const args = ['--nodes', '3', '--data-dir', dataDir, '--base-port', String(base), '--heartbeat-interval', '50'];
    const up = startUp(args);
    children.push(up.child);
    await waitFor(up, 'ready.', 45_000);
    const cluster = readClusterFile(join(dataDir, 'cluster.json'));
    expect(cluster.members.map((m) => m.name)).toEqual(['node1', 'node2', 'node3']);
    expect(cluster.members[0]!.httpUrl).toBe(`http://127.0.0.1:${base + 2}`);
    expect(cluster.members[0]!.clientUrls).toEqual([`http://127.0.0.1:${base}`]);
    const pids = cluster.members.map((m) => m.pid);
    for (const pid of pids) expect(alive(pid)).toBe(true);
    expect(up.output()).toContain(`dashboard: http://127.0.0.1:${base + 2}/`);

    const cli = (...a: string[]) => run(process.execPath, [mainJs(), ...a, '--data-dir', dataDir], { timeout: 20_000 });
    const put = await cli('kv', 'put', 'greeting', 'hello');
    expect(put.stdout).toMatch(/^OK revision \d+/);
    expect((await cli('kv', 'get', 'greeting')).stdout).toBe('hello\n');
    await cli('kv', 'put', 'greeting2', 'hi');
    expect((await cli('kv', 'range', 'greeting', '--prefix', '--keys-only')).stdout).toBe('greeting\ngreeting2\n');
    expect((await cli('kv', 'del', 'greeting2')).stdout).toBe('1\n');
    const watch = spawn(process.execPath, [mainJs(), 'kv', 'watch', 'greeting', '--rev', '1', '--data-dir', dataDir], { stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(watch);
    let watched = '';
    watch.stdout!.on('data', (d: Buffer) => {
      watched += d.toString();
    });
    const watchDeadline = Date.now() + 15_000;
    while (!watched.includes('PUT greeting hello') && Date.now() < watchDeadline) await sleep(50);
    watch.kill('SIGINT');
    expect(watched).toMatch(/^PUT greeting hello \(rev \d+\)/);
    const status = JSON.parse((await cli('status', '--json')).stdout) as { members: { status?: { role: string } }[] };
    expect(status.members.filter((m) => m.status?.role === 'leader')).toHaveLength(1);

    up.child.kill('SIGINT');
    expect(await up.exit).toBe(0);
    expect(up.output()).toContain('stopped.');
    for (const pid of pids) expect(alive(pid)).toBe(false);
    const stopped = readClusterFile(join(dataDir, 'cluster.json'));
    expect(stopped.members.every((m) => m.pid === 0)).toBe(true);

    // Run again: same ports, same data.
    const again = startUp(args);
    children.push(again.child);
    await waitFor(again, 'ready.', 45_000);
    expect(again.output()).toContain('resuming 3 members');
    expect((await cli('kv', 'get', 'greeting')).stdout).toBe('hello\n');
    again.child.kill('SIGTERM');
    expect(await again.exit).toBe(0);
    const log = readFileSync(join(dataDir, 'node1', 'nines.log'), 'utf8');
    expect(log).toContain('stopped cleanly');
  }, 120_000);
});
