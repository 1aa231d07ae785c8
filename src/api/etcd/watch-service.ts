import type * as grpc from '@grpc/grpc-js';
import { status as grpcStatus } from '@grpc/grpc-js';
import { isNinesError } from '../../core/errors.js';
import { Limits } from '../../core/limits.js';
import type { WatchEvent } from '../../kv/types.js';
import type { NodeService, WatchHandle } from '../../server/service.js';
import { eventOut } from './convert.js';
import { EtcdErrors } from './errors.js';
import { type CallGuard, checkLeader, grpcError, REQUIRE_LEADER_KEY, reportIfInternal } from './handlers.js';
import type { HeaderSource } from './header.js';
import { clampInt, nonNegative } from './int64.js';
import { etcdServices } from './proto.js';
import type { WireWatchCreateRequest, WireWatchRequest } from './wire.js';

export const WatchLimits = {
  /** Watches open on one stream. */
  watchesPerStreamMax: 10_000,
  /** Responses queued on one stream (gRPC streams count objects) before its watches are cancelled as too slow. */
  streamBufferResponsesMax: 10_000,
  /** A fragmenting watch splits responses above this size (etcd: --max-request-bytes). */
  fragmentBytesMax: Limits.requestBytesMax,
} as const;

export interface WatchOptions {
  /** How often watches created with progress_notify get an empty response when idle (etcd: 10 min). */
  readonly progressNotifyIntervalMs: number;
  /** How often a stream that required a leader re-checks that there is one. */
  readonly leaderCheckIntervalMs: number;
}

export const DEFAULT_WATCH_OPTIONS: WatchOptions = { progressNotifyIntervalMs: 10 * 60 * 1000, leaderCheckIntervalMs: 500 };

/** etcd's cancel reasons for a refused create. */
const DUPLICATE_ID = 'mvcc: duplicate watch ID provided on the WatchStream';
const EMPTY_RANGE = 'mvcc: watcher range is empty';

interface StreamWatch {
  readonly id: number;
  handle: WatchHandle | undefined;
  readonly progressNotify: boolean;
  readonly fragment: boolean;
  /** Something was sent since the last progress tick. */
  active: boolean;
}

type Res = Record<string, unknown>;

/**
 * One Watch stream: several watches, each with its own id, multiplexed onto one
 * bidirectional gRPC stream, as etcd's `serverWatchStream`. Responses for a watch are
 * written in order: created, then events (whole revisions), then canceled.
 */
class WatchStream {
  readonly #call: grpc.ServerDuplexStream<WireWatchRequest, Res>;
  readonly #service: NodeService;
  readonly #headers: HeaderSource;
  readonly #watches = new Map<number, StreamWatch>();
  readonly #timers: NodeJS.Timeout[] = [];
  readonly #guard: CallGuard;
  /** Requests are handled one at a time, in order (a create may wait for its auth check). */
  #queue: Promise<void> = Promise.resolve();
  #nextId = 0;
  #closed = false;

  constructor(
    call: grpc.ServerDuplexStream<WireWatchRequest, Res>,
    service: NodeService,
    headers: HeaderSource,
    options: WatchOptions,
    guard: CallGuard,
  ) {
    this.#call = call;
    this.#guard = guard;
    this.#service = service;
    this.#headers = headers;
    call.on('data', (req: WireWatchRequest) => {
      this.#queue = this.#queue
        .then(() => this.#onRequest(req))
        .catch((err: unknown) => {
          reportIfInternal(this.#guard, 'Watch', err);
          this.#close(statusOf(err));
        });
    });
    call.on('end', () => {
      // The client closed its side: end ours once queued requests are handled.
      void this.#queue.then(() => {
        const open = !this.#closed;
        this.#close(undefined);
        if (open) this.#call.end();
      });
    });
    call.on('error', () => this.#close(undefined));
    call.on('cancelled', () => this.#close(undefined));
    const progress = setInterval(() => this.#progressTick(), options.progressNotifyIntervalMs);
    progress.unref();
    this.#timers.push(progress);
    if (call.metadata.get(REQUIRE_LEADER_KEY)[0] === 'true') {
      const leader = setInterval(() => {
        if (this.#service.status().leader === '') this.#close(EtcdErrors.noLeader);
      }, options.leaderCheckIntervalMs);
      leader.unref();
      this.#timers.push(leader);
    }
  }

  #send(res: Res): void {
    if (this.#closed) return;
    this.#call.write(res);
    if (this.#call.writableLength > WatchLimits.streamBufferResponsesMax) {
      for (const w of [...this.#watches.values()]) this.#cancel(w, 'watcher too slow: the client does not read its watch stream');
    }
  }

  async #onRequest(req: WireWatchRequest): Promise<void> {
    if (this.#closed) return;
    switch (req.request_union) {
      case 'create_request': {
        const c = req.create_request;
        if (!c) return;
        try {
          await this.#guard(this.#call, 'Watch.create', c);
        } catch (err) {
          // etcd puts the gRPC error's text in the reason ("rpc error: code = … desc = …").
          const e = grpcError(err);
          this.#refuse(-1, `rpc error: code = ${goCodeName(e.code ?? grpcStatus.UNKNOWN)} desc = ${e.details ?? ''}`);
          return;
        }
        this.#create(c);
        return;
      }
      case 'cancel_request': {
        const w = this.#watches.get(clampInt(req.cancel_request?.watch_id));
        if (w !== undefined) this.#cancel(w, '');
        return;
      }
      case 'progress_request':
        this.#send({ header: this.#headers.header(this.#headers.currentRevision()), watch_id: -1 });
        return;
      default:
        return;
    }
  }

  #refuse(id: number, reason: string): void {
    this.#send({ header: this.#headers.header(this.#headers.currentRevision()), watch_id: id, created: true, canceled: true, cancel_reason: reason });
  }

  #create(c: WireWatchCreateRequest): void {
    const asked = clampInt(c.watch_id);
    if (asked > 0 && this.#watches.has(asked)) {
      this.#refuse(-1, DUPLICATE_ID);
      return;
    }
    if (c.range_end.length > 0 && !(c.range_end.length === 1 && c.range_end[0] === 0) && Buffer.compare(c.key, c.range_end) >= 0) {
      this.#refuse(-1, EMPTY_RANGE);
      return;
    }
    if (this.#watches.size >= WatchLimits.watchesPerStreamMax) {
      this.#refuse(-1, `too many watches on one stream (max ${WatchLimits.watchesPerStreamMax})`);
      return;
    }
    let id = asked;
    if (id <= 0) {
      while (this.#watches.has(this.#nextId)) this.#nextId++;
      id = this.#nextId++;
    }
    const filters = c.filters.map(String);
    const w: StreamWatch = { id, handle: undefined, progressNotify: c.progress_notify, fragment: c.fragment, active: false };
    this.#watches.set(id, w);
    try {
      w.handle = this.#service.watch(
        {
          key: new Uint8Array(c.key),
          ...(c.range_end.length > 0 ? { rangeEnd: new Uint8Array(c.range_end) } : {}),
          startRevision: nonNegative(c.start_revision),
          prevKv: c.prev_kv,
          noPut: filters.includes('NOPUT'),
          noDelete: filters.includes('NODELETE'),
        },
        {
          created: (revision) => this.#send({ header: this.#headers.header(revision), watch_id: id, created: true }),
          events: (events) => this.#events(w, events),
          cancelled: (reason, compactRevision) => {
            if (!this.#watches.has(id)) return;
            this.#watches.delete(id);
            this.#send({
              header: this.#headers.header(this.#headers.currentRevision()),
              watch_id: id,
              canceled: true,
              ...(compactRevision > 0 ? { compact_revision: compactRevision } : { cancel_reason: reason }),
            });
          },
        },
      );
    } catch (err) {
      this.#watches.delete(id);
      this.#refuse(id, isNinesError(err) ? err.message : 'watch failed');
    }
  }

  #events(w: StreamWatch, events: readonly WatchEvent[]): void {
    if (!this.#watches.has(w.id) || events.length === 0) return;
    w.active = true;
    const last = events[events.length - 1] as WatchEvent;
    const header = this.#headers.header(last.kv.modRevision);
    const wire = events.map(eventOut);
    if (!w.fragment) {
      this.#send({ header, watch_id: w.id, events: wire });
      return;
    }
    // Fragment: split into responses under the size bound; all but the last say `fragment`.
    const serialize = etcdServices().Watch['Watch']?.responseSerialize;
    const parts: Res[][] = [];
    let part: Res[] = [];
    let size = 0;
    for (const ev of wire) {
      const evSize = serialize ? serialize({ events: [ev] }).length : 0;
      if (part.length > 0 && size + evSize > WatchLimits.fragmentBytesMax) {
        parts.push(part);
        part = [];
        size = 0;
      }
      part.push(ev);
      size += evSize;
    }
    parts.push(part);
    parts.forEach((p, i) => {
      this.#send({ header, watch_id: w.id, events: p, fragment: i < parts.length - 1 });
    });
  }

  #cancel(w: StreamWatch, reason: string): void {
    if (!this.#watches.delete(w.id)) return;
    w.handle?.cancel();
    this.#send({
      header: this.#headers.header(this.#headers.currentRevision()),
      watch_id: w.id,
      canceled: true,
      ...(reason ? { cancel_reason: reason } : {}),
    });
  }

  #progressTick(): void {
    for (const w of this.#watches.values()) {
      if (w.progressNotify && !w.active) this.#send({ header: this.#headers.header(this.#headers.currentRevision()), watch_id: w.id });
      w.active = false;
    }
  }

  #close(error: { code: grpc.status; details: string } | undefined): void {
    if (this.#closed) return;
    for (const w of this.#watches.values()) w.handle?.cancel();
    this.#watches.clear();
    for (const t of this.#timers) clearInterval(t);
    if (error !== undefined) {
      this.#call.emit('error', { code: error.code, details: error.details });
    }
    this.#closed = true;
  }
}

/** etcd's Watch service over a NodeService. */
export function watchHandlers(
  service: NodeService,
  headers: HeaderSource,
  guard: CallGuard,
  options: WatchOptions = DEFAULT_WATCH_OPTIONS,
): grpc.UntypedServiceImplementation {
  return {
    Watch: (call: grpc.ServerDuplexStream<WireWatchRequest, Res>) => {
      (async () => {
        checkLeader(service, call.metadata);
        await guard(call, 'Watch', undefined);
      })()
        .then(() => new WatchStream(call, service, headers, options, guard))
        .catch((err: unknown) => call.emit('error', grpcError(err)));
    },
  };
}

/** grpc-go's name of a status code (UNAUTHENTICATED → "Unauthenticated"). */
function goCodeName(code: grpc.status): string {
  const name = grpcStatus[code] ?? 'Unknown';
  return name
    .toLowerCase()
    .split('_')
    .map((w) => (w === '' ? w : (w[0] as string).toUpperCase() + w.slice(1)))
    .join('');
}

function statusOf(err: unknown): { code: grpc.status; details: string } {
  const e = grpcError(err);
  return { code: e.code ?? grpcStatus.INTERNAL, details: e.details ?? 'etcdserver: internal error' };
}
