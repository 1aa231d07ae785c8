import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HAS_OPENSSL, makePeerCerts, type PeerCerts } from '../transport/certs.js';
import { http, mainJs, retrying, sleep, TestCluster } from './harness.js';

if (!HAS_OPENSSL) process.stderr.write('openssl is not installed: skipping the peer TLS server tests\n');

const https = (url: string): string => url.replace('http://', 'https://');

describe.skipIf(!HAS_OPENSSL)('nines start with peer TLS (--peer-cert-file, --peer-key-file, --peer-trusted-ca-file, --peer-client-cert-auth)', () => {
  let certs: PeerCerts;
  beforeAll(() => {
    certs = makePeerCerts();
  });
  afterAll(() => certs?.remove());

  it('a 3-node cluster over mutual TLS elects a leader and replicates a write', async () => {
    const c = await TestCluster.create({ nodes: 3 });
    try {
      for (let i = 0; i < 3; i++) {
        // Every peer URL (listen, initial cluster) becomes https://.
        const args = c.args(i).map((a) => c.members.reduce((text, m) => text.replaceAll(m.peerUrl, https(m.peerUrl)), a));
        c.spawn(i, [
          ...args,
          '--initial-advertise-peer-urls',
          https(c.members[i]!.peerUrl),
          '--peer-cert-file',
          certs.certFile,
          '--peer-key-file',
          certs.keyFile,
          '--peer-trusted-ca-file',
          certs.caFile,
          '--peer-client-cert-auth',
        ]);
      }
      await c.waitReady([0, 1, 2]);
      const leader = await c.waitLeader(30_000);
      await retrying(() => c.client([leader]).put('peer-tls', 'replicated'));
      const target = (await c.status(leader))!.commitIndex;
      for (let i = 0; i < 3; i++) {
        const deadline = Date.now() + 20_000;
        while (((await c.status(i))?.appliedIndex ?? 0) < target) {
          expect(Date.now(), `member ${i} applies index ${target}`).toBeLessThan(deadline);
          await sleep(100);
        }
        const res = await http(`${c.members[i]!.httpUrl}/v1/kv/peer-tls?serializable=true`);
        expect(res.status).toBe(200);
        expect(JSON.stringify(res.json)).toContain('replicated');
      }
      expect(c.log(leader)).not.toMatch(/refused peer TLS connection/);
    } finally {
      await c.cleanup();
    }
  }, 90_000);

  it.each([
    [['--listen-peer-urls', 'https://127.0.0.1:12380'], /--listen-peer-urls .*https:\/\/.*--peer-cert-file/],
    [['--peer-cert-file', 'CERT', '--listen-peer-urls', 'https://127.0.0.1:12380'], /--peer-key-file is required/],
    [['--peer-cert-file', 'CERT', '--peer-key-file', 'KEY'], /--listen-peer-urls has http:\/\/localhost:2380: .*must be https:\/\//],
    [['--peer-cert-file', 'CERT', '--peer-key-file', 'KEY', '--listen-peer-urls', 'https://127.0.0.1:12380', '--peer-client-cert-auth'], /--peer-client-cert-auth needs --peer-trusted-ca-file/],
    [['--peer-cert-file', 'MISSING', '--peer-key-file', 'KEY', '--listen-peer-urls', 'https://127.0.0.1:12380'], /--peer-cert-file .*missing\.crt: cannot read/],
    [['--peer-trusted-ca-file', 'CA'], /--peer-trusted-ca-file needs --peer-cert-file/],
  ])('refuses %j with exit code 2 and a message naming the flag', (flags, message) => {
    const files: Record<string, string> = { CERT: certs.certFile, KEY: certs.keyFile, CA: certs.caFile, MISSING: `${certs.dir}/missing.crt` };
    const args = flags.map((f) => files[f] ?? f);
    const r = spawnSync(process.execPath, [mainJs(), 'start', '--name', 'n1', '--data-dir', `${certs.dir}/data`, ...args], {
      encoding: 'utf8',
      timeout: 20_000,
    });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(message);
  });
});
