import { Agent, request } from 'node:http';
import { BenchLimits } from './limits.js';
import { errorAnswerKind, type PutApi, putRequest, putResponseRevision } from './put-request.js';

/** A failed request, with a short `kind` used to group error counts. */
export class LoadError extends Error {
  readonly kind: string;
  constructor(kind: string, detail?: string) {
    super(detail === undefined ? kind : `${kind}: ${detail}`);
    this.name = 'LoadError';
    this.kind = kind;
  }
}

/** Something the load generator can put to: one system, one endpoint (the leader). */
export interface PutTarget {
  readonly description: string;
  /** Resolves with the store revision once the put is acknowledged; rejects with a LoadError. */
  put(key: string, value: string): Promise<number>;
  close(): void;
}

/**
 * Puts over HTTP/1.1 with a keep-alive agent whose socket pool equals the in-flight count,
 * so each in-flight loop keeps its own connection.
 */
export class HttpPutTarget implements PutTarget {
  readonly description: string;
  readonly #api: PutApi;
  readonly #url: URL;
  readonly #agent: Agent;

  constructor(api: PutApi, baseUrl: string, inflight: number) {
    this.#api = api;
    this.#url = new URL(baseUrl);
    this.#agent = new Agent({ keepAlive: true, maxSockets: inflight, maxFreeSockets: inflight });
    this.description = `${api} ${this.#url.origin}`;
  }

  put(key: string, value: string): Promise<number> {
    const shape = putRequest(this.#api, key, value);
    return new Promise((resolve, reject) => {
      const req = request(
        {
          host: this.#url.hostname,
          port: this.#url.port,
          method: shape.method,
          path: shape.path,
          agent: this.#agent,
          headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(shape.body) },
        },
        (res) => {
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (chunk: Buffer) => {
            size += chunk.length;
            if (size > BenchLimits.responseBytesMax) req.destroy(new LoadError('response too large'));
            else chunks.push(chunk);
          });
          res.on('error', (err) => reject(asLoadError(err)));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            if (res.statusCode !== 200) {
              reject(new LoadError(errorAnswerKind(res.statusCode ?? 0, text), text.slice(0, 200)));
              return;
            }
            try {
              resolve(putResponseRevision(this.#api, text));
            } catch (err) {
              reject(new LoadError('bad answer', String(err)));
            }
          });
        },
      );
      req.setTimeout(BenchLimits.requestTimeoutMs, () => req.destroy(new LoadError('timeout')));
      req.on('error', (err) => reject(asLoadError(err)));
      req.end(shape.body);
    });
  }

  close(): void {
    this.#agent.destroy();
  }
}

export function asLoadError(err: unknown): LoadError {
  if (err instanceof LoadError) return err;
  const code = (err as { code?: unknown } | null)?.code;
  return new LoadError(typeof code === 'string' ? code : 'error', String(err));
}
