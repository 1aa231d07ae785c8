/** etcd's v3 gRPC API over nines: see docs/etcd-compat.md. */
export { AuthState, type AuthCommand, type Permission, type PermType } from './auth/state.js';
export type {
  AlarmCapability,
  AlarmType,
  AuthCapability,
  ClusterCapability,
  EtcdAlarm,
  EtcdBackend,
  EtcdMember,
  MaintenanceCapability,
  SnapshotStream,
} from './backend.js';
export { EtcdError, EtcdErrors, type EtcdStatus, toEtcdStatus } from './errors.js';
export { DEFAULT_QUOTA_BACKEND_BYTES, type MemoryBackendOptions, MemoryEtcdBackend } from './memory-backend.js';
export { type MaintainableNode, nodeEtcdBackend } from './node-backend.js';
export { etcdClientConstructors, etcdServices, protoDir } from './proto.js';
export { EtcdGrpcServer, type EtcdServerOptions, EtcdServerLimits, parseListenUrl } from './server.js';
export { frameSnapshot, readSnapshotFile } from './snapshot-file.js';
export type { EtcdTlsOptions } from './tls.js';
export { ETCD_COMPAT_VERSION } from './version.js';
