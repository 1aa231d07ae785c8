import type { NodeService } from '../../server/service.js';
import type { AuthCommand, AuthState } from './auth/state.js';

/**
 * What the etcd gRPC edge needs beyond `NodeService`. Every capability is optional: an
 * RPC whose capability is missing answers etcd's "not capable" (UNAVAILABLE) or, where etcd
 * has a harmless answer (no alarms, nothing to defragment), that answer.
 * Member ids are 64-bit on the wire; here they are `bigint`.
 * See /work/notes/server-needs-etcd.md for what the real node must provide.
 */
export interface EtcdBackend extends NodeService {
  readonly cluster?: ClusterCapability;
  readonly maintenance?: MaintenanceCapability;
  readonly alarms?: AlarmCapability;
  readonly auth?: AuthCapability;
}

export interface EtcdMember {
  readonly id: bigint;
  /** Empty for a member added but not started yet (as etcd). */
  readonly name: string;
  readonly peerUrls: readonly string[];
  readonly clientUrls: readonly string[];
  readonly isLearner: boolean;
}

/** Online membership change through raft (etcd's Cluster service). */
export interface ClusterCapability {
  memberList(): Promise<readonly EtcdMember[]>;
  /** Rejects with EtcdError('peerUrlExists' | 'memberBadUrls' | 'tooManyLearners' …). */
  memberAdd(peerUrls: readonly string[], isLearner: boolean): Promise<{ member: EtcdMember; members: readonly EtcdMember[] }>;
  /** Rejects with EtcdError('memberNotFound' | 'memberNotEnoughStarted'). */
  memberRemove(id: bigint): Promise<readonly EtcdMember[]>;
  memberUpdate(id: bigint, peerUrls: readonly string[]): Promise<readonly EtcdMember[]>;
  /** Rejects with EtcdError('memberNotLearner' | 'learnerNotReady' | 'memberNotFound'). */
  memberPromote(id: bigint): Promise<readonly EtcdMember[]>;
}

/** A consistent snapshot of the member's whole state, read in chunks. */
export interface SnapshotStream {
  readonly sizeBytes: number;
  /** Revision the snapshot was taken at (the first response header's revision). */
  readonly revision: number;
  readonly chunks: AsyncIterable<Uint8Array>;
}

export interface MaintenanceCapability {
  /** Size of the member's storage, allocated and in use, in bytes. */
  dbSize(): { sizeBytes: number; inUseBytes: number };
  /** This member is a raft learner. */
  isLearner(): boolean;
  /** Hash of the whole replicated state (etcd's Hash, for testing). */
  hash(): Promise<{ hash: number; revision: number }>;
  /** etcd's HashKV: hash of MVCC keys up to `revision` (0 = current). */
  hashKv(revision: number): Promise<{ hash: number; compactRevision: number; revision: number }>;
  /** Hand leadership to `targetId`; only the leader can (EtcdError('notLeader')). */
  moveLeader(targetId: bigint): Promise<void>;
  defragment(): Promise<void>;
  /** A consistent snapshot that `nines` can restore from. */
  snapshot(): Promise<SnapshotStream>;
}

export type AlarmType = 'NOSPACE' | 'CORRUPT';

export interface EtcdAlarm {
  readonly memberId: bigint;
  readonly alarm: AlarmType;
}

/** etcd's replicated alarms; NOSPACE is raised past the storage quota and blocks writes. */
export interface AlarmCapability {
  list(): Promise<readonly EtcdAlarm[]>;
  activate(memberId: bigint, alarm: AlarmType): Promise<readonly EtcdAlarm[]>;
  deactivate(memberId: bigint, alarm: AlarmType): Promise<readonly EtcdAlarm[]>;
}

/** etcd's auth: state replicated as `AuthCommand`s (src/api/etcd/auth/state.ts). */
export interface AuthCapability {
  /** The auth state as applied on this member. */
  readonly state: AuthState;
  /** Replicate and apply `command`; resolves once applied here, rejects with its EtcdError. */
  propose(command: AuthCommand): Promise<void>;
}
