import { InvalidArgumentError } from '../../core/errors.js';
import type {
  Compare,
  CompareResult,
  DeleteRangeRequest,
  DeleteRangeResponse,
  KeyValue,
  PutRequest,
  RangeRequest,
  RangeResponse,
  RequestOp,
  ResponseOp,
  SortOrder,
  SortTarget,
  TxnRequest,
  TxnResponse,
  WatchEvent,
} from '../../kv/types.js';
import { clampInt, nonNegative, safeId } from './int64.js';
import type {
  WireCompare,
  WireDeleteRangeRequest,
  WireKeyValue,
  WirePutRequest,
  WireRangeRequest,
  WireRequestOp,
  WireTxnRequest,
} from './wire.js';

/**
 * Field-by-field mapping between etcd's wire messages and the store's types. Empty bytes
 * mean "absent" for range ends; int64 fields go through `int64.ts`.
 */

/** Lease id standing for an id nines cannot hold (> 2^53): no lease ever has it. */
export const UNREPRESENTABLE_LEASE = Number.MAX_SAFE_INTEGER;

export function leaseIdIn(value: string | number | undefined): number {
  return safeId(value) ?? UNREPRESENTABLE_LEASE;
}

function bytes(b: Uint8Array): Uint8Array {
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

function optEnd(b: Uint8Array): { rangeEnd?: Uint8Array } {
  return b.length === 0 ? {} : { rangeEnd: bytes(b) };
}

const SORT_ORDERS: Record<string, SortOrder> = { NONE: 'none', ASCEND: 'ascend', DESCEND: 'descend' };
const SORT_TARGETS: Record<string, SortTarget> = { KEY: 'key', VERSION: 'version', CREATE: 'create', MOD: 'mod', VALUE: 'value' };

export function rangeIn(r: WireRangeRequest): RangeRequest {
  const sortOrder = SORT_ORDERS[String(r.sort_order)];
  const sortTarget = SORT_TARGETS[String(r.sort_target)];
  if (sortOrder === undefined) throw new InvalidArgumentError(`etcdserver: invalid sort_order ${String(r.sort_order)}`);
  if (sortTarget === undefined) throw new InvalidArgumentError(`etcdserver: invalid sort_target ${String(r.sort_target)}`);
  return {
    key: bytes(r.key),
    ...optEnd(r.range_end),
    limit: nonNegative(r.limit),
    revision: nonNegative(r.revision),
    sortOrder,
    sortTarget,
    keysOnly: r.keys_only,
    countOnly: r.count_only,
    minModRevision: nonNegative(r.min_mod_revision),
    maxModRevision: nonNegative(r.max_mod_revision),
    minCreateRevision: nonNegative(r.min_create_revision),
    maxCreateRevision: nonNegative(r.max_create_revision),
  };
}

export function putIn(r: WirePutRequest): PutRequest {
  return {
    key: bytes(r.key),
    value: bytes(r.value),
    lease: leaseIdIn(r.lease),
    prevKv: r.prev_kv,
    ignoreValue: r.ignore_value,
    ignoreLease: r.ignore_lease,
  };
}

export function deleteIn(r: WireDeleteRangeRequest): DeleteRangeRequest {
  return { key: bytes(r.key), ...optEnd(r.range_end), prevKv: r.prev_kv };
}

const RESULTS: Record<string, CompareResult> = { EQUAL: 'equal', GREATER: 'greater', LESS: 'less', NOT_EQUAL: 'notEqual' };

export function compareIn(c: WireCompare): Compare {
  const result = RESULTS[String(c.result)];
  if (result === undefined) throw new InvalidArgumentError(`etcdserver: invalid compare result ${String(c.result)}`);
  const base = { key: bytes(c.key), ...optEnd(c.range_end), result };
  // etcd reads the operand from the oneof member named by the target (unset = zero).
  switch (c.target) {
    case 'VERSION':
      return { ...base, target: 'version', version: clampInt(c.version) };
    case 'CREATE':
      return { ...base, target: 'create', createRevision: clampInt(c.create_revision) };
    case 'MOD':
      return { ...base, target: 'mod', modRevision: clampInt(c.mod_revision) };
    case 'VALUE':
      return { ...base, target: 'value', value: bytes(c.value ?? Buffer.alloc(0)) };
    case 'LEASE':
      return { ...base, target: 'lease', lease: c.lease === undefined ? 0 : leaseIdIn(c.lease) };
    default:
      throw new InvalidArgumentError(`etcdserver: invalid compare target ${String(c.target)}`);
  }
}

export function requestOpIn(op: WireRequestOp): RequestOp {
  switch (op.request) {
    case 'request_range':
      return { type: 'range', request: rangeIn(op.request_range as WireRangeRequest) };
    case 'request_put':
      return { type: 'put', request: putIn(op.request_put as WirePutRequest) };
    case 'request_delete_range':
      return { type: 'deleteRange', request: deleteIn(op.request_delete_range as WireDeleteRangeRequest) };
    case 'request_txn':
      return { type: 'txn', request: txnIn(op.request_txn as WireTxnRequest) };
    default:
      throw new InvalidArgumentError('etcdserver: a txn operation has no request set');
  }
}

export function txnIn(t: WireTxnRequest): TxnRequest {
  return { compare: t.compare.map(compareIn), success: t.success.map(requestOpIn), failure: t.failure.map(requestOpIn) };
}

// ---------------------------------------------------------------- responses

export function kvOut(kv: KeyValue): WireKeyValue {
  return {
    key: Buffer.from(kv.key),
    create_revision: kv.createRevision,
    mod_revision: kv.modRevision,
    version: kv.version,
    value: Buffer.from(kv.value),
    lease: kv.lease,
  };
}

export function eventOut(e: WatchEvent): Record<string, unknown> {
  return { type: e.type === 'put' ? 'PUT' : 'DELETE', kv: kvOut(e.kv), ...(e.prevKv ? { prev_kv: kvOut(e.prevKv) } : {}) };
}

/** A header-less response body; `header` is added by the caller. */
export function rangeOut(r: RangeResponse): Record<string, unknown> {
  return { kvs: r.kvs.map(kvOut), more: r.more, count: r.count };
}

export function deleteOut(r: DeleteRangeResponse): Record<string, unknown> {
  return { deleted: r.deleted, prev_kvs: r.prevKvs.map(kvOut) };
}

/** Responses inside a txn carry a header with only the revision, as etcd's do. */
export function txnOut(t: TxnResponse): Record<string, unknown> {
  return { succeeded: t.succeeded, responses: t.responses.map(responseOpOut) };
}

function responseOpOut(op: ResponseOp): Record<string, unknown> {
  const header = { revision: op.response.revision };
  switch (op.type) {
    case 'range':
      return { response_range: { header, ...rangeOut(op.response) } };
    case 'put':
      return { response_put: { header, ...(op.response.prevKv ? { prev_kv: kvOut(op.response.prevKv) } : {}) } };
    case 'deleteRange':
      return { response_delete_range: { header, ...deleteOut(op.response) } };
    case 'txn':
      return { response_txn: { header, ...txnOut(op.response) } };
  }
}
