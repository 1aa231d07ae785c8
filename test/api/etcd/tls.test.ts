import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { MemoryEtcdBackend } from '../../../src/api/etcd/memory-backend.js';
import { EtcdGrpcServer } from '../../../src/api/etcd/server.js';
import { EMPTY_RAW_CONFIG, validateNodeConfig, withFlags } from '../../../src/server/config.js';
import { TestCluster } from '../../server/harness.js';
import { ETCDCTL, etcdctl } from './etcdctl.js';

const HAS_OPENSSL = spawnSync('openssl', ['version']).status === 0;
if (!HAS_OPENSSL) process.stderr.write('openssl is not installed: skipping the TLS tests\n');

/** A CA, a server certificate for 127.0.0.1 and a client certificate, made with openssl. */
function makeCerts(dir: string): void {
  const ssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  ssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '1', '-subj', '/CN=nines-test-ca');
  writeFileSync(join(dir, 'server.ext'), 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth,clientAuth\n');
  writeFileSync(join(dir, 'client.ext'), 'extendedKeyUsage=clientAuth\n');
  for (const who of ['server', 'client']) {
    ssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${who}.key`, '-out', `${who}.csr`, '-subj', `/CN=nines-${who}`);
    ssl('x509', '-req', '-in', `${who}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${who}.crt`, '-days', '1', '-extfile', `${who}.ext`);
  }
}

describe.skipIf(ETCDCTL === undefined || !HAS_OPENSSL)('TLS: --cert-file, --key-file, --trusted-ca-file, --client-cert-auth', () => {
  let dir: string;
  let backend: MemoryEtcdBackend;
  let server: EtcdGrpcServer;
  let endpoint: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'nines-etcd-tls-'));
    makeCerts(dir);
    backend = new MemoryEtcdBackend();
    server = await EtcdGrpcServer.start({
      backend,
      listenUrls: ['https://127.0.0.1:0'],
      tls: { certFile: join(dir, 'server.crt'), keyFile: join(dir, 'server.key'), trustedCaFile: join(dir, 'ca.crt'), clientCertAuth: true },
    });
    endpoint = `https://${server.addresses[0] as string}`;
  });
  afterAll(async () => {
    await server.stop(100);
    backend.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('etcdctl with the CA and a client certificate works', async () => {
    const flags = ['--cacert', join(dir, 'ca.crt'), '--cert', join(dir, 'client.crt'), '--key', join(dir, 'client.key')];
    expect((await etcdctl(endpoint, ['put', 'secure', 'yes'], undefined, flags)).stdout.trim()).toBe('OK');
    expect((await etcdctl(endpoint, ['get', 'secure'], undefined, flags)).stdout).toBe('secure\nyes\n');
  });

  test('without a client certificate the handshake is refused and nothing is written', async () => {
    const rev = backend.store.revision;
    const r = await etcdctl(endpoint, ['put', 'x', 'y'], undefined, ['--cacert', join(dir, 'ca.crt'), '--dial-timeout', '1s', '--command-timeout', '2s']);
    expect(r.code).not.toBe(0);
    expect(backend.store.revision).toBe(rev);
  });

  test('plain-text clients cannot talk to the TLS port', async () => {
    const r = await etcdctl(server.addresses[0] as string, ['get', 'secure'], undefined, ['--dial-timeout', '1s', '--command-timeout', '2s']);
    expect(r.code).not.toBe(0);
  });

  test('https listen URL without certificates and unreadable files name the flag', async () => {
    await expect(EtcdGrpcServer.start({ backend, listenUrls: ['https://127.0.0.1:0'] })).rejects.toThrow(/--listen-client-urls.*--cert-file/);
    await expect(
      EtcdGrpcServer.start({ backend, listenUrls: ['https://127.0.0.1:0'], tls: { certFile: join(dir, 'missing.crt'), keyFile: join(dir, 'server.key') } }),
    ).rejects.toThrow(/--cert-file .*missing\.crt/);
    await expect(
      EtcdGrpcServer.start({ backend, listenUrls: ['https://127.0.0.1:0'], tls: { certFile: join(dir, 'server.crt'), keyFile: join(dir, 'server.key'), clientCertAuth: true } }),
    ).rejects.toThrow(/--client-cert-auth needs --trusted-ca-file/);
  });
});

describe.skipIf(ETCDCTL === undefined || !HAS_OPENSSL)('nines start with etcd TLS flags', () => {
  test('https:// client URL with --cert-file/--key-file/--trusted-ca-file/--client-cert-auth serves etcdctl over mutual TLS', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nines-etcd-tls-node-'));
    const cluster = await TestCluster.create({ nodes: 1 });
    try {
      makeCerts(dir);
      const args = cluster.args(0).map((a) => (a.startsWith('http://') && a === cluster.members[0]?.clientUrl ? a.replace('http://', 'https://') : a));
      cluster.spawn(0, [
        ...args,
        '--cert-file',
        join(dir, 'server.crt'),
        '--key-file',
        join(dir, 'server.key'),
        '--trusted-ca-file',
        join(dir, 'ca.crt'),
        '--client-cert-auth',
      ]);
      await cluster.waitReady([0]);
      const endpoint = (cluster.members[0]?.clientUrl ?? '').replace('http://', 'https://');
      const flags = ['--cacert', join(dir, 'ca.crt'), '--cert', join(dir, 'client.crt'), '--key', join(dir, 'client.key')];
      let put = await etcdctl(endpoint, ['put', 'tls', 'on'], undefined, flags);
      for (let i = 0; i < 20 && put.code !== 0; i++) put = await etcdctl(endpoint, ['put', 'tls', 'on'], undefined, flags);
      expect(put.stdout.trim()).toBe('OK');
      expect((await etcdctl(endpoint, ['get', 'tls'], undefined, flags)).stdout).toBe('tls\non\n');
      const noCert = await etcdctl(endpoint, ['get', 'tls'], undefined, ['--cacert', join(dir, 'ca.crt'), '--dial-timeout', '1s', '--command-timeout', '2s']);
      expect(noCert.code).not.toBe(0);
    } finally {
      await cluster.cleanup();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('flag errors name the flag', () => {
    const check = (flags: Record<string, unknown>) => () => validateNodeConfig(withFlags(EMPTY_RAW_CONFIG, flags));
    expect(check({ 'listen-client-urls': 'https://127.0.0.1:2379' })).toThrow(/--listen-client-urls .*https:\/\/ needs --cert-file/);
    expect(check({ 'listen-client-urls': 'https://127.0.0.1:2379', 'cert-file': 'a.crt' })).toThrow(/--key-file is required/);
    expect(check({ 'cert-file': 'a.crt', 'key-file': 'a.key' })).toThrow(/--listen-client-urls must use https:\/\//);
    expect(check({ 'listen-client-urls': 'https://127.0.0.1:2379', 'cert-file': 'a', 'key-file': 'b', 'client-cert-auth': true })).toThrow(
      /--client-cert-auth needs --trusted-ca-file/,
    );
    expect(check({ 'client-cert-auth': 'maybe' })).toThrow(/--client-cert-auth must be true or false/);
    const ok = validateNodeConfig(
      withFlags(EMPTY_RAW_CONFIG, { 'listen-client-urls': 'https://127.0.0.1:2379', 'cert-file': 'a', 'key-file': 'b', 'trusted-ca-file': 'c', 'client-cert-auth': 'true' }),
    );
    expect(ok.clientTls).toEqual({ certFile: 'a', keyFile: 'b', trustedCaFile: 'c', clientCertAuth: true });
    expect(ok.listenClientUrls).toEqual(['https://127.0.0.1:2379']);
  });
});
