import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { call, clients, type Reply } from './grpc-client.js';
import { type Served, serveMemory } from './serve-memory.js';

/** Metadata carrying an etcd token. */
const withToken = (token: unknown): grpc.Metadata => {
  const md = new grpc.Metadata();
  md.set('token', String(token));
  return md;
};

describe('Auth.AuthStatus over raw gRPC (memory backend)', () => {
  let s: Served;
  let c: ReturnType<typeof clients>;

  beforeAll(async () => {
    s = await serveMemory();
    c = clients(s.endpoint);
  });
  afterAll(async () => {
    c.close();
    await s.stop();
  });

  const status = (md?: grpc.Metadata): Promise<Reply> => call(c.Auth, 'AuthStatus', {}, md);

  test('enabled turns true after AuthEnable, authRevision grows with each change, header present', async () => {
    const st = s.backend.status();
    const before = await status();
    expect(before.enabled).toBe(false);
    expect(before.header).toMatchObject({
      cluster_id: BigInt(`0x${st.clusterId}`).toString(),
      member_id: BigInt(`0x${st.memberId}`).toString(),
      revision: String(s.backend.store.revision),
    });
    const rev0 = BigInt(before.authRevision as string);

    await call(c.Auth, 'UserAdd', { name: 'root', password: 'pw' });
    const afterUser = await status();
    expect(BigInt(afterUser.authRevision as string)).toBe(rev0 + 1n);

    await call(c.Auth, 'UserGrantRole', { user: 'root', role: 'root' });
    await call(c.Auth, 'RoleAdd', { name: 'reader' });
    await call(c.Auth, 'UserAdd', { name: 'alice', password: 'pw2' });
    await call(c.Auth, 'UserGrantRole', { user: 'alice', role: 'reader' });
    const beforeEnable = await status();
    expect(beforeEnable.enabled).toBe(false);
    expect(BigInt(beforeEnable.authRevision as string)).toBe(rev0 + 5n);

    // A refused change (duplicate user) leaves the revision alone.
    await expect(call(c.Auth, 'UserAdd', { name: 'alice', password: 'x' })).rejects.toThrow(/user name already exists/);
    expect((await status()).authRevision).toBe(beforeEnable.authRevision);

    await call(c.Auth, 'AuthEnable', {});
    const root = await call(c.Auth, 'Authenticate', { name: 'root', password: 'pw' });
    const after = await status(withToken(root.token));
    expect(after.enabled).toBe(true);
    expect(BigInt(after.authRevision as string)).toBe(rev0 + 6n);
    expect(after.header?.cluster_id).toBe(before.header?.cluster_id);
    expect(s.backend.auth.state.revision).toBe(Number(after.authRevision));

    // Enabling again changes nothing (etcd returns early without a new revision).
    await call(c.Auth, 'AuthEnable', {}, withToken(root.token));
    expect((await status(withToken(root.token))).authRevision).toBe(after.authRevision);
  });

  test('with auth on, AuthStatus needs root as in etcd 3.5 (needAdminPermission)', async () => {
    // Relies on the state the previous test left: auth enabled, alice without root.
    await expect(status()).rejects.toMatchObject({ code: grpc.status.INVALID_ARGUMENT, details: 'etcdserver: user name is empty' });
    await expect(status(withToken('bogus.token'))).rejects.toMatchObject({ code: grpc.status.UNAUTHENTICATED });
    const alice = await call(c.Auth, 'Authenticate', { name: 'alice', password: 'pw2' });
    await expect(status(withToken(alice.token))).rejects.toMatchObject({
      code: grpc.status.PERMISSION_DENIED,
      details: 'etcdserver: permission denied',
    });

    const root = await call(c.Auth, 'Authenticate', { name: 'root', password: 'pw' });
    const on = await status(withToken(root.token));
    await call(c.Auth, 'AuthDisable', {}, withToken(root.token));
    const off = await status();
    expect(off.enabled).toBe(false);
    expect(BigInt(off.authRevision as string)).toBe(BigInt(on.authRevision as string) + 1n);
  });
});
