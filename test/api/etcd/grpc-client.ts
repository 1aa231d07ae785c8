import * as grpc from '@grpc/grpc-js';
import { etcdClientConstructors } from '../../../src/api/etcd/proto.js';

export type Clients = { [K in keyof ReturnType<typeof etcdClientConstructors>]: grpc.Client };

/** Raw etcd gRPC clients (decoded with the same options as the server) for `endpoint`. */
export function clients(endpoint: string, creds: grpc.ChannelCredentials = grpc.credentials.createInsecure()): Clients & { close(): void } {
  const ctors = etcdClientConstructors();
  const out = {
    KV: new ctors.KV(endpoint, creds),
    Watch: new ctors.Watch(endpoint, creds),
    Lease: new ctors.Lease(endpoint, creds),
    Cluster: new ctors.Cluster(endpoint, creds),
    Maintenance: new ctors.Maintenance(endpoint, creds),
    Auth: new ctors.Auth(endpoint, creds),
  };
  return {
    ...out,
    close: () => {
      for (const c of Object.values(out)) c.close();
    },
  };
}

export type Reply = Record<string, unknown> & { header?: Record<string, unknown> };

/** Calls a unary method; resolves with the response or the gRPC error. */
export function call(client: grpc.Client, method: string, request: unknown, metadata = new grpc.Metadata()): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const fn = (client as unknown as Record<string, (...a: unknown[]) => void>)[method];
    if (fn === undefined) throw new Error(`no method ${method}`);
    fn.call(client, request, metadata, (err: grpc.ServiceError | null, res: Reply) => (err ? reject(err) : resolve(res)));
  });
}

/** Sends raw bytes as the request of `path` (e.g. /etcdserverpb.KV/Put). */
export function callRaw(client: grpc.Client, path: string, bytes: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    client.makeUnaryRequest(
      path,
      (b: Buffer) => b,
      (b: Buffer) => b,
      bytes,
      (err: grpc.ServiceError | null, res?: Buffer) => (err ? reject(err) : resolve(res as Buffer)),
    );
  });
}
