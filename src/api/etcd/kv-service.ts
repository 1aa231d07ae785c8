import type * as grpc from '@grpc/grpc-js';
import { Limits } from '../../core/limits.js';
import type { NodeService } from '../../server/service.js';
import { deleteIn, deleteOut, kvOut, putIn, rangeIn, rangeOut, txnIn, txnOut } from './convert.js';
import { EtcdError } from './errors.js';
import { type CallGuard, unary } from './handlers.js';
import type { HeaderSource } from './header.js';
import { nonNegative } from './int64.js';
import { etcdServices } from './proto.js';
import { checkDelete, checkPut, checkRange, checkTxn } from './validate.js';
import type { WireCompactionRequest, WireDeleteRangeRequest, WirePutRequest, WireRangeRequest, WireRequestOp, WireTxnRequest } from './wire.js';

type Res = Record<string, unknown>;

/** Fails a request whose encoding exceeds etcd's `--max-request-bytes` (1.5 MiB). */
function checkSize(method: 'Put' | 'Txn' | 'DeleteRange', request: unknown): void {
  const size = etcdServices().KV[method]?.requestSerialize(request).length ?? 0;
  if (size > Limits.requestBytesMax) throw new EtcdError('requestTooLarge');
}

/** A txn that only reads, with every read serializable, may be served locally (as etcd). */
function serializableTxn(ops: readonly WireRequestOp[]): boolean {
  return ops.every((op) => {
    if (op.request === 'request_range') return op.request_range?.serializable === true;
    if (op.request === 'request_txn') {
      const t = op.request_txn;
      return t !== null && t !== undefined && serializableTxn(t.success) && serializableTxn(t.failure);
    }
    return false;
  });
}

/** etcd's KV service over a NodeService. */
export function kvHandlers(service: NodeService, headers: HeaderSource, guard: CallGuard): grpc.UntypedServiceImplementation {
  return {
    Range: unary<WireRangeRequest, Res>('Range', guard, async (r) => {
      checkRange(r);
      const res = await service.range(rangeIn(r), { serializable: r.serializable });
      return { header: headers.header(res.revision), ...rangeOut(res) };
    }),
    Put: unary<WirePutRequest, Res>('Put', guard, async (r) => {
      checkPut(r);
      checkSize('Put', r);
      const res = await service.put(putIn(r));
      return { header: headers.header(res.revision), ...(res.prevKv ? { prev_kv: kvOut(res.prevKv) } : {}) };
    }),
    DeleteRange: unary<WireDeleteRangeRequest, Res>('DeleteRange', guard, async (r) => {
      checkDelete(r);
      checkSize('DeleteRange', r);
      const res = await service.deleteRange(deleteIn(r));
      return { header: headers.header(res.revision), ...deleteOut(res) };
    }),
    Txn: unary<WireTxnRequest, Res>('Txn', guard, async (r) => {
      checkTxn(r);
      checkSize('Txn', r);
      const serializable = serializableTxn(r.success) && serializableTxn(r.failure);
      const res = await service.txn(txnIn(r), { serializable });
      return { header: headers.header(res.revision), ...txnOut(res) };
    }),
    Compact: unary<WireCompactionRequest, Res>('Compact', guard, async (r) => {
      const res = await service.compact(nonNegative(r.revision));
      return { header: headers.header(res.revision) };
    }),
  };
}
