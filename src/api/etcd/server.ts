import * as grpc from '@grpc/grpc-js';
import { InvalidArgumentError, NinesError, ErrorCodes } from '../../core/errors.js';
import { Limits } from '../../core/limits.js';
import { authHandlers } from './auth/auth-service.js';
import { authGuard } from './auth/guard.js';
import type { EtcdBackend } from './backend.js';
import { clusterHandlers } from './cluster-service.js';
import { type CallGuard, type CallRecord, checkLeader } from './handlers.js';
import { HeaderSource } from './header.js';
import { kvHandlers } from './kv-service.js';
import { leaseHandlers } from './lease-service.js';
import { maintenanceHandlers } from './maintenance-service.js';
import { etcdServices } from './proto.js';
import { type EtcdTlsOptions, serverCredentials } from './tls.js';
import { DEFAULT_WATCH_OPTIONS, type WatchOptions, watchHandlers } from './watch-service.js';

export const EtcdServerLimits = {
  /** gRPC message bytes accepted: etcd's --max-request-bytes plus its 512 KiB gRPC overhead. */
  receiveMessageBytesMax: Limits.requestBytesMax + 512 * 1024,
  /** Bytes of one response (etcd: no practical limit; ranges can be large). */
  sendMessageBytesMax: 2 ** 31 - 1,
  /** Graceful shutdown waits this long for calls to finish before closing them. */
  shutdownGraceMs: 2000,
} as const;

export interface EtcdServerOptions {
  readonly backend: EtcdBackend;
  /** etcd's --listen-client-urls: http://host:port (https:// needs `tls`). Port 0 picks one. */
  readonly listenUrls: readonly string[];
  readonly tls?: EtcdTlsOptions;
  /** Reported with Status in the x-nines-version metadata. */
  readonly ninesVersion?: string;
  readonly watch?: Partial<WatchOptions>;
  /** Runs before every call; default: etcd's auth checks when the backend has auth, else none. */
  readonly guard?: CallGuard;
  /** Told about unexpected failures (bugs); clients only see "etcdserver: internal error". */
  readonly onInternalError?: (method: string, err: unknown) => void;
  /** Told about every answered KV and Lease unary call (the data path), for SLIs and metrics. */
  readonly onRequest?: (record: CallRecord) => void;
  /** Wall clock for token expiry (default Date.now). */
  readonly wallClockMs?: () => number;
}

/** Calls reported to `onRequest`: the key-value and lease data path (not maintenance or admin). */
const OBSERVED_METHODS: ReadonlySet<string> = new Set(
  ['Range', 'Put', 'DeleteRange', 'Txn', 'Compact', 'LeaseGrant', 'LeaseRevoke', 'LeaseTimeToLive', 'LeaseLeases'].map((m) => `etcd.${m}`),
);

/** Host and port from a client URL, checking its scheme against TLS. */
export function parseListenUrl(url: string, tls: boolean): { host: string; port: number } {
  if (!URL.canParse(url)) throw new InvalidArgumentError(`--listen-client-urls: "${url}" is not a URL (expected http://host:port)`);
  const u = new URL(url);
  if (u.protocol !== 'http:' && u.protocol !== 'https:') {
    throw new InvalidArgumentError(`--listen-client-urls: "${url}" must use http:// or https://`);
  }
  if (u.protocol === 'https:' && !tls) throw new InvalidArgumentError(`--listen-client-urls: "${url}" is https but --cert-file/--key-file are not set`);
  const port = u.port === '' ? 2379 : Number(u.port);
  return { host: u.hostname.replace(/^\[|\]$/g, ''), port };
}

/**
 * etcd's v3 gRPC API (KV, Watch, Lease, Cluster, Maintenance, Auth) served over an
 * EtcdBackend; see docs/etcd-compat.md for what is supported.
 */
export class EtcdGrpcServer {
  readonly #server: grpc.Server;
  /** Bound `host:port` per listen URL, in order. */
  readonly addresses: readonly string[];

  private constructor(server: grpc.Server, addresses: string[]) {
    this.#server = server;
    this.addresses = addresses;
  }

  static async start(options: EtcdServerOptions): Promise<EtcdGrpcServer> {
    if (options.listenUrls.length === 0) throw new InvalidArgumentError('--listen-client-urls: give at least one URL');
    const creds = serverCredentials(options.tls);
    const server = new grpc.Server({
      'grpc.max_receive_message_length': EtcdServerLimits.receiveMessageBytesMax,
      'grpc.max_send_message_length': EtcdServerLimits.sendMessageBytesMax,
    });
    const services = etcdServices();
    const backend = options.backend;
    const headers = new HeaderSource(backend);
    const wallMs = options.wallClockMs ?? (() => Date.now());
    const inner: CallGuard = options.guard ?? (backend.auth ? authGuard(backend.auth, backend, wallMs) : () => {});
    // etcd's interceptors: a call carrying "hasleader: true" fails fast without a leader.
    const guard: CallGuard = (call, method, request) => {
      checkLeader(backend, call.metadata);
      return inner(call, method, request);
    };
    if (options.onInternalError) guard.report = options.onInternalError;
    const observed = options.onRequest;
    if (observed) guard.observe = (r) => (OBSERVED_METHODS.has(r.method) ? observed(r) : undefined);
    server.addService(services.KV, kvHandlers(backend, headers, guard));
    server.addService(services.Watch, watchHandlers(backend, headers, guard, { ...DEFAULT_WATCH_OPTIONS, ...options.watch }));
    server.addService(services.Lease, leaseHandlers(backend, headers, guard));
    server.addService(services.Cluster, clusterHandlers(backend, headers, guard));
    server.addService(services.Maintenance, maintenanceHandlers(backend, headers, guard, options.ninesVersion ?? 'unknown'));
    server.addService(services.Auth, authHandlers(backend.auth, headers, guard, wallMs));
    const addresses: string[] = [];
    try {
      for (const url of options.listenUrls) {
        const { host, port } = parseListenUrl(url, options.tls !== undefined);
        const target = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
        const bound = await new Promise<number>((resolve, reject) => {
          server.bindAsync(target, creds, (err, p) => (err ? reject(err) : resolve(p)));
        });
        addresses.push(host.includes(':') ? `[${host}]:${bound}` : `${host}:${bound}`);
      }
    } catch (err) {
      server.forceShutdown();
      if (err instanceof NinesError) throw err;
      throw new NinesError(ErrorCodes.UNAVAILABLE, `--listen-client-urls: cannot listen: ${(err as Error).message}`, { cause: err });
    }
    return new EtcdGrpcServer(server, addresses);
  }

  /** Stop taking calls; calls still running after the grace period are cut. */
  async stop(graceMs: number = EtcdServerLimits.shutdownGraceMs): Promise<void> {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.#server.forceShutdown();
        resolve();
      }, graceMs);
      this.#server.tryShutdown(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
}
