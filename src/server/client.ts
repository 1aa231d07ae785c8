import { type ErrorCode, ErrorCodes, NinesError } from '../core/errors.js';

/** Per-request timeout of the HTTP client (a bit above the server's own request timeout). */
const CLIENT_REQUEST_TIMEOUT_MS = 8_000;
/** Rounds over all endpoints before giving up on a retryable failure. */
const CLIENT_ROUNDS_MAX = 3;
/** Pause between rounds. */
const CLIENT_ROUND_PAUSE_MS = 300;

const KNOWN_CODES: ReadonlySet<string> = new Set(Object.values(ErrorCodes));

/** An error answered by a node (or failing to reach one), with its HTTP status (0 = none). */
export class ClientError extends NinesError {
  readonly status: number;
  readonly endpoint: string;
  constructor(code: ErrorCode, message: string, status: number, endpoint: string) {
    super(code, message);
    this.name = 'ClientError';
    this.status = status;
    this.endpoint = endpoint;
  }
}

/** Whether a request that failed this way surely did not take effect, so it is safe to retry. */
function retryable(err: ClientError): boolean {
  if (err.status === 0) return err.code === ErrorCodes.UNAVAILABLE; // connection refused/reset before sending
  return err.status === 503;
}

export interface WatchEventJson {
  readonly event: string;
  readonly id?: number;
  readonly data: Record<string, unknown>;
}

/**
 * A small client of the HTTP/JSON API over several endpoints: a request goes to the first
 * endpoint that answers; on a connection failure or 503 (nothing was done) it tries the
 * next, up to `CLIENT_ROUNDS_MAX` rounds. A 504 (the outcome is unknown) is not retried.
 */
export class NinesHttpClient {
  readonly endpoints: readonly string[];
  #preferred = 0;

  constructor(endpoints: readonly string[]) {
    if (endpoints.length === 0) throw new NinesError(ErrorCodes.INVALID_ARGUMENT, 'no endpoints given');
    this.endpoints = endpoints.map((e) => e.replace(/\/+$/, ''));
  }

  /** One request to one endpoint; resolves with the parsed JSON body of a 2xx answer. */
  async requestOne(endpoint: string, method: string, path: string, body?: unknown, timeoutMs = CLIENT_REQUEST_TIMEOUT_MS): Promise<unknown> {
    let res: Response;
    try {
      const init: RequestInit = { method, signal: AbortSignal.timeout(timeoutMs) };
      if (body !== undefined) {
        init.body = JSON.stringify(body);
        init.headers = { 'content-type': 'application/json' };
      }
      res = await fetch(`${endpoint}${path}`, init);
    } catch (err) {
      const cause = (err as { cause?: { code?: string } }).cause;
      const timedOut = (err as Error).name === 'TimeoutError';
      const refused = cause?.code === 'ECONNREFUSED';
      const why = timedOut
        ? `no answer within ${timeoutMs} ms`
        : refused
          ? 'connection refused (is the member running? `nines up` starts a local cluster)'
          : (cause?.code ?? (err as { cause?: Error }).cause?.message ?? (err as Error).message);
      throw new ClientError(
        timedOut ? ErrorCodes.TIMEOUT : ErrorCodes.UNAVAILABLE,
        `${endpoint}: ${why}`,
        0,
        endpoint,
      );
    }
    const text = await res.text();
    let json: unknown;
    try {
      json = text === '' ? {} : JSON.parse(text);
    } catch {
      json = { message: text };
    }
    if (res.ok) return json;
    const o = (json ?? {}) as { code?: unknown; message?: unknown };
    const code = typeof o.code === 'string' && KNOWN_CODES.has(o.code) ? (o.code as ErrorCode) : ErrorCodes.INTERNAL;
    throw new ClientError(code, `${endpoint}: ${typeof o.message === 'string' ? o.message : `HTTP ${res.status}`}`, res.status, endpoint);
  }

  /** A request with failover across endpoints (see the class comment). */
  async request(method: string, path: string, body?: unknown): Promise<unknown> {
    let last: ClientError | undefined;
    for (let round = 0; round < CLIENT_ROUNDS_MAX; round++) {
      for (let i = 0; i < this.endpoints.length; i++) {
        const index = (this.#preferred + i) % this.endpoints.length;
        const endpoint = this.endpoints[index]!;
        try {
          const out = await this.requestOne(endpoint, method, path, body);
          this.#preferred = index;
          return out;
        } catch (err) {
          if (!(err instanceof ClientError) || !retryable(err)) throw err;
          last = err;
        }
      }
      await new Promise((r) => setTimeout(r, CLIENT_ROUND_PAUSE_MS));
    }
    throw last ?? new NinesError(ErrorCodes.UNAVAILABLE, 'no endpoint answered');
  }

  put(key: string, value: string, options: { lease?: number; prevKv?: boolean } = {}): Promise<unknown> {
    return this.request('PUT', kvPath(key), { value, ...options });
  }

  get(key: string, options: { serializable?: boolean; revision?: number } = {}): Promise<unknown> {
    const q = new URLSearchParams();
    if (options.serializable === true) q.set('serializable', 'true');
    if (options.revision !== undefined) q.set('revision', String(options.revision));
    const qs = q.toString();
    return this.request('GET', `${kvPath(key)}${qs === '' ? '' : `?${qs}`}`);
  }

  delete(key: string, options: { prefix?: boolean; prevKv?: boolean } = {}): Promise<unknown> {
    const q = new URLSearchParams();
    if (options.prefix === true) q.set('prefix', 'true');
    if (options.prevKv === true) q.set('prevKv', 'true');
    const qs = q.toString();
    return this.request('DELETE', `${kvPath(key)}${qs === '' ? '' : `?${qs}`}`);
  }

  range(request: Record<string, unknown>): Promise<unknown> {
    return this.request('POST', '/v1/kv/range', request);
  }

  status(endpoint: string): Promise<unknown> {
    return this.requestOne(endpoint, 'GET', '/v1/status', undefined, 3_000);
  }

  /**
   * Follow a watch (server-sent events) on the first endpoint that accepts it, calling
   * `onEvent` for each event until `signal` aborts or the server ends the stream.
   */
  async watch(query: Record<string, string>, onEvent: (e: WatchEventJson) => void, signal: AbortSignal): Promise<void> {
    let lastError: unknown;
    for (const endpoint of this.endpoints) {
      let res: Response;
      try {
        res = await fetch(`${endpoint}/v1/watch?${new URLSearchParams(query).toString()}`, { signal });
      } catch (err) {
        if (signal.aborted) return;
        lastError = err;
        continue;
      }
      if (!res.ok || res.body === null) {
        const text = await res.text();
        let o: { code?: string; message?: string } = {};
        try {
          o = JSON.parse(text) as typeof o;
        } catch {
          o = { message: text };
        }
        const code = typeof o.code === 'string' && KNOWN_CODES.has(o.code) ? (o.code as ErrorCode) : ErrorCodes.INTERNAL;
        const err = new ClientError(code, `${endpoint}: ${o.message ?? `HTTP ${res.status}`}`, res.status, endpoint);
        if (!retryable(err)) throw err;
        lastError = err;
        continue;
      }
      try {
        await readSse(res.body, onEvent);
      } catch (err) {
        if (signal.aborted) return;
        throw err;
      }
      return;
    }
    throw lastError instanceof Error ? lastError : new NinesError(ErrorCodes.UNAVAILABLE, 'no endpoint accepted the watch');
  }
}

function kvPath(key: string): string {
  return `/v1/kv/${encodeURIComponent(key)}`;
}

/** Parse a server-sent-event stream (`id:`, `event:`, `data:` lines; blank line ends an event). */
export async function readSse(body: ReadableStream<Uint8Array>, onEvent: (e: WatchEventJson) => void): Promise<void> {
  const decoder = new TextDecoder();
  let buffer = '';
  let event = 'message';
  let id: number | undefined;
  let data = '';
  for await (const chunk of body as unknown as AsyncIterable<Uint8Array>) {
    buffer += decoder.decode(chunk, { stream: true });
    for (let nl = buffer.indexOf('\n'); nl >= 0; nl = buffer.indexOf('\n')) {
      const line = buffer.slice(0, nl).replace(/\r$/, '');
      buffer = buffer.slice(nl + 1);
      if (line === '') {
        if (data !== '') {
          const parsed = JSON.parse(data) as Record<string, unknown>;
          onEvent(id === undefined ? { event, data: parsed } : { event, id, data: parsed });
        }
        event = 'message';
        id = undefined;
        data = '';
      } else if (line.startsWith('event:')) event = line.slice(6).trim();
      else if (line.startsWith('id:')) id = Number(line.slice(3).trim());
      else if (line.startsWith('data:')) data += line.slice(5).trim();
    }
  }
}
