import { connect, createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { packFrame } from '../../src/transport/frame.js';
import { id, mesh, msg, type Node, startNode, waitFor } from './helpers.js';

const nodes: Node[] = [];
async function node(self: number, options: Parameters<typeof startNode>[1] = {}): Promise<Node> {
  const n = await startNode(self, options);
  nodes.push(n);
  return n;
}
afterEach(async () => {
  for (const n of nodes.splice(0)) await n.transport.stop();
});

function rawConnect(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port }, () => resolve(s));
    s.on('error', reject);
  });
}

function closed(socket: Socket): Promise<Buffer> {
  const chunks: Buffer[] = [];
  socket.on('data', (c: Buffer) => chunks.push(c));
  return new Promise((resolve) => socket.on('close', () => resolve(Buffer.concat(chunks))));
}

describe('PeerTransport', () => {
  it('two transports exchange messages with all value kinds intact', async () => {
    const [a, b] = [await node(1), await node(2)];
    mesh([a, b]);
    const m = msg(1, 2, 'app', { term: 7, ok: true, why: 'x', entries: [{ index: 3, data: new Uint8Array([1, 2, 3]) }], nested: { n: null } });
    a.transport.send([m]);
    b.transport.send([msg(2, 1, 'appResp', { index: 3 })]);
    await waitFor('both delivered', () => b.received.length === 1 && a.received.length === 1);
    const got = b.received[0]!;
    expect({ ...got, entries: undefined }).toEqual({ ...m, entries: undefined });
    expect([...((got['entries'] as Array<{ data: Uint8Array }>)[0]!.data)]).toEqual([1, 2, 3]);
    expect(a.received[0]).toEqual(msg(2, 1, 'appResp', { index: 3 }));
    expect(a.transport.stats()[0]).toMatchObject({ peer: 2, connected: true, sent: 1, dropped: 0, queued: 0 });
  });

  it('three transports route by `to` and keep per-peer order', async () => {
    const ns = [await node(1), await node(2), await node(3)];
    mesh(ns);
    for (let i = 0; i < 200; i++) {
      ns[0]!.transport.send([msg(1, 2, 'hb', { seq: i }), msg(1, 3, 'hb', { seq: i })]);
      ns[1]!.transport.send([msg(2, 3, 'hb', { seq: i })]);
    }
    await waitFor('all delivered', () => ns[1]!.received.length === 200 && ns[2]!.received.length === 400);
    expect(ns[1]!.received.map((m) => m['seq'])).toEqual([...Array(200).keys()]);
    expect(ns[2]!.received.filter((m) => m.from === 1).map((m) => m['seq'])).toEqual([...Array(200).keys()]);
    expect(ns[2]!.received.filter((m) => m.from === 2).length).toBe(200);
    expect(ns[0]!.received.length).toBe(0);
  });

  it('drops messages to removed or unknown peers and stops accepting from removed members', async () => {
    const [a, b] = [await node(1), await node(2)];
    mesh([a, b]);
    a.transport.send([msg(1, 2, 'hb', { seq: 1 })]);
    await waitFor('first delivery', () => b.received.length === 1);
    b.transport.removePeer(id(1));
    a.transport.send([msg(1, 2, 'hb', { seq: 2 }), msg(1, 9, 'hb'), msg(1, 1, 'hb')]);
    expect(a.transport.droppedUnroutable).toBe(2);
    await waitFor('closed by b', () => b.logger.lines.some((l) => String(l.obj['reason']).includes('member 1 was removed')));
    expect(b.received.length).toBe(1);
    a.transport.removePeer(id(2));
    a.transport.send([msg(1, 2, 'hb')]);
    expect(a.transport.droppedUnroutable).toBe(3);
    expect(a.transport.stats()).toEqual([]);
  });

  it('refuses a peer with another cluster id, logging the reason on both sides', async () => {
    const a = await node(1, { clusterId: 'cluster-B' });
    const b = await node(2);
    mesh([a, b]);
    a.transport.send([msg(1, 2, 'hb')]);
    await waitFor('refusal seen by dialer', () => (a.transport.stats()[0]!.lastError ?? '').includes('refused'));
    expect(a.transport.stats()[0]!.lastError).toMatch(/cluster id mismatch/);
    expect(a.unreachable).toContain(2);
    const refusal = b.logger.lines.find((l) => l.msg === 'refused peer connection');
    expect(String(refusal?.obj['reason'])).toMatch(/cluster id mismatch: peer is in cluster cluster-B/);
    expect(b.received.length).toBe(0);
  });

  it('refuses an unknown sender', async () => {
    const a = await node(1);
    const b = await node(2);
    a.transport.addPeer(id(2), `127.0.0.1:${b.transport.port}`);
    a.transport.send([msg(1, 2, 'hb')]);
    await waitFor('refusal', () => (a.transport.stats()[0]!.lastError ?? '').includes('unknown member 1'));
    expect(b.received.length).toBe(0);
    expect(b.logger.lines.some((l) => String(l.obj['reason']).includes('unknown member 1'))).toBe(true);
  });

  it('closes a connection announcing an oversized frame, without crashing', async () => {
    const b = await node(2, { limits: { frameBytesMax: 1024, partBytes: 512 } });
    const s = await rawConnect(b.transport.port);
    const header = Buffer.alloc(4);
    header.writeUInt32BE(1025);
    const done = closed(s);
    s.write(header);
    await done;
    expect(b.logger.lines.some((l) => String(l.obj['reason']).includes('frameBytesMax exceeded: 1025 > 1024'))).toBe(true);
    // Still serving.
    const a = await node(1);
    mesh([a, b]);
    a.transport.send([msg(1, 2, 'hb')]);
    await waitFor('delivery after the bad connection', () => b.received.length === 1);
  });

  it('closes connections sending garbage or a message before the handshake', async () => {
    const b = await node(2);
    const garbage = [
      Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'),
      Buffer.from([0, 0, 0, 3, 0xc1, 0xc1, 0xc1]),
      packFrame({ k: 'msg', m: { from: 1, to: 2, type: 'hb' } }, 1024),
      packFrame([1, 2, 3], 1024),
    ];
    for (const bytes of garbage) {
      const s = await rawConnect(b.transport.port);
      const done = closed(s);
      s.write(bytes);
      await done;
    }
    expect(b.logger.lines.filter((l) => l.msg === 'closing peer connection').length).toBe(garbage.length);
    expect(b.received.length).toBe(0);
  });

  it('reconnects after the peer restarts and delivery resumes', async () => {
    const a = await node(1, { limits: { reconnectDelayMsMin: 20, reconnectDelayMsMax: 100 } });
    const b = await node(2);
    const port = b.transport.port;
    mesh([a, b]);
    a.transport.send([msg(1, 2, 'hb', { seq: 1 })]);
    await waitFor('first delivery', () => b.received.length === 1);
    await b.transport.stop();
    a.transport.send([msg(1, 2, 'hb', { seq: 2 })]);
    await waitFor('disconnect noticed', () => !a.transport.stats()[0]!.connected && a.unreachable.length > 0);
    const b2 = await node(2, { port });
    b2.transport.addPeer(id(1), `127.0.0.1:${a.transport.port}`);
    for (let i = 3; i < 100 && b2.received.length === 0; i++) {
      a.transport.send([msg(1, 2, 'hb', { seq: i })]);
      await new Promise((r) => setTimeout(r, 20));
    }
    await waitFor('delivery after restart', () => b2.received.length > 0);
    expect(a.transport.stats()[0]).toMatchObject({ connected: true, lastError: undefined });
    expect(a.transport.stats()[0]!.reconnects).toBeGreaterThanOrEqual(1);
  });

  it('bounds the per-peer queue and counts drops while the peer is down', async () => {
    const server: Server = createServer((s) => s.destroy());
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    await new Promise<void>((r) => server.close(() => r()));
    const a = await node(1, { limits: { peerQueueMessagesMax: 10, reconnectDelayMsMin: 10_000, reconnectDelayMsMax: 10_000 } });
    a.transport.addPeer(id(2), `127.0.0.1:${port}`);
    a.transport.send(Array.from({ length: 25 }, (_, i) => msg(1, 2, 'hb', { seq: i })));
    const stats = a.transport.stats()[0]!;
    expect(stats.queued).toBe(10);
    expect(stats.dropped).toBe(15);
    expect(a.unreachable.length).toBeGreaterThanOrEqual(15);
    await waitFor('dial failure recorded', () => a.transport.stats()[0]!.lastError !== undefined);
    expect(a.transport.stats()[0]!.queued).toBe(10);
  });

  it('delivers a 20 MB snapshot while heartbeats keep flowing ahead of it', async () => {
    const a = await node(1);
    const b = await node(2);
    mesh([a, b]);
    a.transport.send([msg(1, 2, 'hb', { seq: -1 })]);
    await waitFor('warm-up', () => b.received.length === 1);
    const arrivals: Array<{ type: string; atMs: number; seq?: unknown }> = [];
    b.transport.onMessage((m) => arrivals.push({ type: m.type, atMs: performance.now(), seq: m['seq'] }));
    const data = new Uint8Array(20 * 1024 * 1024).map((_, i) => (i * 13) % 256);
    a.transport.send([msg(1, 2, 'snap', { snapshot: { metadata: { index: 9, term: 2 }, data } })]);
    const heartbeatsSentAfterSnapshot: number[] = [];
    let seq = 0;
    while (!arrivals.some((x) => x.type === 'snap')) {
      heartbeatsSentAfterSnapshot.push(seq);
      a.transport.send([msg(1, 2, 'hb', { seq: seq++ })]);
      await new Promise((r) => setTimeout(r, 1));
      if (seq > 20_000) throw new Error('snapshot never arrived');
    }
    const snapAt = arrivals.find((x) => x.type === 'snap')!.atMs;
    const heartbeatsBefore = arrivals.filter((x) => x.type === 'hb' && x.atMs < snapAt);
    expect(heartbeatsBefore.length).toBeGreaterThan(0);
    expect(heartbeatsSentAfterSnapshot).toContain(heartbeatsBefore[0]!.seq);
    // The snapshot arrived whole and intact.
    const snapLanding = await new Promise<Uint8Array>((resolve) => {
      b.transport.onMessage(() => undefined);
      a.transport.send([msg(1, 2, 'snap', { snapshot: { metadata: { index: 10, term: 2 }, data } })]);
      b.transport.onMessage((m) => {
        if (m.type === 'snap') resolve((m['snapshot'] as { data: Uint8Array }).data);
      });
    });
    expect(snapLanding.length).toBe(data.length);
    expect(Buffer.compare(Buffer.from(snapLanding), Buffer.from(data))).toBe(0);
  });
});
