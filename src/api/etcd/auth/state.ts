import { EtcdError } from '../errors.js';

/**
 * etcd's auth state (users, roles, key-range permissions, enabled flag) as a deterministic
 * state machine: every member applies the same `AuthCommand`s in the same order and gets
 * the same state. Commands carry everything random or slow (password hashes, the token
 * secret), computed once at the edge before proposing, so `apply` is pure.
 */

export type PermType = 'READ' | 'WRITE' | 'READWRITE';

export interface Permission {
  readonly permType: PermType;
  /** Binary strings (one char per byte); rangeEnd "" = the single key, "\0" = every key ≥ key. */
  readonly key: string;
  readonly rangeEnd: string;
}

export interface User {
  readonly name: string;
  /** "scrypt$<salt hex>$<hash hex>", or null for a user without password (certificate only). */
  readonly passwordHash: string | null;
  readonly roles: readonly string[];
}

export interface Role {
  readonly name: string;
  readonly permissions: readonly Permission[];
}

export type AuthCommand =
  | { readonly type: 'authEnable'; readonly secretHex: string }
  | { readonly type: 'authDisable' }
  | { readonly type: 'userAdd'; readonly name: string; readonly passwordHash: string | null }
  | { readonly type: 'userDelete'; readonly name: string }
  | { readonly type: 'userChangePassword'; readonly name: string; readonly passwordHash: string | null }
  | { readonly type: 'userGrantRole'; readonly user: string; readonly role: string }
  | { readonly type: 'userRevokeRole'; readonly name: string; readonly role: string }
  | { readonly type: 'roleAdd'; readonly name: string }
  | { readonly type: 'roleDelete'; readonly name: string }
  | { readonly type: 'roleGrantPermission'; readonly name: string; readonly permission: Permission }
  | { readonly type: 'roleRevokePermission'; readonly role: string; readonly key: string; readonly rangeEnd: string };

export const ROOT = 'root';

/** `AuthState.toJSON()`: what a snapshot carries. */
export interface AuthSnapshot {
  readonly enabled: boolean;
  readonly secretHex: string;
  readonly revision: number;
  readonly users: readonly User[];
  readonly roles: readonly Role[];
}

export const AuthLimits = {
  usersMax: 10_000,
  rolesMax: 10_000,
  permissionsPerRoleMax: 1000,
  nameBytesMax: 256,
} as const;

export class AuthState {
  #enabled = false;
  #secretHex = '';
  /** Raised by every applied command (etcd's auth revision). */
  #revision = 0;
  readonly #users = new Map<string, User>();
  readonly #roles = new Map<string, Role>();

  get enabled(): boolean {
    return this.#enabled;
  }
  get revision(): number {
    return this.#revision;
  }
  /** The replicated token-signing secret (set by the first enable). */
  get secretHex(): string {
    return this.#secretHex;
  }
  user(name: string): User | undefined {
    return this.#users.get(name);
  }
  role(name: string): Role | undefined {
    return this.#roles.get(name);
  }
  userNames(): string[] {
    return [...this.#users.keys()].sort();
  }
  roleNames(): string[] {
    return [...this.#roles.keys()].sort();
  }

  /** Applies one command; throws EtcdError (state unchanged) when etcd would refuse it. */
  apply(cmd: AuthCommand): void {
    this.#check(cmd);
    this.#revision++;
    switch (cmd.type) {
      case 'authEnable':
        if (this.#secretHex === '') this.#secretHex = cmd.secretHex;
        this.#enabled = true;
        return;
      case 'authDisable':
        this.#enabled = false;
        return;
      case 'userAdd':
        this.#users.set(cmd.name, { name: cmd.name, passwordHash: cmd.passwordHash, roles: [] });
        return;
      case 'userDelete':
        this.#users.delete(cmd.name);
        return;
      case 'userChangePassword': {
        const u = this.#users.get(cmd.name) as User;
        this.#users.set(cmd.name, { ...u, passwordHash: cmd.passwordHash });
        return;
      }
      case 'userGrantRole': {
        const u = this.#users.get(cmd.user) as User;
        if (!u.roles.includes(cmd.role)) this.#users.set(cmd.user, { ...u, roles: [...u.roles, cmd.role].sort() });
        return;
      }
      case 'userRevokeRole': {
        const u = this.#users.get(cmd.name) as User;
        this.#users.set(cmd.name, { ...u, roles: u.roles.filter((r) => r !== cmd.role) });
        return;
      }
      case 'roleAdd':
        this.#roles.set(cmd.name, { name: cmd.name, permissions: [] });
        return;
      case 'roleDelete':
        this.#roles.delete(cmd.name);
        for (const u of this.#users.values()) {
          if (u.roles.includes(cmd.name)) this.#users.set(u.name, { ...u, roles: u.roles.filter((r) => r !== cmd.name) });
        }
        return;
      case 'roleGrantPermission': {
        const r = this.#roles.get(cmd.name) as Role;
        const p = cmd.permission;
        const others = r.permissions.filter((q) => !(q.key === p.key && q.rangeEnd === p.rangeEnd));
        const permissions = [...others, p].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : a.rangeEnd < b.rangeEnd ? -1 : 1));
        this.#roles.set(cmd.name, { ...r, permissions });
        return;
      }
      case 'roleRevokePermission': {
        const r = this.#roles.get(cmd.role) as Role;
        this.#roles.set(cmd.role, { ...r, permissions: r.permissions.filter((q) => !(q.key === cmd.key && q.rangeEnd === cmd.rangeEnd)) });
        return;
      }
    }
  }

  #check(cmd: AuthCommand): void {
    const needUser = (name: string): User => {
      if (name === '') throw new EtcdError('userEmpty');
      const u = this.#users.get(name);
      if (u === undefined) throw new EtcdError('userNotFound');
      return u;
    };
    const needRole = (name: string): Role => {
      if (name === '') throw new EtcdError('roleEmpty');
      const r = this.#roles.get(name);
      if (r === undefined) throw new EtcdError('roleNotFound');
      return r;
    };
    switch (cmd.type) {
      case 'authEnable': {
        const root = this.#users.get(ROOT);
        if (root === undefined) throw new EtcdError('rootUserNotExist');
        if (!root.roles.includes(ROOT)) throw new EtcdError('rootRoleNotExist');
        return;
      }
      case 'authDisable':
        return;
      case 'userAdd':
        if (cmd.name === '') throw new EtcdError('userEmpty');
        if (this.#users.has(cmd.name)) throw new EtcdError('userAlreadyExist');
        if (this.#users.size >= AuthLimits.usersMax || cmd.name.length > AuthLimits.nameBytesMax) throw new EtcdError('invalidAuthMgmt');
        return;
      case 'userDelete':
        needUser(cmd.name);
        if (this.#enabled && cmd.name === ROOT) throw new EtcdError('invalidAuthMgmt');
        return;
      case 'userChangePassword':
        needUser(cmd.name);
        return;
      case 'userGrantRole':
        needUser(cmd.user);
        if (cmd.role !== ROOT) needRole(cmd.role);
        return;
      case 'userRevokeRole': {
        const u = needUser(cmd.name);
        if (this.#enabled && cmd.name === ROOT && cmd.role === ROOT) throw new EtcdError('invalidAuthMgmt');
        if (!u.roles.includes(cmd.role)) throw new EtcdError('roleNotGranted');
        return;
      }
      case 'roleAdd':
        if (cmd.name === '') throw new EtcdError('roleEmpty');
        if (this.#roles.has(cmd.name)) throw new EtcdError('roleAlreadyExist');
        if (this.#roles.size >= AuthLimits.rolesMax || cmd.name.length > AuthLimits.nameBytesMax) throw new EtcdError('invalidAuthMgmt');
        return;
      case 'roleDelete':
        if (this.#enabled && cmd.name === ROOT) throw new EtcdError('invalidAuthMgmt');
        needRole(cmd.name);
        return;
      case 'roleGrantPermission':
        if (needRole(cmd.name).permissions.length >= AuthLimits.permissionsPerRoleMax) throw new EtcdError('invalidAuthMgmt');
        return;
      case 'roleRevokePermission': {
        const r = needRole(cmd.role);
        if (!r.permissions.some((q) => q.key === cmd.key && q.rangeEnd === cmd.rangeEnd)) throw new EtcdError('permissionNotGranted');
        return;
      }
    }
  }

  /** The whole state, JSON-safe (for snapshots of a replicated node). */
  toJSON(): AuthSnapshot {
    return {
      enabled: this.#enabled,
      secretHex: this.#secretHex,
      revision: this.#revision,
      users: [...this.#users.values()],
      roles: [...this.#roles.values()],
    };
  }

  /**
   * Replace the state in place with `snapshot` (from `toJSON`), or empty it when undefined
   * (a snapshot taken before auth was replicated). Throws TypeError on a malformed one.
   */
  load(snapshot: unknown): void {
    const s = snapshot as Partial<AuthSnapshot> | undefined | null;
    if (s !== undefined && s !== null) {
      const ok =
        typeof s.enabled === 'boolean' &&
        typeof s.secretHex === 'string' &&
        typeof s.revision === 'number' &&
        Array.isArray(s.users) &&
        Array.isArray(s.roles);
      if (!ok) throw new TypeError('malformed auth snapshot');
    }
    this.#users.clear();
    this.#roles.clear();
    this.#enabled = s?.enabled ?? false;
    this.#secretHex = s?.secretHex ?? '';
    this.#revision = s?.revision ?? 0;
    for (const u of s?.users ?? []) this.#users.set(u.name, { name: u.name, passwordHash: u.passwordHash, roles: [...u.roles] });
    for (const r of s?.roles ?? []) this.#roles.set(r.name, { name: r.name, permissions: r.permissions.map((p) => ({ ...p })) });
  }

  /** The user has the root role: every key and every admin operation. */
  isAdmin(user: string): boolean {
    return this.#users.get(user)?.roles.includes(ROOT) === true;
  }

  /**
   * Whether `user` may read or write every key of [key, rangeEnd) (etcd's conventions):
   * the union of the user's matching permission ranges must cover the requested range.
   */
  permitted(user: string, kind: 'READ' | 'WRITE', key: string, rangeEnd: string): boolean {
    const u = this.#users.get(user);
    if (u === undefined) return false;
    if (u.roles.includes(ROOT)) return true;
    const ranges: { start: string; end: string | null }[] = [];
    for (const roleName of u.roles) {
      for (const p of this.#roles.get(roleName)?.permissions ?? []) {
        if (p.permType !== 'READWRITE' && p.permType !== kind) continue;
        ranges.push(toRange(p.key, p.rangeEnd));
      }
    }
    return covers(ranges, toRange(key, rangeEnd));
  }
}

/** [start, end) with end null = unbounded; a single key k is [k, k+"\0"). */
function toRange(key: string, rangeEnd: string): { start: string; end: string | null } {
  if (rangeEnd === '') return { start: key, end: `${key}\0` };
  if (rangeEnd === '\0') return { start: key, end: null };
  return { start: key, end: rangeEnd };
}

function covers(ranges: { start: string; end: string | null }[], want: { start: string; end: string | null }): boolean {
  if (want.end !== null && want.end <= want.start) return true;
  const sorted = [...ranges].sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
  let reached = want.start;
  for (const r of sorted) {
    if (r.start > reached) break;
    if (r.end === null) return true;
    if (r.end > reached) reached = r.end;
    if (want.end !== null && reached >= want.end) return true;
  }
  return want.end !== null && reached >= want.end;
}
