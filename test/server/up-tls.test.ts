import { type ChildProcess, execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { readClusterFile } from '../../src/server/cluster-file.js';
import { HAS_OPENSSL, makePeerCerts, type PeerCerts } from '../transport/certs.js';
import { freeBasePort, mainJs, sleep, startUp } from './harness.js';

const run = promisify(execFile);

describe.skipIf(!HAS_OPENSSL)('nines up with peer TLS', () => {
  const dir = mkdtempSync(join(tmpdir(), 'nines-up-tls-'));
  const dataDir = join(dir, 'data');
  const children: ChildProcess[] = [];
  let certs: PeerCerts | undefined;

  afterAll(() => {
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
    try {
      for (const m of readClusterFile(join(dataDir, 'cluster.json')).members) {
        if (m.pid > 0) {
          try {
            process.kill(m.pid, 'SIGKILL');
          } catch {
            // already gone
          }
        }
      }
    } catch {
      // no cluster file
    }
    certs?.remove();
    rmSync(dir, { recursive: true, force: true });
  });

  it('starts a 3-member cluster over mutual TLS (https:// peer URLs), serves writes, and keeps its scheme on resume', async () => {
    certs = makePeerCerts();
    const base = await freeBasePort(23);
    const common = ['--nodes', '3', '--data-dir', dataDir, '--base-port', String(base), '--heartbeat-interval', '50'];
    const tls = ['--peer-cert-file', certs.certFile, '--peer-key-file', certs.keyFile, '--peer-trusted-ca-file', certs.caFile, '--peer-client-cert-auth'];

    // Refused before any member starts: a key without its certificate, client auth without a CA.
    for (const [args, message] of [
      [['--peer-key-file', certs.keyFile], /needs both --peer-cert-file and --peer-key-file/],
      [['--peer-cert-file', certs.certFile, '--peer-key-file', certs.keyFile, '--peer-client-cert-auth'], /--peer-client-cert-auth needs --peer-trusted-ca-file/],
      [['--peer-cert-file', join(dir, 'missing.crt'), '--peer-key-file', certs.keyFile], /--peer-cert-file .*missing\.crt: no such file/],
    ] as const) {
      const bad = startUp([...common, ...args]);
      expect(await bad.exit, bad.output()).toBe(2);
      expect(bad.output()).toMatch(message);
    }

    const up = startUp([...common, ...tls]);
    children.push(up.child);
    const deadline = Date.now() + 45_000;
    while (!up.output().includes('ready.')) {
      if (Date.now() > deadline || up.child.exitCode !== null) throw new Error(`not ready; output:\n${up.output()}`);
      await sleep(100);
    }
    const cluster = readClusterFile(join(dataDir, 'cluster.json'));
    expect(cluster.members.map((m) => m.peerUrl)).toEqual([1, 11, 21].map((d) => `https://127.0.0.1:${base + d}`));
    const cli = (...a: string[]) => run(process.execPath, [mainJs(), ...a, '--data-dir', dataDir], { timeout: 20_000 });
    expect((await cli('kv', 'put', 'tls', 'on')).stdout).toMatch(/^OK revision \d+/);
    expect((await cli('kv', 'get', 'tls')).stdout).toBe('on\n');
    // Replicated over TLS: every member has it (serializable reads are local).
    const localValues = async (httpUrl: string): Promise<string[]> => {
      const res = await fetch(`${httpUrl}/v1/kv/range`, { method: 'POST', body: JSON.stringify({ key: 'tls', serializable: true }) });
      return (((await res.json()) as { kvs?: { value: string }[] }).kvs ?? []).map((kv) => kv.value);
    };
    for (const m of cluster.members) {
      const until = Date.now() + 10_000;
      while ((await localValues(m.httpUrl)).length === 0 && Date.now() < until) await sleep(100);
      expect(await localValues(m.httpUrl)).toEqual(['on']);
    }
    up.child.kill('SIGINT');
    expect(await up.exit).toBe(0);

    // The peer URLs are part of the membership: resuming without TLS is refused, naming the fix.
    const plain = startUp(common);
    expect(await plain.exit, plain.output()).toBe(2);
    expect(plain.output()).toMatch(/describes a cluster with peer TLS \(https:\/\/127\.0\.0\.1:\d+\): resume it with --peer-cert-file/);
  }, 120_000);
});
