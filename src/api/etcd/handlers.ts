import type * as grpc from '@grpc/grpc-js';
import type { NodeService } from '../../server/service.js';
import { isNinesError } from '../../core/errors.js';
import { EtcdError, toEtcdStatus } from './errors.js';

/** The metadata key etcd clients set to require a leader ("hasleader": "true"). */
export const REQUIRE_LEADER_KEY = 'hasleader';

/** Fails with etcd's "no leader" when the caller asked for one and none is known. */
export function checkLeader(service: NodeService, metadata: grpc.Metadata): void {
  const v = metadata.get(REQUIRE_LEADER_KEY)[0];
  if (v === 'true' && service.status().leader === '') throw new EtcdError('noLeader');
}

/** An error to hand to grpc-js: etcd's code and message. */
export function grpcError(err: unknown): Partial<grpc.StatusObject> {
  const s = toEtcdStatus(err);
  return { code: s.code, details: s.details };
}

/**
 * Runs before every call (auth): throws or rejects to refuse. `request` is the decoded
 * request of a unary call, undefined at the start of a stream.
 */
export interface CallGuard {
  (call: { metadata: grpc.Metadata }, method: string, request: unknown): void | Promise<void>;
  /** Told about errors that are not NinesErrors (bugs): the client only sees "internal error". */
  report?: (method: string, err: unknown) => void;
  /** Told about every answered unary call (for SLIs): `error` undefined when it succeeded. */
  observe?: (record: CallRecord) => void;
}

export interface CallRecord {
  /** "etcd.<Method>", e.g. "etcd.Put". */
  readonly method: string;
  readonly error: unknown;
  readonly latencyMs: number;
}

/** Reports an unexpected (non-NinesError) failure of `method` through the guard's reporter. */
export function reportIfInternal(guard: CallGuard, method: string, err: unknown): void {
  if (isNinesError(err)) return;
  guard.report?.(method, err);
}

/**
 * A unary handler from an async function: its result is the response, a throw becomes
 * etcd's status. `guard` runs first.
 */
export function unary<Req, Res>(
  method: string,
  guard: CallGuard,
  fn: (request: Req, call: grpc.ServerUnaryCall<Req, Res>) => Promise<Res>,
): grpc.handleUnaryCall<Req, Res> {
  return (call, callback) => {
    const startMs = performance.now();
    const observe = (error: unknown): void => guard.observe?.({ method: `etcd.${method}`, error, latencyMs: performance.now() - startMs });
    const run = async (): Promise<Res> => {
      await guard(call, method, call.request);
      return fn(call.request, call);
    };
    run().then(
      (res) => {
        callback(null, res);
        observe(undefined);
      },
      (err: unknown) => {
        reportIfInternal(guard, method, err);
        callback(grpcError(err), null);
        observe(err);
      },
    );
  };
}
