import type { Revision } from '../core/ids.js';

/**
 * Requests, responses and events of the MVCC store, shaped after etcd's `etcdserverpb` and
 * `mvccpb` messages so the HTTP and gRPC edges map them field by field. Keys and values are
 * bytes. Revisions in requests are plain numbers (validated); in responses `Revision`.
 */

/** One version of one key (etcd's `mvccpb.KeyValue`). */
export interface KeyValue {
  readonly key: Uint8Array;
  readonly value: Uint8Array;
  /** Revision of the put that created this generation of the key. */
  readonly createRevision: Revision;
  /** Revision of the last change to the key. */
  readonly modRevision: Revision;
  /** Puts since creation: 1 at creation, reset by delete. 0 only in delete events. */
  readonly version: number;
  /** Attached lease id, 0 for none. */
  readonly lease: number;
}

export type SortOrder = 'none' | 'ascend' | 'descend';
export type SortTarget = 'key' | 'version' | 'create' | 'mod' | 'value';

export interface RangeRequest {
  readonly key: Uint8Array;
  /** Empty/absent: only `key`; "\0": every key ≥ key; else [key, rangeEnd). */
  readonly rangeEnd?: Uint8Array;
  /** Most keys returned; 0 = no limit. */
  readonly limit?: number;
  /** Read at this revision; 0 = current. */
  readonly revision?: number;
  readonly sortOrder?: SortOrder;
  readonly sortTarget?: SortTarget;
  readonly keysOnly?: boolean;
  readonly countOnly?: boolean;
  /** 0 = no filter; keys with a lower / higher revision are left out. */
  readonly minModRevision?: number;
  readonly maxModRevision?: number;
  readonly minCreateRevision?: number;
  readonly maxCreateRevision?: number;
}

export interface RangeResponse {
  readonly kvs: readonly KeyValue[];
  /** More keys matched than `limit` returned. */
  readonly more: boolean;
  /** Keys in the range at the read revision (before min/max filters and limit). */
  readonly count: number;
  /** The store's current revision (header revision). */
  readonly revision: Revision;
}

export interface PutRequest {
  readonly key: Uint8Array;
  readonly value?: Uint8Array;
  /** Lease to attach; 0/absent = none. */
  readonly lease?: number;
  readonly prevKv?: boolean;
  /** Keep the current value (the key must exist; `value` must be empty). */
  readonly ignoreValue?: boolean;
  /** Keep the current lease (the key must exist; `lease` must be 0). */
  readonly ignoreLease?: boolean;
}

export interface PutResponse {
  readonly revision: Revision;
  readonly prevKv?: KeyValue;
}

export interface DeleteRangeRequest {
  readonly key: Uint8Array;
  readonly rangeEnd?: Uint8Array;
  readonly prevKv?: boolean;
}

export interface DeleteRangeResponse {
  readonly revision: Revision;
  readonly deleted: number;
  readonly prevKvs: readonly KeyValue[];
}

export type CompareTarget = 'version' | 'create' | 'mod' | 'value' | 'lease';
export type CompareResult = 'equal' | 'notEqual' | 'greater' | 'less';

/** A txn guard: `target(key) <result> operand`, for every key of the range if `rangeEnd`. */
export type Compare = {
  readonly key: Uint8Array;
  readonly rangeEnd?: Uint8Array;
  readonly result: CompareResult;
} & (
  | { readonly target: 'version'; readonly version: number }
  | { readonly target: 'create'; readonly createRevision: number }
  | { readonly target: 'mod'; readonly modRevision: number }
  | { readonly target: 'value'; readonly value: Uint8Array }
  | { readonly target: 'lease'; readonly lease: number }
);

export type RequestOp =
  | { readonly type: 'range'; readonly request: RangeRequest }
  | { readonly type: 'put'; readonly request: PutRequest }
  | { readonly type: 'deleteRange'; readonly request: DeleteRangeRequest }
  | { readonly type: 'txn'; readonly request: TxnRequest };

export type ResponseOp =
  | { readonly type: 'range'; readonly response: RangeResponse }
  | { readonly type: 'put'; readonly response: PutResponse }
  | { readonly type: 'deleteRange'; readonly response: DeleteRangeResponse }
  | { readonly type: 'txn'; readonly response: TxnResponse };

export interface TxnRequest {
  readonly compare?: readonly Compare[];
  readonly success?: readonly RequestOp[];
  readonly failure?: readonly RequestOp[];
}

export interface TxnResponse {
  readonly revision: Revision;
  readonly succeeded: boolean;
  readonly responses: readonly ResponseOp[];
}

export interface CompactResponse {
  readonly revision: Revision;
}

export interface LeaseGrantResponse {
  readonly revision: Revision;
  readonly id: number;
  /** Granted TTL in seconds (after raising to the minimum). */
  readonly ttlSec: number;
}

export interface LeaseRevokeResponse {
  readonly revision: Revision;
  /** Keys deleted with the lease. */
  readonly deleted: number;
}

export interface LeaseKeepAliveResponse {
  readonly revision: Revision;
  readonly id: number;
  /** New remaining TTL, in seconds. */
  readonly ttlSec: number;
}

export interface LeaseCheckpointResponse {
  readonly revision: Revision;
  /** Ids checkpointed (unknown ids are skipped). */
  readonly ids: readonly number[];
}

export interface LeaseExpireResponse {
  readonly revision: Revision;
  /** Leases actually expired: still present and past their expiry at the command's time. */
  readonly expired: readonly number[];
  /** Keys deleted with them, all at `revision`. */
  readonly deleted: number;
}

export interface LeaseTimeToLiveResponse {
  readonly revision: Revision;
  readonly id: number;
  /** Remaining seconds (rounded up), ≥ 0. */
  readonly ttlSec: number;
  readonly grantedTtlSec: number;
  /** Attached keys in key order (only when asked for). */
  readonly keys: readonly Uint8Array[];
}

/** A change seen by a watcher (etcd's `mvccpb.Event`). */
export interface WatchEvent {
  readonly type: 'put' | 'delete';
  /** For a delete: the key, `modRevision` = the delete's revision, other fields zero. */
  readonly kv: KeyValue;
  /** The key's previous version, when the watcher asked for it and there was one. */
  readonly prevKv?: KeyValue;
}
