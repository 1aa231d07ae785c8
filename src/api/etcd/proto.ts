import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { NinesError, ErrorCodes } from '../../core/errors.js';

/** Directories walked up from this file looking for the package root. */
const PACKAGE_ROOT_DEPTH_MAX = 8;

/**
 * The `proto/` directory of the nines package. Found by walking up from this module until
 * a directory holds both `package.json` and `proto/etcdserverpb/rpc.proto`, so it works
 * from `src/` (vitest) and from `dist/src/` (built) alike.
 */
export function protoDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < PACKAGE_ROOT_DEPTH_MAX; i++) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'proto', 'etcdserverpb', 'rpc.proto'))) {
      return join(dir, 'proto');
    }
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  throw new NinesError(ErrorCodes.INTERNAL, 'cannot find the proto/ directory of the nines package (reinstall nines)');
}

/**
 * Decoding options: field names as in the .proto (snake_case), 64-bit integers as decimal
 * strings (lease ids and member ids use all 64 bits), enums as their names, bytes as
 * Buffers, defaults filled in and the name of the set member of every oneof.
 */
export const PROTO_OPTIONS: protoLoader.Options = {
  keepCase: true,
  longs: String,
  enums: String,
  bytes: Buffer,
  defaults: true,
  oneofs: true,
};

export interface EtcdServices {
  readonly KV: grpc.ServiceDefinition;
  readonly Watch: grpc.ServiceDefinition;
  readonly Lease: grpc.ServiceDefinition;
  readonly Cluster: grpc.ServiceDefinition;
  readonly Maintenance: grpc.ServiceDefinition;
  readonly Auth: grpc.ServiceDefinition;
}

let cached: { services: EtcdServices; grpcObject: grpc.GrpcObject } | undefined;

function load(): { services: EtcdServices; grpcObject: grpc.GrpcObject } {
  if (cached !== undefined) return cached;
  const dir = protoDir();
  const definition = protoLoader.loadSync(join(dir, 'etcdserverpb', 'rpc.proto'), { ...PROTO_OPTIONS, includeDirs: [dir] });
  const grpcObject = grpc.loadPackageDefinition(definition);
  const pkg = grpcObject['etcdserverpb'] as grpc.GrpcObject;
  const service = (name: string): grpc.ServiceDefinition => {
    const ctor = pkg[name] as grpc.ServiceClientConstructor | undefined;
    if (ctor === undefined) throw new NinesError(ErrorCodes.INTERNAL, `proto/etcdserverpb/rpc.proto lacks service ${name}`);
    return ctor.service;
  };
  cached = {
    services: {
      KV: service('KV'),
      Watch: service('Watch'),
      Lease: service('Lease'),
      Cluster: service('Cluster'),
      Maintenance: service('Maintenance'),
      Auth: service('Auth'),
    },
    grpcObject,
  };
  return cached;
}

/** The etcd v3 service definitions, loaded once from `proto/`. */
export function etcdServices(): EtcdServices {
  return load().services;
}

/** Client constructors for the same services (tests and tools). */
export function etcdClientConstructors(): Record<keyof EtcdServices, grpc.ServiceClientConstructor> {
  const pkg = load().grpcObject['etcdserverpb'] as grpc.GrpcObject;
  return {
    KV: pkg['KV'] as grpc.ServiceClientConstructor,
    Watch: pkg['Watch'] as grpc.ServiceClientConstructor,
    Lease: pkg['Lease'] as grpc.ServiceClientConstructor,
    Cluster: pkg['Cluster'] as grpc.ServiceClientConstructor,
    Maintenance: pkg['Maintenance'] as grpc.ServiceClientConstructor,
    Auth: pkg['Auth'] as grpc.ServiceClientConstructor,
  };
}
