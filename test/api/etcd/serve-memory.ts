/**
 * Test helper: serves the etcd API over a fresh MemoryEtcdBackend on 127.0.0.1 (a free
 * port). Run directly (`npx tsx`-less: `node --import` not needed in vitest) from tests.
 */
import { MemoryEtcdBackend, type MemoryBackendOptions } from '../../../src/api/etcd/memory-backend.js';
import { EtcdGrpcServer, type EtcdServerOptions } from '../../../src/api/etcd/server.js';

export interface Served {
  readonly backend: MemoryEtcdBackend;
  readonly server: EtcdGrpcServer;
  /** host:port for --endpoints. */
  readonly endpoint: string;
  stop(): Promise<void>;
}

export async function serveMemory(
  backendOptions: MemoryBackendOptions = {},
  serverOptions: Partial<Omit<EtcdServerOptions, 'backend'>> = {},
): Promise<Served> {
  const backend = new MemoryEtcdBackend(backendOptions);
  const server = await EtcdGrpcServer.start({ backend, listenUrls: ['http://127.0.0.1:0'], ninesVersion: 'test', ...serverOptions });
  const endpoint = server.addresses[0] as string;
  return {
    backend,
    server,
    endpoint,
    stop: async () => {
      await server.stop(100);
      backend.close();
    },
  };
}
