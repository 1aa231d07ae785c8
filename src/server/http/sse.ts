import { ErrorCodes, NinesError } from '../../core/errors.js';
import { ServerLimits } from '../limits.js';
import type { NodeService, WatchHandle, WatchRequest } from '../service.js';
import type { HttpContext } from './api.js';
import { watchEventJson } from './kv-json.js';

/** Interval of SSE comment lines that keep idle connections (and proxies) open. */
const SSE_PING_MS = 15_000;

/** The open watch streams of one server, bounded by `ServerLimits.watchStreamsMax`. */
export class WatchStreams {
  readonly #open = new Set<() => void>();
  #closed = false;

  get size(): number {
    return this.#open.size;
  }

  /** Register a stream's closer; throws UNAVAILABLE past the limit or after `closeAll`. */
  add(close: () => void): () => void {
    if (this.#closed) throw new NinesError(ErrorCodes.STOPPED, 'the server is shutting down');
    if (this.#open.size >= ServerLimits.watchStreamsMax) {
      throw new NinesError(ErrorCodes.UNAVAILABLE, `too many open watch streams (watchStreamsMax ${ServerLimits.watchStreamsMax})`);
    }
    this.#open.add(close);
    return () => this.#open.delete(close);
  }

  closeAll(): void {
    this.#closed = true;
    for (const close of [...this.#open]) close();
    this.#open.clear();
  }
}

/**
 * Serve a watch as server-sent events. Each event's SSE `id` is its revision, so a client
 * that reconnects with `Last-Event-ID` (or `startRevision` = last + 1) misses nothing.
 * Events: `created` {revision}, `put`/`delete` {type, kv, prevKv?}, `cancelled`
 * {reason, compactRevision}. A client too slow to drain `watchEventsBufferedMax` events is
 * cancelled rather than buffered without bound.
 */
export function serveWatch(ctx: HttpContext, streams: WatchStreams, service: NodeService, request: WatchRequest): void {
  const res = ctx.res;
  let handle: WatchHandle | undefined;
  let ended = false;
  let buffered = 0;
  // Until the watch is set up, output is held back so a refused watch answers a plain 4xx.
  let held: string[] | null = [];
  let earlyCancel: { reason: string; compactRevision: number } | undefined;
  const end = (): void => {
    if (ended) return;
    ended = true;
    clearInterval(ping);
    unregister();
    handle?.cancel();
    if (held === null) res.end();
  };
  const unregister = streams.add(end);
  const ping = setInterval(() => {
    if (held === null && !ended) res.write(': ping\n\n');
  }, SSE_PING_MS);
  ping.unref();
  const send = (event: string, data: unknown, id?: number): void => {
    if (ended) return;
    const frame = `${id === undefined ? '' : `id: ${id}\n`}event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
    if (held !== null) {
      held.push(frame);
      return;
    }
    if (!res.write(frame)) {
      buffered++;
      if (buffered > ServerLimits.watchEventsBufferedMax) {
        res.write(`event: cancelled\ndata: ${JSON.stringify({ reason: 'slow consumer', compactRevision: 0 })}\n\n`);
        end();
      }
    }
  };
  try {
    handle = service.watch(request, {
      created: (revision) => send('created', { revision }),
      events: (events) => {
        for (const e of events) send(e.type, watchEventJson(e), e.kv.modRevision);
      },
      cancelled: (reason, compactRevision) => {
        if (held !== null) {
          earlyCancel = { reason, compactRevision };
          return;
        }
        send('cancelled', { reason, compactRevision });
        end();
      },
    });
  } catch (err) {
    held = null;
    ended = true;
    clearInterval(ping);
    unregister();
    throw err;
  }
  if (earlyCancel !== undefined) {
    held = null;
    ended = true;
    clearInterval(ping);
    unregister();
    handle.cancel();
    if (earlyCancel.compactRevision > 0) {
      throw new NinesError(
        ErrorCodes.COMPACTED,
        `watch start revision ${request.startRevision} is compacted (compact revision ${earlyCancel.compactRevision}); restart from ${earlyCancel.compactRevision}`,
      );
    }
    throw new NinesError(ErrorCodes.UNAVAILABLE, `watch refused: ${earlyCancel.reason}`);
  }
  res.on('drain', () => {
    buffered = 0;
  });
  ctx.req.on('close', end);
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
  });
  const frames = held;
  held = null;
  res.write(frames.join(''));
}
