import { type Etcd3, EtcdAuthenticationFailedError, EtcdPermissionDeniedError, EtcdRoleNotFoundError, EtcdUserExistsError } from 'etcd3';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { etcd3Client, TARGETS, type Target, within } from './etcd3-helpers.js';

describe.each(TARGETS)('etcd3 client against $name: roles, users and auth', (kind) => {
  let s: Target;
  let admin: Etcd3;
  const clients: Etcd3[] = [];
  const as = (username: string, password: string): Etcd3 => {
    const c = etcd3Client(s.endpoint, { auth: { username, password }, retries: 0 });
    clients.push(c);
    return c;
  };

  beforeAll(async () => {
    s = await kind.start();
    admin = etcd3Client(s.endpoint, { retries: 0 });
    await admin.put('foo/a').value('1');
    await admin.put('secret').value('s');
  });
  afterAll(async () => {
    for (const c of clients) c.close();
    admin.close();
    await s.stop();
  });

  test('create roles with permissions and users, grant roles, read them back', async () => {
    await admin.user('root').create('rootpw');
    await admin.role('root').create();
    await admin.user('root').addRole('root');
    await admin.user('alice').create('apw');
    await expect(admin.user('alice').create('again')).rejects.toBeInstanceOf(EtcdUserExistsError);
    const reader = await admin.role('reader').create();
    await reader.grant([
      { permission: 'Read', range: admin.range({ prefix: 'foo/' }) },
      { permission: 'Readwrite', key: 'bar' },
    ]);
    await admin.user('alice').addRole('reader');
    await expect(admin.user('alice').addRole('nosuch')).rejects.toBeInstanceOf(EtcdRoleNotFoundError);
    const perms = await reader.permissions();
    expect(perms.map((p) => [p.permission, p.range.start.toString(), p.range.end.toString()])).toEqual([
      ['Readwrite', 'bar', ''],
      ['Read', 'foo/', 'foo0'],
    ]);
    expect((await admin.getUsers()).map((u) => u.name).sort()).toEqual(['alice', 'root']);
    expect((await admin.getRoles()).map((r) => r.name).sort()).toEqual(['reader', 'root']);
    expect((await admin.user('alice').roles()).map((r) => r.name)).toEqual(['reader']);
    await admin.auth.authEnable();
  });

  test('with auth enabled: the root user can do everything', async () => {
    const root = as('root', 'rootpw');
    expect(await root.get('secret').string()).toBe('s');
    await root.put('secret').value('s2');
    expect((await root.getUsers()).map((u) => u.name).sort()).toEqual(['alice', 'root']);
  });

  test('a user may do what their roles permit, and gets a permission error otherwise', async () => {
    const alice = as('alice', 'apw');
    expect(await alice.get('foo/a').string()).toBe('1');
    expect(await alice.getAll().prefix('foo/').keys()).toEqual(['foo/a']);
    await alice.put('bar').value('mine');
    expect(await alice.get('bar').string()).toBe('mine');
    await expect(alice.get('secret').string()).rejects.toBeInstanceOf(EtcdPermissionDeniedError);
    await expect(alice.put('foo/a').value('2').exec()).rejects.toBeInstanceOf(EtcdPermissionDeniedError);
    await expect(alice.getAll().prefix('').keys()).rejects.toBeInstanceOf(EtcdPermissionDeniedError);
    await expect(alice.if('foo/a', 'Value', '==', '1').then(alice.put('secret').value('hacked')).commit()).rejects.toBeInstanceOf(
      EtcdPermissionDeniedError,
    );
    await expect(alice.getUsers()).rejects.toBeInstanceOf(EtcdPermissionDeniedError);
    const root = as('root', 'rootpw');
    expect(await root.get('secret').string()).toBe('s2');
    expect(await root.get('foo/a').string()).toBe('1');
    // A watch outside the permitted range is cancelled.
    const w = alice.watch().key('secret').watcher();
    const err = await within('watch cancelled', new Promise<Error>((resolve) => w.once('error', resolve)));
    expect(err).toBeInstanceOf(EtcdPermissionDeniedError);
  });

  test('unauthenticated and wrongly authenticated clients are refused, nothing changes', async () => {
    const nobody = etcd3Client(s.endpoint, { retries: 0 });
    clients.push(nobody);
    await expect(nobody.get('foo/a').string()).rejects.toThrow(/user name is empty/);
    await expect(nobody.put('foo/a').value('x').exec()).rejects.toThrow(/user name is empty/);
    const wrong = as('alice', 'wrong');
    await expect(wrong.get('foo/a').string()).rejects.toBeInstanceOf(EtcdAuthenticationFailedError);
    const ghost = as('ghost', 'x');
    await expect(ghost.get('foo/a').string()).rejects.toBeInstanceOf(EtcdAuthenticationFailedError);
    expect(await as('root', 'rootpw').get('foo/a').string()).toBe('1');
  });

  test('a password change or a deleted user ends existing sessions', async () => {
    const root = as('root', 'rootpw');
    await root.user('bob').create('bpw');
    await root.user('bob').addRole('reader');
    await root.user('carol').create('cpw');
    await root.user('carol').addRole('reader');
    const bob = as('bob', 'bpw');
    const carol = as('carol', 'cpw');
    expect(await bob.get('foo/a').string()).toBe('1');
    expect(await carol.get('foo/a').string()).toBe('1');
    await root.user('bob').setPassword('new-bpw');
    // The old token is invalid; etcd3 re-authenticates with the old password, which fails.
    await expect(bob.get('foo/a').string()).rejects.toBeInstanceOf(EtcdAuthenticationFailedError);
    expect(await as('bob', 'new-bpw').get('foo/a').string()).toBe('1');
    await root.user('carol').delete();
    await expect(carol.get('foo/a').string()).rejects.toBeInstanceOf(EtcdAuthenticationFailedError);
  });

  test('revoking a role takes effect for an existing session; disabling auth opens up', async () => {
    const alice = as('alice', 'apw');
    expect(await alice.get('foo/a').string()).toBe('1');
    const root = as('root', 'rootpw');
    await root.user('alice').removeRole('reader');
    await expect(alice.get('foo/a').string()).rejects.toBeInstanceOf(EtcdPermissionDeniedError);
    await root.auth.authDisable();
    expect(await admin.get('secret').string()).toBe('s2');
    await admin.put('secret').value('open');
    expect(await admin.get('secret').string()).toBe('open');
  });
});
