import { readFileSync } from 'node:fs';
import type { Etcd3 } from 'etcd3';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { MemoryEtcdBackend } from '../../../src/api/etcd/memory-backend.js';
import { EtcdGrpcServer } from '../../../src/api/etcd/server.js';
import { type Certs, etcd3Client, HAS_OPENSSL, makeCerts, recordEvents, waitFor, within } from './etcd3-helpers.js';

if (!HAS_OPENSSL) process.stderr.write('openssl is not installed: skipping the etcd3 TLS tests (they make their certificates with openssl)\n');

describe.skipIf(!HAS_OPENSSL)('etcd3 client against nines over TLS (--client-cert-auth)', () => {
  let certs: Certs;
  let backend: MemoryEtcdBackend;
  let server: EtcdGrpcServer;
  let address: string;
  const clients: Etcd3[] = [];
  const client = (credentials?: { rootCertificate: Buffer; privateKey?: Buffer; certChain?: Buffer }, scheme = 'https'): Etcd3 => {
    const c = etcd3Client(`${scheme}://${address}`, credentials === undefined ? { retries: 0 } : { credentials, retries: 0 });
    clients.push(c);
    return c;
  };

  beforeAll(async () => {
    certs = makeCerts();
    backend = new MemoryEtcdBackend();
    server = await EtcdGrpcServer.start({
      backend,
      listenUrls: ['https://127.0.0.1:0'],
      tls: { certFile: certs.serverCertFile, keyFile: certs.serverKeyFile, trustedCaFile: certs.caFile, clientCertAuth: true },
    });
    address = server.addresses[0] as string;
  });
  afterAll(async () => {
    for (const c of clients) c.close();
    await server.stop(100);
    backend.close();
    certs.remove();
  });

  test('with the CA and a client certificate: KV, transactions, a watch and a kept-alive lease work', async () => {
    const c = client({
      rootCertificate: readFileSync(certs.caFile),
      privateKey: readFileSync(certs.clientKeyFile),
      certChain: readFileSync(certs.clientCertFile),
    });
    const w = await c.watch().prefix('tls/').create();
    const seen = recordEvents(w);
    await c.put('tls/a').value('secure');
    expect(await c.get('tls/a').string()).toBe('secure');
    expect((await c.if('tls/a', 'Value', '==', 'secure').then(c.put('tls/b').value('2')).commit()).succeeded).toBe(true);
    const lease = c.lease(2);
    await lease.put('tls/leased').value('x');
    await within('a keep-alive over TLS', new Promise((resolve) => lease.once('keepaliveSucceeded', resolve)));
    await waitFor('3 watch events', () => seen.length >= 3);
    expect(seen.map((e) => e.key)).toEqual(['tls/a', 'tls/b', 'tls/leased']);
    await lease.revoke();
    await w.cancel();
    expect(backend.store.range({ key: Buffer.from('tls/a') }).kvs.length).toBe(1);
  });

  test('without a client certificate the call fails and nothing is written', async () => {
    const rev = backend.store.revision;
    const c = client({ rootCertificate: readFileSync(certs.caFile) });
    await expect(c.put('tls/nocert').value('x').exec()).rejects.toThrow();
    expect(backend.store.revision).toBe(rev);
  });

  test('a client that does not trust the CA, or speaks plain text, is refused', async () => {
    const rev = backend.store.revision;
    const otherCa = makeCerts();
    try {
      const untrusting = client({
        rootCertificate: readFileSync(otherCa.caFile),
        privateKey: readFileSync(certs.clientKeyFile),
        certChain: readFileSync(certs.clientCertFile),
      });
      await expect(untrusting.put('tls/untrusted').value('x').exec()).rejects.toThrow();
    } finally {
      otherCa.remove();
    }
    const plain = client(undefined, 'http');
    await expect(plain.put('tls/plain').value('x').exec()).rejects.toThrow();
    expect(backend.store.revision).toBe(rev);
  });
});
