import type * as grpc from '@grpc/grpc-js';
import { ErrorCodes, InvalidArgumentError, isNinesError } from '../../core/errors.js';
import type { NodeService } from '../../server/service.js';
import { EtcdError } from './errors.js';
import { type CallGuard, grpcError, reportIfInternal, unary } from './handlers.js';
import type { HeaderSource } from './header.js';
import { nonNegative, parseBig, safeId } from './int64.js';
import type { Int64 } from './wire.js';

type Res = Record<string, unknown>;

export const LeaseLimits = {
  /** Keep-alive requests of one stream waiting for their answer. */
  keepAlivePendingMax: 1000,
} as const;

function isLeaseNotFound(err: unknown): boolean {
  return isNinesError(err) && (err.code === ErrorCodes.LEASE_NOT_FOUND || (err instanceof EtcdError && err.etcd.details.endsWith('requested lease not found')));
}

/**
 * etcd's Lease service over a NodeService. Lease ids above 2^53 cannot exist in nines:
 * looking one up finds nothing (as for any unknown id); granting one is refused.
 */
export function leaseHandlers(service: NodeService, headers: HeaderSource, guard: CallGuard): grpc.UntypedServiceImplementation {
  return {
    LeaseGrant: unary<{ TTL: Int64; ID: Int64 }, Res>('LeaseGrant', guard, async (r) => {
      const id = safeId(r.ID);
      if (id === undefined) {
        throw new InvalidArgumentError(`etcdserver: lease ID ${r.ID} is not supported: nines lease ids are 0 < id < 2^53`);
      }
      const ttl = parseBig(r.TTL) ?? 0n;
      if (ttl > 9_000_000_000n) throw new EtcdError('leaseTtlTooLarge');
      const res = await service.leaseGrant(nonNegative(r.TTL), id);
      return { header: headers.header(res.revision), ID: res.id, TTL: res.ttlSec, error: '' };
    }),
    LeaseRevoke: unary<{ ID: Int64 }, Res>('LeaseRevoke', guard, async (r) => {
      const id = safeId(r.ID);
      if (id === undefined || id === 0) throw new EtcdError('leaseNotFound');
      const res = await service.leaseRevoke(id);
      return { header: headers.header(res.revision) };
    }),
    LeaseTimeToLive: unary<{ ID: Int64; keys: boolean }, Res>('LeaseTimeToLive', guard, async (r) => {
      const id = safeId(r.ID);
      const notFound = (): Res => ({ header: headers.header(headers.currentRevision()), ID: r.ID, TTL: -1, grantedTTL: 0, keys: [] });
      if (id === undefined || id === 0) return notFound();
      try {
        const res = await service.leaseTimeToLive(id, r.keys, { serializable: false });
        return {
          header: headers.header(res.revision),
          ID: res.id,
          TTL: res.ttlSec,
          grantedTTL: res.grantedTtlSec,
          keys: res.keys.map((k) => Buffer.from(k)),
        };
      } catch (err) {
        // etcd answers an unknown lease with TTL -1, not an error.
        if (isLeaseNotFound(err)) return notFound();
        throw err;
      }
    }),
    LeaseLeases: unary<Record<string, never>, Res>('LeaseLeases', guard, async () => {
      const res = await service.leaseList({ serializable: false });
      return { header: headers.header(res.revision), leases: res.ids.map((id) => ({ ID: id })) };
    }),
    LeaseKeepAlive: (call: grpc.ServerDuplexStream<{ ID: Int64 }, Res>) => {
      let pending = 0;
      let closed = false;
      const fail = (err: unknown): void => {
        if (closed) return;
        closed = true;
        reportIfInternal(guard, 'LeaseKeepAlive', err);
        call.emit('error', grpcError(err));
      };
      // Every request waits behind the stream's auth check.
      let chain: Promise<void> = (async () => {
        await guard(call, 'LeaseKeepAlive', undefined);
      })().catch(fail);
      call.on('data', (r: { ID: Int64 }) => {
        if (closed) return;
        if (pending >= LeaseLimits.keepAlivePendingMax) {
          fail(new EtcdError('tooManyRequests'));
          return;
        }
        pending++;
        // Answer in request order: each keep-alive waits for the one before it.
        chain = chain.then(async () => {
          try {
            const id = safeId(r.ID);
            if (id === undefined || id === 0) throw new EtcdError('leaseNotFound');
            const res = await service.leaseKeepAlive(id);
            if (!closed) call.write({ header: headers.header(res.revision), ID: res.id, TTL: res.ttlSec });
          } catch (err) {
            // etcd answers an unknown lease with TTL 0; the client reports "lease not found".
            if (isLeaseNotFound(err)) {
              if (!closed) call.write({ header: headers.header(headers.currentRevision()), ID: r.ID, TTL: 0 });
            } else {
              fail(err);
            }
          } finally {
            pending--;
          }
        });
      });
      call.on('end', () => {
        void chain.then(() => {
          if (!closed) {
            closed = true;
            call.end();
          }
        });
      });
      call.on('error', () => {
        closed = true;
      });
      call.on('cancelled', () => {
        closed = true;
      });
    },
  };
}
