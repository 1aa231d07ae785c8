import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { CtlProcess, ETCDCTL, etcdctl } from './etcdctl.js';
import { type Served, serveMemory } from './serve-memory.js';

describe.skipIf(ETCDCTL === undefined)('etcdctl auth: users, roles, permissions, enable/disable', () => {
  let s: Served;
  const ctl = (args: string[], input?: string) => etcdctl(s.endpoint, args, input);
  const as = (user: string, args: string[]) => etcdctl(s.endpoint, args, undefined, ['--user', user]);

  beforeAll(async () => {
    s = await serveMemory();
    await ctl(['put', 'foo/a', '1']);
    await ctl(['put', 'secret', 's']);
  });
  afterAll(async () => {
    await s.stop();
  });

  test('set up users and roles before enabling, as etcd', async () => {
    expect((await ctl(['user', 'add', 'root:rootpw'])).stdout.trim()).toBe('User root created');
    expect((await ctl(['user', 'add', 'alice:apw'])).stdout.trim()).toBe('User alice created');
    expect((await ctl(['user', 'add', 'alice:again'])).stderr).toContain('Error: etcdserver: user name already exists');
    expect((await ctl(['role', 'add', 'reader'])).stdout.trim()).toBe('Role reader created');
    await ctl(['role', 'grant-permission', 'reader', 'read', 'foo/', '--prefix']);
    await ctl(['role', 'grant-permission', 'reader', 'readwrite', 'bar']);
    expect((await ctl(['user', 'grant-role', 'alice', 'reader'])).stdout.trim()).toBe('Role reader is granted to user alice');
    expect((await ctl(['user', 'grant-role', 'alice', 'nosuch'])).stderr).toContain('Error: etcdserver: role name not found');
    expect((await ctl(['role', 'get', 'reader'])).stdout).toBe('Role reader\nKV Read:\n\tbar\n\t[foo/, foo0) (prefix foo/)\nKV Write:\n\tbar\n');
    expect((await ctl(['user', 'get', 'alice'])).stdout).toBe('User: alice\nRoles: reader\n');
    // etcdctl adds the root role and grants it to root when enabling.
    expect((await ctl(['auth', 'enable'])).stdout.trim()).toBe('Authentication Enabled');
  });

  test('with auth on: no token, wrong password, permitted and denied operations', async () => {
    expect((await ctl(['get', 'foo/a'])).stderr).toContain('Error: etcdserver: user name is empty');
    expect((await ctl(['auth', 'enable'])).stderr).toContain('Error: etcdserver: user name is empty');
    expect((await as('alice:wrong', ['get', 'foo/a'])).stderr).toContain('Error: etcdserver: authentication failed, invalid user ID or password');
    expect((await as('alice:apw', ['get', 'foo/a'])).stdout).toBe('foo/a\n1\n');
    expect((await as('alice:apw', ['get', 'foo/', '--prefix'])).stdout).toBe('foo/a\n1\n');
    expect((await as('alice:apw', ['get', 'secret'])).stderr).toContain('Error: etcdserver: permission denied');
    expect((await as('alice:apw', ['get', '', '--prefix'])).stderr).toContain('Error: etcdserver: permission denied');
    const rev = s.backend.store.revision;
    expect((await as('alice:apw', ['put', 'foo/a', '2'])).stderr).toContain('Error: etcdserver: permission denied');
    expect(s.backend.store.revision).toBe(rev);
    expect((await as('alice:apw', ['put', 'bar', 'x'])).stdout.trim()).toBe('OK');
    expect((await as('alice:apw', ['user', 'list'])).stderr).toContain('Error: etcdserver: permission denied');
    expect((await as('root:rootpw', ['user', 'list'])).stdout).toBe('alice\nroot\n');
    expect((await as('root:rootpw', ['get', 'secret'])).stdout).toBe('secret\ns\n');
    const txn = await etcdctl(s.endpoint, ['txn'], 'value("foo/a") = "1"\n\nput secret hacked\n\n\n', ['--user', 'alice:apw']);
    expect(txn.stderr).toContain('etcdserver: permission denied');
    expect((await as('root:rootpw', ['get', 'secret'])).stdout).toBe('secret\ns\n');
  });

  test('a watch outside the permitted range is cancelled with permission denied', async () => {
    const w = new CtlProcess(s.endpoint, ['--user', 'alice:apw', 'watch', 'secret']);
    const code = await Promise.race([w.exited, new Promise<number>((r) => setTimeout(() => r(-99), 8000))]);
    w.kill();
    expect(code).not.toBe(-99);
    // Exactly as etcd 3.4 reports it.
    expect(w.stdout + w.stderr).toContain('watch was canceled (rpc error: code = PermissionDenied desc = etcdserver: permission denied)');
  });

  test('revoke permission, role checks, auth disable', async () => {
    expect((await as('root:rootpw', ['role', 'revoke-permission', 'reader', 'nosuch'])).stderr).toContain(
      'Error: etcdserver: permission is not granted to the role',
    );
    expect((await as('root:rootpw', ['user', 'delete', 'root'])).stderr).toContain('Error: etcdserver: invalid auth management');
    await as('root:rootpw', ['role', 'revoke-permission', 'reader', 'foo/', '--prefix']);
    expect((await as('alice:apw', ['get', 'foo/a'])).stderr).toContain('Error: etcdserver: permission denied');
    expect((await as('root:rootpw', ['auth', 'disable'])).stdout.trim()).toBe('Authentication Disabled');
    expect((await ctl(['get', 'foo/a'])).stdout).toBe('foo/a\n1\n');
    expect((await ctl(['user', 'delete', 'alice'])).stdout.trim()).toBe('User alice deleted');
    expect((await ctl(['role', 'delete', 'reader'])).stdout.trim()).toBe('Role reader deleted');
    expect((await ctl(['role', 'list'])).stdout).toBe('root\n');
  });
});
