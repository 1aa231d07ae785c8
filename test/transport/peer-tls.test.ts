import { connect, type Socket } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { packFrame } from '../../src/transport/frame.js';
import type { PeerTlsOptions } from '../../src/transport/peer-tls.js';
import { PeerTransport } from '../../src/transport/peer-transport.js';
import { HAS_OPENSSL, makePeerCerts, type PeerCerts } from './certs.js';
import { id, mesh, msg, type Node, startNode, waitFor } from './helpers.js';

if (!HAS_OPENSSL) process.stderr.write('openssl is not installed: skipping the peer TLS transport tests\n');

describe.skipIf(!HAS_OPENSSL)('PeerTransport with peer TLS', () => {
  let certs: PeerCerts;
  let good: PeerTlsOptions;
  const nodes: Node[] = [];
  async function node(self: number, tls: PeerTlsOptions | undefined): Promise<Node> {
    const n = await startNode(self, tls === undefined ? {} : { tls });
    nodes.push(n);
    return n;
  }
  beforeAll(() => {
    certs = makePeerCerts();
    good = { certFile: certs.certFile, keyFile: certs.keyFile, trustedCaFile: certs.caFile, clientCertAuth: true };
  });
  afterAll(() => certs?.remove());
  afterEach(async () => {
    for (const n of nodes.splice(0)) await n.transport.stop();
  });

  it('two transports with mutual TLS exchange messages both ways', async () => {
    const [a, b] = [await node(1, good), await node(2, good)];
    expect(a.transport.secure).toBe(true);
    mesh([a, b]);
    a.transport.send([msg(1, 2, 'app', { term: 3, data: new Uint8Array([9, 8]) })]);
    b.transport.send([msg(2, 1, 'appResp', { index: 5 })]);
    await waitFor('both delivered', () => a.received.length === 1 && b.received.length === 1);
    expect(b.received[0]).toMatchObject({ from: 1, to: 2, type: 'app', term: 3 });
    expect([...(b.received[0]!['data'] as Uint8Array)]).toEqual([9, 8]);
    expect(a.received[0]).toEqual(msg(2, 1, 'appResp', { index: 5 }));
    expect(a.transport.stats()[0]).toMatchObject({ connected: true, sent: 1 });
  });

  it('a peer with a certificate from another CA is refused, with the reason logged', async () => {
    const a = await node(1, good);
    // Trusts the cluster CA (so it accepts a's certificate) but presents one from another CA.
    const rogue = await node(3, { certFile: certs.otherCertFile, keyFile: certs.otherKeyFile, trustedCaFile: certs.caFile, clientCertAuth: true });
    a.transport.addPeer(id(3), `https://127.0.0.1:${rogue.transport.port}`);
    rogue.transport.addPeer(id(1), `https://127.0.0.1:${a.transport.port}`);
    rogue.transport.send([msg(3, 1, 'hb')]);
    a.transport.send([msg(1, 3, 'hb')]);
    await waitFor('refusal logged', () => a.logger.lines.some((l) => l.msg === 'refused peer TLS connection'));
    await waitFor('both dialers failed', () => rogue.unreachable.length > 0 && a.unreachable.length > 0);
    const refusal = a.logger.lines.find((l) => l.msg === 'refused peer TLS connection')!;
    expect(String(refusal.obj['reason'])).not.toBe('');
    // a refuses rogue's server certificate too: it is not signed by the trusted CA.
    expect(a.transport.stats()[0]?.lastError ?? '').toMatch(/certificate|self.signed|issuer/i);
    expect(a.received).toEqual([]);
    expect(rogue.received).toEqual([]);
    expect(rogue.transport.stats()[0]?.connected).toBe(false);
  });

  it('a plain-TCP peer against a TLS listener is refused, and neither side crashes', async () => {
    const a = await node(1, good);
    const plain = await node(2, undefined);
    plain.transport.addPeer(id(1), `http://127.0.0.1:${a.transport.port}`);
    a.transport.addPeer(id(2), `http://127.0.0.1:${plain.transport.port}`);
    plain.transport.send([msg(2, 1, 'hb')]);
    await waitFor('refusal logged', () => a.logger.lines.some((l) => l.msg === 'refused peer TLS connection'));
    await waitFor('plain dialer failed', () => plain.unreachable.length > 0);
    expect(a.received).toEqual([]);
    // A raw hello frame in plain text is not a TLS ClientHello either: closed, nothing delivered.
    const socket: Socket = connect({ host: '127.0.0.1', port: a.transport.port });
    const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
    socket.on('error', () => undefined);
    socket.write(packFrame({ k: 'hello', version: 1, clusterId: 'cluster-A', from: 2, to: 1, lane: 'ctrl' }, 1024));
    await closed;
    expect(a.received).toEqual([]);
    // The TLS transport still works for a good peer afterwards.
    const b = await node(3, good);
    mesh([a, b]);
    b.transport.send([msg(3, 1, 'hb', { seq: 1 })]);
    await waitFor('good peer delivered', () => a.received.length === 1);
    expect(a.received[0]).toEqual(msg(3, 1, 'hb', { seq: 1 }));
  });

  it('unreadable files and --peer-client-cert-auth without a CA name the flag', () => {
    const make = (tls: PeerTlsOptions) => () => new PeerTransport({ self: id(9), clusterId: 'cluster-A', tls });
    expect(make({ ...good, certFile: `${certs.dir}/missing.crt` })).toThrow(/--peer-cert-file .*missing\.crt/);
    expect(make({ ...good, keyFile: `${certs.dir}/missing.key` })).toThrow(/--peer-key-file .*missing\.key/);
    expect(make({ ...good, trustedCaFile: `${certs.dir}/missing-ca.crt` })).toThrow(/--peer-trusted-ca-file/);
    expect(make({ certFile: certs.certFile, keyFile: certs.keyFile, clientCertAuth: true })).toThrow(/--peer-client-cert-auth needs --peer-trusted-ca-file/);
  });
});
