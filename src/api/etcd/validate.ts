import { EtcdError } from './errors.js';
import type { WireDeleteRangeRequest, WirePutRequest, WireRangeRequest, WireRequestOp, WireTxnRequest } from './wire.js';
import { nonNegative, clampInt } from './int64.js';

/**
 * etcd's request checks at the API edge (`v3rpc/key.go`), before anything reaches the
 * store, with etcd's exact errors. The store validates again with its own messages.
 */
export const EtcdRequestLimits = {
  /** Operations per compare/success/failure list: etcd's `--max-txn-ops` default. */
  txnOpsMax: 128,
  /** Nested txn depth walked by the checks (the store enforces its own bound too). */
  txnDepthMax: 16,
} as const;

export function checkRange(r: WireRangeRequest): void {
  if (r.key.length === 0) throw new EtcdError('emptyKey');
}

export function checkPut(r: WirePutRequest): void {
  if (r.key.length === 0) throw new EtcdError('emptyKey');
  if (r.ignore_value && r.value.length !== 0) throw new EtcdError('valueProvided');
  if (r.ignore_lease && clampInt(r.lease) !== 0) throw new EtcdError('leaseProvided');
}

export function checkDelete(r: WireDeleteRangeRequest): void {
  if (r.key.length === 0) throw new EtcdError('emptyKey');
}

export function checkTxn(t: WireTxnRequest, depth = 0): void {
  const max = EtcdRequestLimits.txnOpsMax;
  if (t.compare.length > max || t.success.length > max || t.failure.length > max) throw new EtcdError('tooManyOps');
  if (depth > EtcdRequestLimits.txnDepthMax) throw new EtcdError('tooManyOps');
  for (const list of [t.success, t.failure]) for (const op of list) checkOp(op, depth);
  checkIntervals(t.success, 0);
  checkIntervals(t.failure, 0);
}

function checkOp(op: WireRequestOp, depth: number): void {
  switch (op.request) {
    case 'request_range':
      if (op.request_range) checkRange(op.request_range);
      return;
    case 'request_put':
      if (op.request_put) checkPut(op.request_put);
      return;
    case 'request_delete_range':
      if (op.request_delete_range) checkDelete(op.request_delete_range);
      return;
    case 'request_txn':
      if (op.request_txn) checkTxn(op.request_txn, depth + 1);
      return;
    default:
      return;
  }
}

/** A key interval: end undefined = the single key; end "\0" (one zero byte) = unbounded. */
interface Interval {
  readonly start: string;
  readonly end: string | undefined;
}

function bin(b: Uint8Array): string {
  return Buffer.from(b).toString('latin1');
}

function contains(iv: Interval, key: string): boolean {
  if (iv.end === undefined) return iv.start === key;
  if (iv.end === '\0') return key >= iv.start;
  return key >= iv.start && key < iv.end;
}

/**
 * etcd's duplicate-key rule for one branch: a key may be put at most once, and not inside
 * a range the same branch deletes; the two branches of a nested txn exclude each other.
 */
function checkIntervals(ops: readonly WireRequestOp[], depth: number): { puts: Set<string>; dels: Interval[] } {
  const dels: Interval[] = [];
  for (const op of ops) {
    const d = op.request === 'request_delete_range' ? op.request_delete_range : undefined;
    if (d) dels.push({ start: bin(d.key), end: d.range_end.length === 0 ? undefined : bin(d.range_end) });
  }
  const hitsDel = (k: string): boolean => dels.some((iv) => contains(iv, k));
  const puts = new Set<string>();
  for (const op of ops) {
    const t = op.request === 'request_txn' ? op.request_txn : undefined;
    if (!t || depth >= EtcdRequestLimits.txnDepthMax) continue;
    const then = checkIntervals(t.success, depth + 1);
    const other = checkIntervals(t.failure, depth + 1);
    for (const k of then.puts) {
      if (puts.has(k) || hitsDel(k)) throw new EtcdError('duplicateKey');
      puts.add(k);
    }
    for (const k of other.puts) {
      if ((puts.has(k) && !then.puts.has(k)) || hitsDel(k)) throw new EtcdError('duplicateKey');
      puts.add(k);
    }
    dels.push(...then.dels, ...other.dels);
  }
  for (const op of ops) {
    const p = op.request === 'request_put' ? op.request_put : undefined;
    if (!p) continue;
    const k = bin(p.key);
    if (puts.has(k) || hitsDel(k)) throw new EtcdError('duplicateKey');
    puts.add(k);
  }
  return { puts, dels };
}

/** Sanity of a range's numeric fields (negative limit/revision mean none, as etcd). */
export function rangeNumbers(r: WireRangeRequest): { limit: number; revision: number } {
  return { limit: nonNegative(r.limit), revision: nonNegative(r.revision) };
}
