import { InvalidArgumentError, LimitExceededError } from '../core/errors.js';
import { Limits } from '../core/limits.js';
import { type KeySpan, keySpan, spanContains, toBinary } from './bytes.js';
import type { KvCommand } from './commands.js';
import { KvMessages } from './errors.js';
import { KvLimits } from './limits.js';
import type {
  Compare,
  CompareResult,
  DeleteRangeRequest,
  PutRequest,
  RangeRequest,
  RequestOp,
  SortOrder,
  SortTarget,
  TxnRequest,
} from './types.js';

/**
 * Input validation at the edge of the state machine. Every command is checked here before
 * `apply` touches state, whether it came from `decodeCommand` (untrusted bytes) or from a
 * caller in the same process. Checks raise `InvalidArgumentError` (or `LimitExceededError`)
 * naming the field; they never depend on the store's state, so a command is valid or not
 * the same way on every replica.
 */

type Fields = Record<string, unknown>;

function record(value: unknown, what: string): Fields {
  if (typeof value !== 'object' || value === null || Array.isArray(value) || value instanceof Uint8Array) {
    throw new InvalidArgumentError(`${what} must be an object`);
  }
  return value as Fields;
}

function bytes(value: unknown, what: string): Uint8Array {
  if (!(value instanceof Uint8Array)) throw new InvalidArgumentError(`${what} must be bytes`);
  return value;
}

function optBytes(fields: Fields, name: string, what: string): void {
  if (fields[name] !== undefined) bytes(fields[name], `${what}.${name}`);
}

function optBool(fields: Fields, name: string, what: string): void {
  const v = fields[name];
  if (v !== undefined && typeof v !== 'boolean') throw new InvalidArgumentError(`${what}.${name} must be a boolean`);
}

/** A non-negative safe integer. */
export function checkCount(value: unknown, what: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new InvalidArgumentError(`${what} must be a non-negative integer, got ${String(value)}`);
  }
  return value;
}

function optCount(fields: Fields, name: string, what: string): void {
  if (fields[name] !== undefined) checkCount(fields[name], `${what}.${name}`);
}

function oneOf<T extends string>(value: unknown, allowed: readonly T[], what: string): T {
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
    throw new InvalidArgumentError(`${what} must be one of ${allowed.join(', ')}, got ${String(value)}`);
  }
  return value as T;
}

function list(value: unknown, what: string, max: number): unknown[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw new InvalidArgumentError(`${what} must be an array`);
  if (value.length > max) throw new LimitExceededError(what, value.length, max);
  return value;
}

/** A request key: present, non-empty, within `Limits.keyBytesMax`. */
export function checkKey(value: unknown, what: string): Uint8Array {
  const key = bytes(value, what);
  if (key.length === 0) throw new InvalidArgumentError(`${what}: ${KvMessages.emptyKey}`);
  if (key.length > Limits.keyBytesMax) throw new LimitExceededError(`${what} bytes`, key.length, Limits.keyBytesMax);
  return key;
}

/** Range requests may use the empty key with rangeEnd "\0" (every key). */
function checkRangeKey(fields: Fields, what: string): void {
  const key = bytes(fields['key'], `${what}.key`);
  const end = fields['rangeEnd'];
  if (end !== undefined) bytes(end, `${what}.rangeEnd`);
  const endBytes = end as Uint8Array | undefined;
  if (key.length === 0 && (endBytes === undefined || endBytes.length === 0)) {
    throw new InvalidArgumentError(`${what}.key: ${KvMessages.emptyKey}`);
  }
  if (key.length > Limits.keyBytesMax) throw new LimitExceededError(`${what}.key bytes`, key.length, Limits.keyBytesMax);
  if (endBytes !== undefined && endBytes.length > Limits.keyBytesMax) {
    throw new LimitExceededError(`${what}.rangeEnd bytes`, endBytes.length, Limits.keyBytesMax);
  }
}

const SORT_ORDERS: readonly SortOrder[] = ['none', 'ascend', 'descend'];
const SORT_TARGETS: readonly SortTarget[] = ['key', 'version', 'create', 'mod', 'value'];
const COMPARE_RESULTS: readonly CompareResult[] = ['equal', 'notEqual', 'greater', 'less'];

export function validateRange(value: unknown, what = 'range'): RangeRequest {
  const f = record(value, what);
  checkRangeKey(f, what);
  for (const n of ['limit', 'revision', 'minModRevision', 'maxModRevision', 'minCreateRevision', 'maxCreateRevision']) {
    optCount(f, n, what);
  }
  if (f['sortOrder'] !== undefined) oneOf(f['sortOrder'], SORT_ORDERS, `${what}.sortOrder`);
  if (f['sortTarget'] !== undefined) oneOf(f['sortTarget'], SORT_TARGETS, `${what}.sortTarget`);
  optBool(f, 'keysOnly', what);
  optBool(f, 'countOnly', what);
  return f as unknown as RangeRequest;
}

export function validatePut(value: unknown, what = 'put'): PutRequest {
  const f = record(value, what);
  checkKey(f['key'], `${what}.key`);
  optBytes(f, 'value', what);
  optCount(f, 'lease', what);
  optBool(f, 'prevKv', what);
  optBool(f, 'ignoreValue', what);
  optBool(f, 'ignoreLease', what);
  const v = f['value'] as Uint8Array | undefined;
  if (v !== undefined && v.length > KvLimits.valueBytesMax) {
    throw new LimitExceededError(`${what}.value bytes`, v.length, KvLimits.valueBytesMax);
  }
  if (f['ignoreValue'] === true && v !== undefined && v.length > 0) {
    throw new InvalidArgumentError(`${what}: ${KvMessages.valueProvided}`);
  }
  if (f['ignoreLease'] === true && typeof f['lease'] === 'number' && f['lease'] !== 0) {
    throw new InvalidArgumentError(`${what}: ${KvMessages.leaseProvided}`);
  }
  return f as unknown as PutRequest;
}

export function validateDeleteRange(value: unknown, what = 'deleteRange'): DeleteRangeRequest {
  const f = record(value, what);
  checkRangeKey(f, what);
  optBool(f, 'prevKv', what);
  return f as unknown as DeleteRangeRequest;
}

function validateCompare(value: unknown, what: string): Compare {
  const f = record(value, what);
  checkRangeKey(f, what);
  oneOf(f['result'], COMPARE_RESULTS, `${what}.result`);
  const target = oneOf(f['target'], ['version', 'create', 'mod', 'value', 'lease'] as const, `${what}.target`);
  const operand = { version: 'version', create: 'createRevision', mod: 'modRevision', value: 'value', lease: 'lease' }[
    target
  ];
  if (target === 'value') bytes(f[operand], `${what}.${operand}`);
  else {
    const n = f[operand];
    if (typeof n !== 'number' || !Number.isSafeInteger(n)) {
      throw new InvalidArgumentError(`${what}.${operand} must be an integer, got ${String(n)}`);
    }
  }
  return f as unknown as Compare;
}

interface OpBudget {
  ops: number;
}

function validateOp(value: unknown, what: string, depth: number, budget: OpBudget): RequestOp {
  const f = record(value, what);
  budget.ops++;
  const type = oneOf(f['type'], ['range', 'put', 'deleteRange', 'txn'] as const, `${what}.type`);
  const req = `${what}.request`;
  switch (type) {
    case 'range':
      validateRange(f['request'], req);
      break;
    case 'put':
      validatePut(f['request'], req);
      break;
    case 'deleteRange':
      validateDeleteRange(f['request'], req);
      break;
    case 'txn':
      validateTxnAt(f['request'], req, depth + 1, budget);
      break;
  }
  return f as unknown as RequestOp;
}

function validateTxnAt(value: unknown, what: string, depth: number, budget: OpBudget): TxnRequest {
  if (depth > KvLimits.txnDepthMax) throw new LimitExceededError('txn nesting depth', depth, KvLimits.txnDepthMax);
  const f = record(value, what);
  const compares = list(f['compare'], `${what}.compare`, KvLimits.txnComparesMax);
  compares.forEach((c, i) => {
    validateCompare(c, `${what}.compare[${i}]`);
  });
  for (const branch of ['success', 'failure'] as const) {
    const ops = list(f[branch], `${what}.${branch}`, KvLimits.txnOpsMax);
    ops.forEach((op, i) => {
      validateOp(op, `${what}.${branch}[${i}]`, depth, budget);
    });
  }
  if (budget.ops > KvLimits.txnOpsTotalMax) throw new LimitExceededError('txn operations', budget.ops, KvLimits.txnOpsTotalMax);
  return f as unknown as TxnRequest;
}

/**
 * A transaction's shape plus etcd's rule that no key is written twice in one revision: two
 * puts of one key, or a put inside a range the same txn deletes, are refused with
 * "duplicate key given in txn request". Overlapping deletes are allowed, and the success
 * and failure branches of a nested txn may write the same key (only one of them runs).
 */
export function validateTxn(value: unknown, what = 'txn'): TxnRequest {
  const txn = validateTxnAt(value, what, 1, { ops: 0 });
  writeSet(txn);
  return txn;
}

interface WriteSet {
  puts: Set<string>;
  dels: KeySpan[];
}

function duplicate(): InvalidArgumentError {
  return new InvalidArgumentError(KvMessages.duplicateKey);
}

function opsWriteSet(ops: readonly RequestOp[]): WriteSet {
  const puts = new Set<string>();
  const dels: KeySpan[] = [];
  for (const op of ops) {
    if (op.type !== 'txn') continue;
    const then = writeSet(op.request, 'success');
    const otherwise = writeSet(op.request, 'failure');
    dels.push(...then.dels, ...otherwise.dels);
    for (const k of [...then.puts, ...otherwise.puts]) if (puts.has(k)) throw duplicate();
    for (const k of [...then.puts, ...otherwise.puts]) puts.add(k);
  }
  for (const op of ops) if (op.type === 'deleteRange') dels.push(keySpan(op.request.key, op.request.rangeEnd));
  for (const op of ops) {
    if (op.type !== 'put') continue;
    const k = toBinary(op.request.key);
    if (puts.has(k)) throw duplicate();
    puts.add(k);
  }
  for (const span of dels) for (const k of puts) if (spanContains(span, k)) throw duplicate();
  return { puts, dels };
}

function writeSet(txn: TxnRequest, branch?: 'success' | 'failure'): WriteSet {
  if (branch !== undefined) return opsWriteSet(txn[branch] ?? []);
  opsWriteSet(txn.success ?? []);
  opsWriteSet(txn.failure ?? []);
  return { puts: new Set(), dels: [] };
}

/** A lease id in a command: a positive safe integer (0 only where "none/choose" is meant). */
function leaseId(value: unknown, what: string, allowZero: boolean): number {
  const id = checkCount(value, what);
  if (id === 0 && !allowZero) throw new InvalidArgumentError(`${what} must be a positive lease id`);
  return id;
}

/** Checks a whole command (any source) and returns it typed. */
export function validateCommand(value: unknown): KvCommand {
  const f = record(value, 'command');
  const type = oneOf(
    f['type'],
    ['put', 'deleteRange', 'txn', 'compact', 'leaseGrant', 'leaseRevoke', 'leaseKeepAlive', 'leaseCheckpoint', 'leaseExpire'] as const,
    'command.type',
  );
  switch (type) {
    case 'put':
      validatePut(f['request'], 'put');
      break;
    case 'deleteRange':
      validateDeleteRange(f['request'], 'deleteRange');
      break;
    case 'txn':
      validateTxn(f['request'], 'txn');
      break;
    case 'compact':
      checkCount(f['revision'], 'compact.revision');
      break;
    case 'leaseGrant':
      leaseId(f['id'], 'leaseGrant.id', true);
      checkCount(f['ttlSec'], 'leaseGrant.ttlSec');
      break;
    case 'leaseRevoke':
      leaseId(f['id'], 'leaseRevoke.id', false);
      break;
    case 'leaseKeepAlive':
      leaseId(f['id'], 'leaseKeepAlive.id', false);
      break;
    case 'leaseCheckpoint': {
      const cps = list(f['checkpoints'], 'leaseCheckpoint.checkpoints', KvLimits.leaseBatchMax);
      cps.forEach((cp, i) => {
        const c = record(cp, `leaseCheckpoint.checkpoints[${i}]`);
        leaseId(c['id'], `leaseCheckpoint.checkpoints[${i}].id`, false);
        checkCount(c['remainingTtlSec'], `leaseCheckpoint.checkpoints[${i}].remainingTtlSec`);
      });
      break;
    }
    case 'leaseExpire': {
      const ids = list(f['ids'], 'leaseExpire.ids', KvLimits.leaseBatchMax);
      ids.forEach((id, i) => {
        leaseId(id, `leaseExpire.ids[${i}]`, false);
      });
      break;
    }
  }
  return f as unknown as KvCommand;
}
