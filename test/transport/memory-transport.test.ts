import { describe, expect, it } from 'vitest';
import { MemoryNetwork } from '../../src/transport/memory-transport.js';
import type { RaftMessage } from '../../src/transport/transport.js';
import { id, msg, waitFor } from './helpers.js';

describe('MemoryTransport', () => {
  it('delivers between known, started members; cut links drop and report unreachable', async () => {
    const net = new MemoryNetwork();
    const [a, b, c] = [net.transport(id(1)), net.transport(id(2)), net.transport(id(3))];
    const got: Record<number, RaftMessage[]> = { 1: [], 2: [], 3: [] };
    const unreachable: number[] = [];
    for (const t of [a, b, c]) {
      await t.start();
      t.onMessage((m) => got[t.self]!.push(m));
      for (const peer of [1, 2, 3]) if (peer !== t.self) t.addPeer(id(peer), `mem://${peer}`);
    }
    a.onUnreachable((p) => unreachable.push(p));
    a.send([msg(1, 2, 'hb', { data: new Uint8Array([5]) }), msg(1, 3, 'hb')]);
    expect(got[2]!.length).toBe(0); // asynchronous, like a network
    await waitFor('delivery', () => got[2]!.length === 1 && got[3]!.length === 1);
    expect([...(got[2]![0]!['data'] as Uint8Array)]).toEqual([5]);

    net.setLink(id(1), id(2), false);
    a.send([msg(1, 2, 'hb'), msg(1, 3, 'hb')]);
    await waitFor('delivery to 3', () => got[3]!.length === 2);
    expect(got[2]!.length).toBe(1);
    expect(unreachable).toEqual([2]);
    expect(a.stats().find((s) => s.peer === 2)).toMatchObject({ sent: 1, dropped: 1 });

    net.setLink(id(1), id(2), true);
    await b.stop();
    a.send([msg(1, 2, 'hb')]);
    await new Promise((r) => setTimeout(r, 10));
    expect(got[2]!.length).toBe(1);
    expect(() => net.transport(id(1))).toThrow(/already/);
  });
});
