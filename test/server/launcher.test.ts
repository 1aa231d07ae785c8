import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writeClusterFile } from '../../src/server/cluster-file.js';
import { lockDataDir } from '../../src/server/data-dir-lock.js';
import { planCluster, startArgs } from '../../src/server/launcher.js';

describe('nines up planning', () => {
  const dir = mkdtempSync(join(tmpdir(), 'nines-plan-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('plans names, ports and dirs, and resumes from cluster.json', () => {
    const options = { nodes: 3, dataDir: join(dir, 'a'), basePort: 2379, host: '127.0.0.1', extraArgs: [] };
    const plan = planCluster(options);
    expect(plan.resumed).toBe(false);
    expect(plan.members.map((m) => [m.name, m.clientUrls[0], m.peerUrl, m.httpUrl])).toEqual([
      ['node1', 'http://127.0.0.1:2379', 'http://127.0.0.1:2380', 'http://127.0.0.1:2381'],
      ['node2', 'http://127.0.0.1:2389', 'http://127.0.0.1:2390', 'http://127.0.0.1:2391'],
      ['node3', 'http://127.0.0.1:2399', 'http://127.0.0.1:2400', 'http://127.0.0.1:2401'],
    ]);
    const args = startArgs(plan, plan.members[1]!, ['--detector', 'fixed']);
    expect(args).toContain('--initial-cluster-state');
    expect(args[args.indexOf('--initial-cluster-state') + 1]).toBe('new');
    expect(args[args.indexOf('--initial-cluster') + 1]).toBe(
      'node1=http://127.0.0.1:2380,node2=http://127.0.0.1:2390,node3=http://127.0.0.1:2400',
    );
    expect(args.slice(-2)).toEqual(['--detector', 'fixed']);

    writeClusterFile(plan.file, { token: plan.token, members: plan.members.map((m) => ({ ...m, pid: 99 })) });
    const again = planCluster({ ...options, basePort: 3000 });
    expect(again.resumed).toBe(true);
    expect(again.token).toBe(plan.token);
    expect(again.members[0]!.httpUrl).toBe('http://127.0.0.1:2381');
    expect(again.members.every((m) => m.pid === 0)).toBe(true);
    expect(() => planCluster({ ...options, nodes: 5 })).toThrow(/--nodes 5 but .* describes 3 members/);
    expect(() => planCluster({ ...options, dataDir: join(dir, 'b'), basePort: 65_530 })).toThrow(/--base-port 65530 is too high/);
  });

  it('locks a data dir for one process and takes over a stale lock', () => {
    const d = join(dir, 'locked');
    const release = lockDataDir(d);
    // Same process again: our own pid counts as stale (a restart in-process), so it is taken over.
    const again = lockDataDir(d);
    again();
    release();
    // A live foreign owner (pid 1 always exists) is refused.
    writeFileSync(join(d, 'nines.lock'), '1\n');
    expect(() => lockDataDir(d)).toThrow(/is in use by process 1/);
    // A dead owner's lock is stale.
    writeFileSync(join(d, 'nines.lock'), '999999999\n');
    lockDataDir(d)();
  });
});
