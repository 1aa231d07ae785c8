import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { MemoryEtcdBackend } from '../../../src/api/etcd/memory-backend.js';
import { type MaintainableNode, nodeEtcdBackend } from '../../../src/api/etcd/node-backend.js';
import { EtcdGrpcServer } from '../../../src/api/etcd/server.js';
import { ErrorCodes, NinesError } from '../../../src/core/errors.js';
import type { NinesNode } from '../../../src/server/node.js';
import { call, clients } from './grpc-client.js';

// The real node fits the adapter (a compile-time check).
type NodeFits = NinesNode extends MaintainableNode ? true : never;
const fits: NodeFits = true;

/** A node stand-in: the memory store plus the maintenance methods the real node has. */
function fakeNode(mem: MemoryEtcdBackend, transfer: (target: number) => Promise<void>): MaintainableNode {
  const extra: Record<string, unknown> = {
    hash: async () => mem.store.hash(),
    hashKv: async (rev: number) => {
      const h = mem.store.hashKv(rev);
      return { hash: h.hash, compactRevision: h.compactRevision, revision: h.hashRevision };
    },
    transferLeadership: transfer,
    isLearner: () => false,
    snapshotData: () => ({ data: mem.store.serialize(), revision: mem.store.revision }),
    dbSizeBytes: () => 4096,
  };
  return new Proxy(mem, {
    get(target, prop) {
      if (typeof prop === 'string' && prop in extra) return extra[prop];
      const v = Reflect.get(target, prop, target) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  }) as unknown as MaintainableNode;
}

describe('nodeEtcdBackend (the adapter the server uses)', () => {
  const mem = new MemoryEtcdBackend();
  let follower = true;
  let server: EtcdGrpcServer;
  let c: ReturnType<typeof clients>;

  beforeAll(async () => {
    const node = fakeNode(mem, async (target) => {
      if (follower) throw new NinesError(ErrorCodes.NOT_LEADER, 'only the leader can hand over leadership');
      if (target !== 42) throw new NinesError(ErrorCodes.INVALID_ARGUMENT, 'not a voter');
    });
    server = await EtcdGrpcServer.start({ backend: nodeEtcdBackend(node), listenUrls: ['http://127.0.0.1:0'] });
    c = clients(server.addresses[0] as string);
  });
  afterAll(async () => {
    c.close();
    await server.stop(100);
    mem.close();
  });

  test('KV goes to the node; Status reports its db size; Auth is not capable without replication', async () => {
    expect(fits).toBe(true);
    await call(c.KV, 'Put', { key: Buffer.from('a'), value: Buffer.from('1') });
    expect(mem.store.revision).toBe(2);
    expect((await call(c.Maintenance, 'Status', {})).dbSize).toBe('4096');
    await expect(call(c.Auth, 'UserList', {})).rejects.toMatchObject({ code: grpc.status.UNAVAILABLE, details: 'etcdserver: not capable' });
    await expect(call(c.Cluster, 'MemberAdd', { peerURLs: ['http://127.0.0.1:1'] })).rejects.toMatchObject({ details: 'etcdserver: not capable' });
  });

  test('MoveLeader maps the node errors to etcd\'s', async () => {
    follower = true;
    await expect(call(c.Maintenance, 'MoveLeader', { targetID: 42 })).rejects.toMatchObject({
      code: grpc.status.FAILED_PRECONDITION,
      details: 'etcdserver: not leader',
    });
    follower = false;
    await expect(call(c.Maintenance, 'MoveLeader', { targetID: 7 })).rejects.toMatchObject({ details: 'etcdserver: bad leader transferee' });
    await expect(call(c.Maintenance, 'MoveLeader', { targetID: '18446744073709551615' })).rejects.toMatchObject({
      details: 'etcdserver: bad leader transferee',
    });
    expect((await call(c.Maintenance, 'MoveLeader', { targetID: 42 })).header).toBeDefined();
  });
});
