import type * as grpc from '@grpc/grpc-js';
import type { AuthCapability } from '../backend.js';
import { EtcdError } from '../errors.js';
import { type CallGuard, unary } from '../handlers.js';
import type { HeaderSource } from '../header.js';
import { type AuthCommand, type PermType, ROOT } from './state.js';
import { checkPassword, hashPassword, issueToken, newSecretHex, userTokenKeyHex } from './tokens.js';

type Res = Record<string, unknown>;

const bin = (b: Uint8Array): string => Buffer.from(b).toString('latin1');
const PERM_TYPES: readonly PermType[] = ['READ', 'WRITE', 'READWRITE'];

/** etcd's Auth service over an AuthCapability (or "not capable" without one). */
export function authHandlers(auth: AuthCapability | undefined, headers: HeaderSource, guard: CallGuard, nowMs: () => number): grpc.UntypedServiceImplementation {
  const cap = (): AuthCapability => {
    if (auth === undefined) throw new EtcdError('notCapable');
    return auth;
  };
  const h = (): Res => ({ ...headers.header(headers.currentRevision()) });
  const propose = async (cmd: AuthCommand): Promise<Res> => {
    await cap().propose(cmd);
    return { header: h() };
  };
  return {
    AuthEnable: unary<Record<string, never>, Res>('AuthEnable', guard, async () => {
      if (cap().state.enabled) return { header: h() };
      return propose({ type: 'authEnable', secretHex: cap().state.secretHex || newSecretHex() });
    }),
    AuthDisable: unary<Record<string, never>, Res>('AuthDisable', guard, async () => propose({ type: 'authDisable' })),
    // An admin method, as in etcd 3.5 (needAdminPermission): open while auth is off, root only while on.
    AuthStatus: unary<Record<string, never>, Res>('AuthStatus', guard, async () => {
      const state = cap().state;
      return { header: h(), enabled: state.enabled, authRevision: String(state.revision) };
    }),
    Authenticate: unary<{ name: string; password: string }, Res>('Authenticate', guard, async (r) => {
      const state = cap().state;
      if (!state.enabled) throw new EtcdError('authNotEnabled');
      const user = state.user(r.name);
      if (user === undefined || !checkPassword(r.password, user.passwordHash)) throw new EtcdError('authFailed');
      return { header: h(), token: issueToken(userTokenKeyHex(state.secretHex, user.passwordHash), r.name, nowMs()) };
    }),
    UserAdd: unary<{ name: string; password: string; options?: { no_password?: boolean } | null }, Res>('UserAdd', guard, async (r) => {
      const noPassword = r.options?.no_password === true;
      return propose({ type: 'userAdd', name: r.name, passwordHash: noPassword ? null : hashPassword(r.password) });
    }),
    UserGet: unary<{ name: string }, Res>('UserGet', guard, async (r) => {
      const u = cap().state.user(r.name);
      if (r.name === '') throw new EtcdError('userEmpty');
      if (u === undefined) throw new EtcdError('userNotFound');
      return { header: h(), roles: [...u.roles] };
    }),
    UserList: unary<Record<string, never>, Res>('UserList', guard, async () => ({ header: h(), users: cap().state.userNames() })),
    UserDelete: unary<{ name: string }, Res>('UserDelete', guard, async (r) => propose({ type: 'userDelete', name: r.name })),
    UserChangePassword: unary<{ name: string; password: string }, Res>('UserChangePassword', guard, async (r) =>
      propose({ type: 'userChangePassword', name: r.name, passwordHash: hashPassword(r.password) }),
    ),
    UserGrantRole: unary<{ user: string; role: string }, Res>('UserGrantRole', guard, async (r) => propose({ type: 'userGrantRole', user: r.user, role: r.role })),
    UserRevokeRole: unary<{ name: string; role: string }, Res>('UserRevokeRole', guard, async (r) => propose({ type: 'userRevokeRole', name: r.name, role: r.role })),
    RoleAdd: unary<{ name: string }, Res>('RoleAdd', guard, async (r) => propose({ type: 'roleAdd', name: r.name })),
    RoleGet: unary<{ role: string }, Res>('RoleGet', guard, async (r) => {
      if (r.role === '') throw new EtcdError('roleEmpty');
      const role = cap().state.role(r.role);
      if (role === undefined) {
        // The root role exists implicitly (as in etcd) with every permission.
        if (r.role === ROOT) return { header: h(), perm: [] };
        throw new EtcdError('roleNotFound');
      }
      const perm = role.permissions.map((p) => ({ permType: p.permType, key: Buffer.from(p.key, 'latin1'), range_end: Buffer.from(p.rangeEnd, 'latin1') }));
      return { header: h(), perm };
    }),
    RoleList: unary<Record<string, never>, Res>('RoleList', guard, async () => ({ header: h(), roles: cap().state.roleNames() })),
    RoleDelete: unary<{ role: string }, Res>('RoleDelete', guard, async (r) => propose({ type: 'roleDelete', name: r.role })),
    RoleGrantPermission: unary<{ name: string; perm: { permType: string; key: Buffer; range_end: Buffer } | null }, Res>(
      'RoleGrantPermission',
      guard,
      async (r) => {
        const p = r.perm;
        const permType = PERM_TYPES.find((t) => t === p?.permType);
        if (p === null || permType === undefined) throw new EtcdError('invalidAuthMgmt');
        return propose({ type: 'roleGrantPermission', name: r.name, permission: { permType, key: bin(p.key), rangeEnd: bin(p.range_end) } });
      },
    ),
    RoleRevokePermission: unary<{ role: string; key: Buffer; range_end: Buffer }, Res>('RoleRevokePermission', guard, async (r) =>
      propose({ type: 'roleRevokePermission', role: r.role, key: bin(r.key), rangeEnd: bin(r.range_end) }),
    ),
  };
}
