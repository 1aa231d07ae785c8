/**
 * Messages as `@grpc/proto-loader` decodes them with `PROTO_OPTIONS`: snake_case names,
 * int64/uint64 as decimal strings, enums as names, bytes as Buffers, defaults filled in,
 * and for each oneof the name of the member that is set. Only fields nines reads are typed.
 * Outgoing messages may also carry numbers where these carry strings.
 */

export type Int64 = string;

export interface WireKeyValue {
  key: Uint8Array;
  create_revision: Int64 | number;
  mod_revision: Int64 | number;
  version: Int64 | number;
  value: Uint8Array;
  lease: Int64 | number;
}

export interface WireRangeRequest {
  key: Buffer;
  range_end: Buffer;
  limit: Int64;
  revision: Int64;
  sort_order: 'NONE' | 'ASCEND' | 'DESCEND' | number;
  sort_target: 'KEY' | 'VERSION' | 'CREATE' | 'MOD' | 'VALUE' | number;
  serializable: boolean;
  keys_only: boolean;
  count_only: boolean;
  min_mod_revision: Int64;
  max_mod_revision: Int64;
  min_create_revision: Int64;
  max_create_revision: Int64;
}

export interface WirePutRequest {
  key: Buffer;
  value: Buffer;
  lease: Int64;
  prev_kv: boolean;
  ignore_value: boolean;
  ignore_lease: boolean;
}

export interface WireDeleteRangeRequest {
  key: Buffer;
  range_end: Buffer;
  prev_kv: boolean;
}

export interface WireRequestOp {
  request?: 'request_range' | 'request_put' | 'request_delete_range' | 'request_txn';
  request_range?: WireRangeRequest | null;
  request_put?: WirePutRequest | null;
  request_delete_range?: WireDeleteRangeRequest | null;
  request_txn?: WireTxnRequest | null;
}

export interface WireCompare {
  result: 'EQUAL' | 'GREATER' | 'LESS' | 'NOT_EQUAL' | number;
  target: 'VERSION' | 'CREATE' | 'MOD' | 'VALUE' | 'LEASE' | number;
  key: Buffer;
  target_union?: 'version' | 'create_revision' | 'mod_revision' | 'value' | 'lease';
  version?: Int64;
  create_revision?: Int64;
  mod_revision?: Int64;
  value?: Buffer;
  lease?: Int64;
  range_end: Buffer;
}

export interface WireTxnRequest {
  compare: WireCompare[];
  success: WireRequestOp[];
  failure: WireRequestOp[];
}

export interface WireCompactionRequest {
  revision: Int64;
  physical: boolean;
}

export interface WireWatchCreateRequest {
  key: Buffer;
  range_end: Buffer;
  start_revision: Int64;
  progress_notify: boolean;
  filters: ('NOPUT' | 'NODELETE' | number)[];
  prev_kv: boolean;
  watch_id: Int64;
  fragment: boolean;
}

export interface WireWatchRequest {
  request_union?: 'create_request' | 'cancel_request' | 'progress_request';
  create_request?: WireWatchCreateRequest | null;
  cancel_request?: { watch_id: Int64 } | null;
  progress_request?: Record<string, never> | null;
}

export interface WireHeader {
  cluster_id: string;
  member_id: string;
  revision: string;
  raft_term: string;
}
