import type * as grpc from '@grpc/grpc-js';
import type { NodeService } from '../../../server/service.js';
import type { AuthCapability } from '../backend.js';
import { EtcdError } from '../errors.js';
import type { CallGuard } from '../handlers.js';
import { safeId } from '../int64.js';
import type { WireRequestOp, WireTxnRequest } from '../wire.js';
import { tokenClaimedUser, userTokenKeyHex, verifyToken } from './tokens.js';

/** The metadata key etcd clients carry their token in. */
export const TOKEN_KEY = 'token';

/** Methods only the root role may call (etcd's admin checks). */
const ADMIN_METHODS = new Set([
  'Defragment',
  'Snapshot',
  'Hash',
  'HashKV',
  'MoveLeader',
  'MemberAdd',
  'MemberRemove',
  'MemberUpdate',
  'MemberPromote',
  'AuthEnable',
  'AuthDisable',
  'AuthStatus',
  'UserAdd',
  'UserList',
  'UserDelete',
  'UserChangePassword',
  'UserGrantRole',
  'UserRevokeRole',
  'RoleAdd',
  'RoleList',
  'RoleDelete',
  'RoleGrantPermission',
  'RoleRevokePermission',
]);

/** Methods open to anyone, authenticated or not (as etcd 3.4); AuthEnable is open only while auth is off. */
const OPEN_METHODS = new Set(['Authenticate', 'Status', 'Alarm', 'MemberList']);

const bin = (b: Uint8Array | undefined): string => (b === undefined ? '' : Buffer.from(b).toString('latin1'));

interface KeyReq {
  key: Uint8Array;
  range_end?: Uint8Array;
  prev_kv?: boolean;
}

/**
 * etcd's auth enforcement as a CallGuard: with auth enabled, a call needs a valid token
 * ("etcdserver: user name is empty" without one, "etcdserver: invalid auth token" for a bad
 * one), admin calls need the root role, and key operations need read/write permission on
 * their whole key range ("etcdserver: permission denied").
 */
export function authGuard(auth: AuthCapability, service: NodeService, nowMs: () => number): CallGuard {
  const state = auth.state;
  const userOf = (metadata: grpc.Metadata): string => {
    const token = metadata.get(TOKEN_KEY)[0];
    if (token === undefined || token === '') throw new EtcdError('userEmpty');
    const claimed = tokenClaimedUser(String(token));
    const record = claimed === undefined ? undefined : state.user(claimed);
    const user = record === undefined ? undefined : verifyToken(userTokenKeyHex(state.secretHex, record.passwordHash), String(token), nowMs());
    if (user === undefined || user !== claimed) throw new EtcdError('invalidAuthToken');
    return user;
  };
  const need = (user: string, kind: 'READ' | 'WRITE', r: KeyReq): void => {
    if (!state.permitted(user, kind, bin(r.key), bin(r.range_end))) throw new EtcdError('permissionDenied');
  };
  const ops = (user: string, list: readonly WireRequestOp[]): void => {
    for (const op of list) {
      if (op.request === 'request_range' && op.request_range) need(user, 'READ', op.request_range);
      else if (op.request === 'request_put' && op.request_put) {
        need(user, 'WRITE', op.request_put);
        if (op.request_put.prev_kv) need(user, 'READ', op.request_put);
      } else if (op.request === 'request_delete_range' && op.request_delete_range) {
        need(user, 'WRITE', op.request_delete_range);
        if (op.request_delete_range.prev_kv) need(user, 'READ', op.request_delete_range);
      } else if (op.request === 'request_txn' && op.request_txn) txn(user, op.request_txn);
    }
  };
  const txn = (user: string, t: WireTxnRequest): void => {
    for (const c of t.compare) need(user, 'READ', c);
    ops(user, t.success);
    ops(user, t.failure);
  };

  return async (call, method, request) => {
    if (!state.enabled || OPEN_METHODS.has(method)) return;
    const user = userOf(call.metadata);
    if (state.isAdmin(user)) return;
    if (ADMIN_METHODS.has(method)) throw new EtcdError('permissionDenied');
    switch (method) {
      case 'Range':
      case 'Watch.create':
        need(user, 'READ', request as KeyReq);
        return;
      case 'Put':
      case 'DeleteRange': {
        const r = request as KeyReq;
        need(user, 'WRITE', r);
        if (r.prev_kv) need(user, 'READ', r);
        return;
      }
      case 'Txn':
        txn(user, request as WireTxnRequest);
        return;
      case 'LeaseRevoke': {
        // Revoking deletes the lease's keys: the caller must be able to write them all.
        const id = safeId((request as { ID: string }).ID);
        if (id === undefined || id === 0) return;
        let keys: readonly Uint8Array[] = [];
        try {
          keys = (await service.leaseTimeToLive(id, true, { serializable: false })).keys;
        } catch {
          return;
        }
        for (const key of keys) need(user, 'WRITE', { key });
        return;
      }
      case 'UserGet':
        if ((request as { name: string }).name !== user) throw new EtcdError('permissionDenied');
        return;
      case 'RoleGet':
        if (!state.user(user)?.roles.includes((request as { role: string }).role)) throw new EtcdError('permissionDenied');
        return;
      default:
        return;
    }
  };
}
