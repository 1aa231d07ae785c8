import type { LogIndex } from '../core/ids.js';
import type { NinesError } from '../core/errors.js';
import type {
  CompactResponse,
  DeleteRangeRequest,
  DeleteRangeResponse,
  LeaseCheckpointResponse,
  LeaseExpireResponse,
  LeaseGrantResponse,
  LeaseKeepAliveResponse,
  LeaseRevokeResponse,
  PutRequest,
  PutResponse,
  TxnRequest,
  TxnResponse,
} from './types.js';

/**
 * The commands that change the store: plain data, carried in raft entries (see `codec.ts`).
 * Every replica applies the same commands in the same order with the same leader-proposed
 * time, so every replica reaches the same state.
 */
export type KvCommand =
  | { readonly type: 'put'; readonly request: PutRequest }
  | { readonly type: 'deleteRange'; readonly request: DeleteRangeRequest }
  | { readonly type: 'txn'; readonly request: TxnRequest }
  /** Drop history below `revision` (must be > compacted revision and ≤ current). */
  | { readonly type: 'compact'; readonly revision: number }
  /** `id` 0: the store picks the next free id deterministically. */
  | { readonly type: 'leaseGrant'; readonly id: number; readonly ttlSec: number }
  | { readonly type: 'leaseRevoke'; readonly id: number }
  /** Refresh: the lease expires `ttl` after the command's time. */
  | { readonly type: 'leaseKeepAlive'; readonly id: number }
  /** Record remaining TTLs (etcd's lease checkpoint) so they survive a leader change. */
  | {
      readonly type: 'leaseCheckpoint';
      readonly checkpoints: readonly { readonly id: number; readonly remainingTtlSec: number }[];
    }
  /**
   * Proposed by the leader for the ids `expiredLeases(now)` gave it. Applied, each lease
   * still past its expiry at the command's time is revoked; all their keys go in one revision.
   */
  | { readonly type: 'leaseExpire'; readonly ids: readonly number[] };

export type KvCommandType = KvCommand['type'];

/** What applying a command produced. A rejected command changed nothing but the applied index. */
export type KvResult =
  | { readonly type: 'put'; readonly response: PutResponse }
  | { readonly type: 'deleteRange'; readonly response: DeleteRangeResponse }
  | { readonly type: 'txn'; readonly response: TxnResponse }
  | { readonly type: 'compact'; readonly response: CompactResponse }
  | { readonly type: 'leaseGrant'; readonly response: LeaseGrantResponse }
  | { readonly type: 'leaseRevoke'; readonly response: LeaseRevokeResponse }
  | { readonly type: 'leaseKeepAlive'; readonly response: LeaseKeepAliveResponse }
  | { readonly type: 'leaseCheckpoint'; readonly response: LeaseCheckpointResponse }
  | { readonly type: 'leaseExpire'; readonly response: LeaseExpireResponse }
  /** The command was refused (bad input, compacted revision, unknown lease …). */
  | { readonly type: 'error'; readonly error: NinesError }
  /** The entry's index was already applied (≤ consistent index): nothing done. */
  | { readonly type: 'skipped' };

/** Where a command sits in the log and the time the leader proposed with it. */
export interface ApplyContext {
  /** Raft index of the entry carrying the command. */
  readonly index: LogIndex;
  /** Leader-proposed wall time, in ms, carried in the entry. Never a local clock. */
  readonly nowMs: number;
}
