import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ErrorCodes, NinesError } from '../../core/errors.js';
import { outcomeOfHttpStatus, type RequestOutcome } from '../../slo/outcome.js';
import { type ApiDeps, buildRouter, type HttpContext } from './api.js';
import { errorResponse } from './errors.js';
import type { Router } from './router.js';
import { WatchStreams } from './sse.js';

/**
 * One answered client request, as the SLIs see it. `method` is the route's stable name
 * ("kv.put", "kv.get", "txn", …). This is the hook for src/slo's recorder: every `/v1/`
 * request is reported exactly once, when its response has been written (a watch stream
 * when it is set up).
 */
export interface RequestRecord {
  readonly method: string;
  readonly outcome: RequestOutcome;
  readonly latencyMs: number;
  readonly status: number;
}
export type RequestRecorder = (record: RequestRecord) => void;

export interface HttpApiOptions extends Omit<ApiDeps, 'watches'> {
  readonly recorders: readonly RequestRecorder[];
  /** Called for 5xx answers (for the log). */
  readonly onServerError?: (method: string, err: unknown) => void;
}

/** The HTTP/JSON API, health, metrics and dashboard of one node, on node:http. */
export class HttpApiServer {
  readonly #server: Server;
  readonly #router: Router<HttpContext>;
  readonly #watches = new WatchStreams();
  readonly #options: HttpApiOptions;
  #stopping = false;

  constructor(options: HttpApiOptions) {
    this.#options = options;
    this.#router = buildRouter({ ...options, watches: this.#watches });
    this.#server = createServer((req, res) => {
      void this.#handle(req, res);
    });
    this.#server.keepAliveTimeout = 5_000;
  }

  /** Listen; resolves with the bound port (useful with port 0). */
  listen(host: string, port: number): Promise<number> {
    return new Promise((resolve, reject) => {
      const onError = (err: Error): void => reject(err);
      this.#server.once('error', onError);
      this.#server.listen(port, host, () => {
        this.#server.off('error', onError);
        resolve((this.#server.address() as AddressInfo).port);
      });
    });
  }

  /** Stop taking requests: new ones get 503; watch streams end; idle connections close. */
  stopAccepting(): void {
    this.#stopping = true;
    this.#watches.closeAll();
    this.#server.close();
    this.#server.closeIdleConnections();
  }

  /** Close everything, waiting at most `graceMs` for in-flight requests. */
  async close(graceMs: number): Promise<void> {
    this.stopAccepting();
    const timer = setTimeout(() => this.#server.closeAllConnections(), graceMs);
    await new Promise<void>((resolve) => {
      if (!this.#server.listening) resolve();
      else this.#server.close(() => resolve());
      this.#server.closeIdleConnections();
    }).catch(() => undefined);
    clearTimeout(timer);
    this.#server.closeAllConnections();
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const startedMs = performance.now();
    let method = 'unknown';
    let error: unknown;
    const ctx: HttpContext = {
      req,
      res,
      url: new URL(req.url ?? '/', 'http://localhost'),
      json(body: unknown, status = 200): void {
        const text = JSON.stringify(body);
        res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
        res.end(text);
      },
    };
    try {
      if (this.#stopping) throw new NinesError(ErrorCodes.STOPPED, 'the node is shutting down; try another member');
      const match = this.#router.match(req.method ?? 'GET', ctx.url.pathname);
      method = match.route.name;
      await match.route.handler(ctx, match.rest);
    } catch (err) {
      error = err;
      const e = errorResponse(err);
      if (!res.headersSent) {
        if (e.status === 503) res.setHeader('retry-after', '1');
        ctx.json(e.body, e.status);
      } else {
        res.end();
      }
      if (e.status >= 500) this.#options.onServerError?.(method, err);
    }
    if (!ctx.url.pathname.startsWith('/v1/')) return;
    const status = error === undefined ? res.statusCode : errorResponse(error).status;
    const record: RequestRecord = {
      method,
      outcome: outcomeOfHttpStatus(status),
      latencyMs: performance.now() - startedMs,
      status,
    };
    for (const recorder of this.#options.recorders) recorder(record);
  }
}
