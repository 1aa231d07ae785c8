import type {
  CompactResponse,
  DeleteRangeRequest,
  DeleteRangeResponse,
  LeaseGrantResponse,
  LeaseKeepAliveResponse,
  LeaseRevokeResponse,
  LeaseTimeToLiveResponse,
  PutRequest,
  PutResponse,
  RangeRequest,
  RangeResponse,
  TxnRequest,
  TxnResponse,
  WatchEvent,
} from '../kv/types.js';

/**
 * What the client APIs (HTTP now, etcd gRPC later) need from a running node. Writes resolve
 * once the entry is applied on this node; reads are linearizable unless `serializable`.
 * Every method rejects with a NinesError carrying a stable code.
 */
export interface NodeService {
  put(request: PutRequest): Promise<PutResponse>;
  deleteRange(request: DeleteRangeRequest): Promise<DeleteRangeResponse>;
  txn(request: TxnRequest, options: ReadOptions): Promise<TxnResponse>;
  compact(revision: number): Promise<CompactResponse>;
  range(request: RangeRequest, options: ReadOptions): Promise<RangeResponse>;
  leaseGrant(ttlSec: number, id: number): Promise<LeaseGrantResponse>;
  leaseRevoke(id: number): Promise<LeaseRevokeResponse>;
  leaseKeepAlive(id: number): Promise<LeaseKeepAliveResponse>;
  leaseTimeToLive(id: number, keys: boolean, options: ReadOptions): Promise<LeaseTimeToLiveResponse>;
  leaseList(options: ReadOptions): Promise<{ revision: number; ids: number[] }>;
  /** Start a watch; events arrive in revision order through `sink`. */
  watch(request: WatchRequest, sink: WatchSink): WatchHandle;
  status(): NodeStatus;
  /** etcd's HashKV at `revision` (0 = current); optional (a node without it answers 404). */
  hashKv?(revision: number, options: ReadOptions): Promise<{ hash: number; compactRevision: number; revision: number }>;
  /** Hand leadership to the member named (or with the hex id) `to`; optional. */
  moveLeader?(to: string): Promise<void>;
  /** Kubernetes probe semantics. */
  live(): HealthResult;
  ready(): HealthResult;
}

export interface ReadOptions {
  readonly serializable: boolean;
}

export interface WatchRequest {
  readonly key: Uint8Array;
  readonly rangeEnd?: Uint8Array;
  /** First revision to report (inclusive); 0 = from the next change. */
  readonly startRevision: number;
  readonly prevKv: boolean;
  readonly noPut: boolean;
  readonly noDelete: boolean;
}

export interface WatchSink {
  /** The watch is set up; `revision` is the store's revision at that moment. */
  created(revision: number): void;
  /** Events of one or more revisions, in order. */
  events(events: readonly WatchEvent[]): void;
  /** The watch ended: compacted history (`compactRevision` > 0), a slow consumer, or shutdown. */
  cancelled(reason: string, compactRevision: number): void;
}

export interface WatchHandle {
  cancel(): void;
}

export interface HealthResult {
  readonly ok: boolean;
  readonly reason: string;
}

export interface PeerStatus {
  readonly id: string;
  readonly name: string;
  readonly peerUrl: string;
  readonly httpUrl?: string;
  /** This node's detector's suspicion of the peer (0 = trusted; φ or ∞ when silent). */
  readonly suspicion: number | null;
  readonly suspected: boolean;
  /** Milliseconds since a message from the peer was last received (null: never). */
  readonly lastHeardMsAgo: number | null;
}

export interface LeaderChange {
  /** Wall time (ISO 8601) when this node saw the change. */
  readonly at: string;
  readonly term: number;
  /** Member id (hex) of the new leader, or "" for none. */
  readonly leader: string;
  readonly leaderName: string;
}

export interface NodeStatus {
  readonly memberId: string;
  readonly name: string;
  readonly clusterId: string;
  readonly role: string;
  /** Leader member id (hex), "" when none is known. */
  readonly leader: string;
  readonly leaderName: string;
  readonly term: number;
  readonly commitIndex: number;
  readonly appliedIndex: number;
  readonly snapshotIndex: number;
  readonly revision: number;
  readonly compactRevision: number;
  readonly detector: string;
  /** This node's detector's suspicion of its leader (followers; null otherwise). */
  readonly leaderSuspicion: number | null;
  readonly httpUrl: string;
  readonly clientUrls: readonly string[];
  readonly peerUrl: string;
  readonly peers: readonly PeerStatus[];
  readonly leaderChanges: readonly LeaderChange[];
  readonly uptimeMs: number;
  /** Process id of the member (lets `nines up` tell its own children from strangers). */
  readonly pid: number;
  readonly version: string;
}
