import { fileURLToPath } from 'node:url';
import { type Client, credentials, loadPackageDefinition, Metadata, type ServiceError } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { asLoadError, LoadError, type PutTarget } from './http-put.js';
import { BenchLimits } from './limits.js';

/**
 * Puts over the etcd v3 gRPC API (`etcdserverpb.KV/Put`), using the project's own proto files
 * in proto/. One HTTP/2 channel per target, like etcd's clients: in-flight requests are
 * multiplexed as streams on it.
 */

/** proto/ at the repository root (this file runs from dist/bench/lib/). */
const PROTO_DIR = fileURLToPath(new URL('../../../proto/', import.meta.url));

interface PutAnswer {
  header?: { revision?: string | number };
}
type PutCallback = (err: ServiceError | null, answer?: PutAnswer) => void;
interface KvClient extends Client {
  Put(request: { key: Buffer; value: Buffer }, metadata: Metadata, options: { deadline: number }, callback: PutCallback): void;
}
type KvConstructor = new (address: string, creds: ReturnType<typeof credentials.createInsecure>, options: Record<string, unknown>) => KvClient;

let kvConstructor: KvConstructor | null = null;

/** The generated KV client class (loaded once). */
function kvClass(): KvConstructor {
  if (kvConstructor === null) {
    const definition = loadSync('etcdserverpb/rpc.proto', { includeDirs: [PROTO_DIR], longs: String, enums: String, defaults: false, oneofs: true });
    const loaded = loadPackageDefinition(definition) as unknown as { etcdserverpb: { KV: KvConstructor } };
    kvConstructor = loaded.etcdserverpb.KV;
  }
  return kvConstructor;
}

/** "http://127.0.0.1:2379" → "127.0.0.1:2379" (gRPC addresses have no scheme). */
export function grpcAddress(clientUrl: string): string {
  const url = new URL(clientUrl);
  if (url.protocol !== 'http:') throw new Error(`only plain-text http:// client URLs are benchmarked over gRPC, got ${clientUrl}`);
  return url.host;
}

export class GrpcPutTarget implements PutTarget {
  readonly description: string;
  readonly #client: KvClient;

  constructor(clientUrl: string) {
    const Kv = kvClass();
    this.#client = new Kv(grpcAddress(clientUrl), credentials.createInsecure(), {});
    this.description = `grpc ${clientUrl}`;
  }

  put(key: string, value: string): Promise<number> {
    return new Promise((resolve, reject) => {
      const deadline = Date.now() + BenchLimits.requestTimeoutMs;
      this.#client.Put({ key: Buffer.from(key, 'utf8'), value: Buffer.from(value, 'utf8') }, new Metadata(), { deadline }, (err, answer) => {
        if (err !== null) {
          reject(err.code !== undefined ? new LoadError(`grpc ${err.code}`, err.details) : asLoadError(err));
          return;
        }
        const revision = Number(answer?.header?.revision);
        if (!Number.isSafeInteger(revision) || revision < 1) reject(new LoadError('bad answer', 'put answer without a revision'));
        else resolve(revision);
      });
    });
  }

  close(): void {
    this.#client.close();
  }
}
