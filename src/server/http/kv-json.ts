import { InvalidArgumentError } from '../../core/errors.js';
import { Limits } from '../../core/limits.js';
import { fromUtf8, prefixEnd, RANGE_END_ALL } from '../../kv/bytes.js';
import type {
  Compare,
  CompareResult,
  DeleteRangeRequest,
  DeleteRangeResponse,
  KeyValue,
  PutRequest,
  PutResponse,
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
import { ServerLimits } from '../limits.js';
import { JsonFields } from './fields.js';

/**
 * JSON ⇄ kv request/response mapping of the HTTP API (docs/http-api.md). Keys and values
 * are UTF-8 strings in JSON; revisions and lease ids are integers (lease ids may also be
 * decimal strings).
 */

const KEY_OPTS = { bytesMax: Limits.keyBytesMax, limitName: 'keyBytesMax' } as const;
const VALUE_OPTS = { bytesMax: ServerLimits.valueBytesMax, limitName: 'valueBytesMax' } as const;
const REVISION_MAX = Number.MAX_SAFE_INTEGER;

export interface KeyValueJson {
  key: string;
  value?: string;
  createRevision: number;
  modRevision: number;
  version: number;
  lease: number;
}

export function keyValueJson(kv: KeyValue): KeyValueJson {
  return {
    key: fromUtf8(kv.key),
    value: fromUtf8(kv.value),
    createRevision: kv.createRevision,
    modRevision: kv.modRevision,
    version: kv.version,
    lease: kv.lease,
  };
}

/** `rangeEnd` from explicit `rangeEnd`, `prefix: true` or `fromKey: true` (at most one). */
function rangeEndOf(f: JsonFields, key: Uint8Array): Uint8Array | undefined {
  const explicit = f.bytes('rangeEnd', { required: false, ...KEY_OPTS });
  const prefix = f.bool('prefix') === true;
  const fromKey = f.bool('fromKey') === true;
  if (Number(explicit !== undefined) + Number(prefix) + Number(fromKey) > 1) {
    throw new InvalidArgumentError(`${f.path('rangeEnd')}, prefix and fromKey are exclusive: give at most one`);
  }
  if (prefix) return prefixEnd(key);
  if (fromKey) return RANGE_END_ALL;
  return explicit;
}

function revisionField(f: JsonFields, field: string): number | undefined {
  return f.int(field, { min: 0, max: REVISION_MAX });
}

const SORT_ORDERS: readonly SortOrder[] = ['none', 'ascend', 'descend'];
const SORT_TARGETS: readonly SortTarget[] = ['key', 'version', 'create', 'mod', 'value'];

/** A range request body; `serializable` is read by the caller (it is not part of the kv request). */
export function parseRangeRequest(f: JsonFields): RangeRequest {
  const key = f.bytes('key', { required: true, ...KEY_OPTS })!;
  const rangeEnd = rangeEndOf(f, key);
  const out: { -readonly [K in keyof RangeRequest]: RangeRequest[K] } = { key };
  if (rangeEnd !== undefined) out.rangeEnd = rangeEnd;
  const limit = f.int('limit', { min: 0, max: ServerLimits.rangeKeysMax });
  if (limit !== undefined) out.limit = limit;
  const rev = revisionField(f, 'revision');
  if (rev !== undefined) out.revision = rev;
  const sortOrder = f.choice('sortOrder', SORT_ORDERS);
  if (sortOrder !== undefined) out.sortOrder = sortOrder;
  const sortTarget = f.choice('sortTarget', SORT_TARGETS);
  if (sortTarget !== undefined) out.sortTarget = sortTarget;
  const keysOnly = f.bool('keysOnly');
  if (keysOnly !== undefined) out.keysOnly = keysOnly;
  const countOnly = f.bool('countOnly');
  if (countOnly !== undefined) out.countOnly = countOnly;
  for (const field of ['minModRevision', 'maxModRevision', 'minCreateRevision', 'maxCreateRevision'] as const) {
    const v = revisionField(f, field);
    if (v !== undefined) out[field] = v;
  }
  return out;
}

/** A put: the key comes from the URL (or the op's `key` field in a txn). */
export function parsePutRequest(f: JsonFields, key: Uint8Array): PutRequest {
  const ignoreValue = f.bool('ignoreValue') === true;
  const value = f.bytes('value', { required: !ignoreValue, ...VALUE_OPTS });
  const out: { -readonly [K in keyof PutRequest]: PutRequest[K] } = { key };
  if (value !== undefined) out.value = value;
  if (ignoreValue) out.ignoreValue = true;
  const lease = f.int('lease', { min: 0 });
  if (lease !== undefined) out.lease = lease;
  if (f.bool('ignoreLease') === true) out.ignoreLease = true;
  if (f.bool('prevKv') === true) out.prevKv = true;
  return out;
}

export function parseDeleteRequest(f: JsonFields, key: Uint8Array): DeleteRangeRequest {
  const rangeEnd = rangeEndOf(f, key);
  const out: { -readonly [K in keyof DeleteRangeRequest]: DeleteRangeRequest[K] } = { key };
  if (rangeEnd !== undefined) out.rangeEnd = rangeEnd;
  if (f.bool('prevKv') === true) out.prevKv = true;
  return out;
}

const RESULTS: Record<string, CompareResult> = {
  '=': 'equal',
  '==': 'equal',
  equal: 'equal',
  '!=': 'notEqual',
  notEqual: 'notEqual',
  '>': 'greater',
  greater: 'greater',
  '<': 'less',
  less: 'less',
};

function parseCompare(f: JsonFields): Compare {
  const key = f.bytes('key', { required: true, ...KEY_OPTS })!;
  const rangeEnd = rangeEndOf(f, key);
  const resultText = f.choice('result', Object.keys(RESULTS));
  if (resultText === undefined) throw new InvalidArgumentError(`${f.path('result')} is required (=, !=, <, >)`);
  const result = RESULTS[resultText]!;
  const target = f.choice('target', ['version', 'create', 'mod', 'value', 'lease'] as const);
  const base = rangeEnd === undefined ? { key, result } : { key, rangeEnd, result };
  const need = (n: number | undefined, field: string): number => {
    if (n === undefined) throw new InvalidArgumentError(`${f.path(field)} is required for target "${target}"`);
    return n;
  };
  switch (target) {
    case 'version':
      return { ...base, target, version: need(f.int('version', { min: 0 }), 'version') };
    case 'create':
      return { ...base, target, createRevision: need(revisionField(f, 'createRevision'), 'createRevision') };
    case 'mod':
      return { ...base, target, modRevision: need(revisionField(f, 'modRevision'), 'modRevision') };
    case 'value':
      return { ...base, target, value: f.bytes('value', { required: true, ...VALUE_OPTS })! };
    case 'lease':
      return { ...base, target, lease: need(f.int('lease', { min: 0 }), 'lease') };
    case undefined:
      throw new InvalidArgumentError(`${f.path('target')} is required (version, create, mod, value, lease)`);
  }
}

function parseOp(value: unknown, path: string, depth: number): RequestOp {
  const f = new JsonFields(value, path);
  const present = ['put', 'delete', 'range', 'txn'].filter((k) => f.has(k));
  if (present.length !== 1) {
    throw new InvalidArgumentError(`${path} must have exactly one of "put", "delete", "range", "txn"`);
  }
  let op: RequestOp;
  switch (present[0]) {
    case 'put': {
      const p = f.object('put')!;
      op = { type: 'put', request: parsePutRequest(p, p.bytes('key', { required: true, ...KEY_OPTS })!) };
      p.done();
      break;
    }
    case 'delete': {
      const d = f.object('delete')!;
      op = { type: 'deleteRange', request: parseDeleteRequest(d, d.bytes('key', { required: true, ...KEY_OPTS })!) };
      d.done();
      break;
    }
    case 'range': {
      const r = f.object('range')!;
      op = { type: 'range', request: parseRangeRequest(r) };
      r.done();
      break;
    }
    default: {
      if (depth >= ServerLimits.txnDepthMax) throw new InvalidArgumentError(`${path}: transactions nested too deep`);
      const t = f.object('txn')!;
      op = { type: 'txn', request: parseTxnRequest(t, depth + 1) };
      break;
    }
  }
  f.done();
  return op;
}

/** A transaction body: `{compare: [...], success: [...], failure: [...]}`. */
export function parseTxnRequest(f: JsonFields, depth = 0): TxnRequest {
  const compare = (f.array('compare', ServerLimits.txnOpsMax, 'txnOpsMax') ?? []).map((c, i) =>
    parseCompare(new JsonFields(c, f.path(`compare[${i}]`))),
  );
  const ops = (field: 'success' | 'failure'): RequestOp[] =>
    (f.array(field, ServerLimits.txnOpsMax, 'txnOpsMax') ?? []).map((o, i) => parseOp(o, f.path(`${field}[${i}]`), depth));
  const success = ops('success');
  const failure = ops('failure');
  f.done();
  return { compare, success, failure };
}

export function putResponseJson(r: PutResponse): Record<string, unknown> {
  return r.prevKv === undefined ? { revision: r.revision } : { revision: r.revision, prevKv: keyValueJson(r.prevKv) };
}

export function deleteResponseJson(r: DeleteRangeResponse): Record<string, unknown> {
  const out: Record<string, unknown> = { revision: r.revision, deleted: r.deleted };
  if (r.prevKvs.length > 0) out['prevKvs'] = r.prevKvs.map(keyValueJson);
  return out;
}

export function rangeResponseJson(r: RangeResponse, keysOnly = false): Record<string, unknown> {
  return {
    revision: r.revision,
    count: r.count,
    more: r.more,
    kvs: r.kvs.map((kv) => {
      const j = keyValueJson(kv);
      if (keysOnly) delete j.value;
      return j;
    }),
  };
}

function responseOpJson(op: ResponseOp): Record<string, unknown> {
  switch (op.type) {
    case 'put':
      return { put: putResponseJson(op.response) };
    case 'deleteRange':
      return { delete: deleteResponseJson(op.response) };
    case 'range':
      return { range: rangeResponseJson(op.response) };
    case 'txn':
      return { txn: txnResponseJson(op.response) };
  }
}

export function txnResponseJson(r: TxnResponse): Record<string, unknown> {
  return { revision: r.revision, succeeded: r.succeeded, responses: r.responses.map(responseOpJson) };
}

export function watchEventJson(e: WatchEvent): Record<string, unknown> {
  const out: Record<string, unknown> = { type: e.type, kv: keyValueJson(e.kv) };
  if (e.type === 'delete') delete (out['kv'] as KeyValueJson).value;
  if (e.prevKv !== undefined) out['prevKv'] = keyValueJson(e.prevKv);
  return out;
}
