import { ErrorCodes, isNinesError } from '../../core/errors.js';
import type { NodeService } from '../../server/service.js';
import type { RequestOp } from '../../kv/types.js';
import type {
  AlarmCapability,
  AlarmType,
  ClusterCapability,
  EtcdAlarm,
  EtcdBackend,
  EtcdMember,
  MaintenanceCapability,
  SnapshotStream,
} from './backend.js';
import { membersFromStatus } from './cluster-service.js';
import { type AuthCommand, AuthState } from './auth/state.js';
import { EtcdError } from './errors.js';

/** What a running node offers beyond `NodeService` for etcd's Maintenance service. */
export interface MaintainableNode extends NodeService {
  hash(options: { serializable: boolean }): Promise<{ hash: number; revision: number }>;
  hashKv(revision: number, options: { serializable: boolean }): Promise<{ hash: number; compactRevision: number; revision: number }>;
  /** Raft leadership transfer; NOT_LEADER on a follower, INVALID_ARGUMENT for a non-voter. */
  transferLeadership(target: number): Promise<void>;
  isLearner(): boolean;
  /** `KvStore.serialize()` at the applied index. */
  snapshotData(): { data: Uint8Array; revision: number };
  dbSizeBytes(): number;
}

/** A member as a node's membership API gives it (src/server/node.ts `MemberInfo`). */
export interface NodeMember {
  readonly id: number;
  readonly name: string;
  readonly peerUrls: readonly string[];
  readonly clientUrls: readonly string[];
  readonly isLearner: boolean;
}

/**
 * Online membership change through raft (src/server/node.ts). Refusals are NinesErrors with
 * a `reason` naming etcd's error (`peerUrlExists`, `memberNotFound`, …).
 */
export interface MembershipNode {
  memberList(): NodeMember[];
  memberAdd(peerUrls: readonly string[], isLearner: boolean): Promise<{ member: NodeMember; members: NodeMember[] }>;
  memberRemove(id: number): Promise<NodeMember[]>;
  memberUpdate(id: number, peerUrls: readonly string[]): Promise<NodeMember[]>;
  memberPromote(id: number): Promise<NodeMember[]>;
}

const MEMBERSHIP_REFUSALS: ReadonlySet<string> = new Set([
  'peerUrlExists',
  'memberNotFound',
  'memberNotLearner',
  'learnerNotReady',
  'memberNotEnoughStarted',
  'tooManyLearners',
]);

function etcdMember(m: NodeMember): EtcdMember {
  return { id: BigInt(m.id), name: m.name, peerUrls: m.peerUrls, clientUrls: m.clientUrls, isLearner: m.isLearner };
}

/** Run a membership call, mapping the node's refusals onto etcd's errors. */
async function membership<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    const reason = (err as { reason?: unknown }).reason;
    if (typeof reason === 'string' && MEMBERSHIP_REFUSALS.has(reason)) {
      throw new EtcdError(reason as 'peerUrlExists' | 'memberNotFound' | 'memberNotLearner' | 'learnerNotReady' | 'memberNotEnoughStarted' | 'tooManyLearners');
    }
    throw err;
  }
}

/** A wire member id as the node's number; ids beyond 48 bits are no member of nines. */
function memberNumber(id: bigint): number {
  if (id <= 0n || id > BigInt(Number.MAX_SAFE_INTEGER)) throw new EtcdError('memberNotFound');
  return Number(id);
}

function membershipCapability(node: MembershipNode & NodeService, learned: PeerClientUrls): ClusterCapability {
  return {
    memberList: async () => {
      const members = node.memberList().map(etcdMember);
      // A member publishes its client URLs shortly after it starts; until then ask its HTTP status.
      if (members.every((m) => m.clientUrls.length > 0)) return members;
      const urls = await learned.lookup(node.status().peers);
      return members.map((m) => (m.clientUrls.length > 0 ? m : { ...m, clientUrls: urls.get(m.id.toString(16).padStart(12, '0')) ?? [] }));
    },
    memberAdd: (peerUrls, isLearner) =>
      membership(async () => {
        const r = await node.memberAdd(peerUrls, isLearner);
        return { member: etcdMember(r.member), members: r.members.map(etcdMember) };
      }),
    memberRemove: (id) => membership(async () => (await node.memberRemove(memberNumber(id))).map(etcdMember)),
    memberUpdate: (id, peerUrls) => membership(async () => (await node.memberUpdate(memberNumber(id), peerUrls)).map(etcdMember)),
    memberPromote: (id) => membership(async () => (await node.memberPromote(memberNumber(id))).map(etcdMember)),
  };
}

/** A node that replicates etcd's auth state (src/server/node.ts). */
export interface AuthNode {
  readonly authState: AuthState;
  proposeAuth(command: AuthCommand): Promise<void>;
}

function isAuthNode(node: object): node is AuthNode {
  const n = node as Partial<AuthNode>;
  return n.authState instanceof AuthState && typeof n.proposeAuth === 'function';
}

/** A node that replicates etcd's alarms and knows its quota (src/server/node.ts). */
export interface AlarmNode {
  alarmList(): { memberId: number; alarm: AlarmType }[];
  alarmActivate(memberId: number, alarm: AlarmType): Promise<{ memberId: number; alarm: AlarmType }[]>;
  alarmDeactivate(memberId: number, alarm: AlarmType): Promise<{ memberId: number; alarm: AlarmType }[]>;
  quotaExceeded(growBytes: number): boolean;
}

function isAlarmNode(node: object): node is AlarmNode {
  const n = node as Partial<AlarmNode>;
  return typeof n.alarmList === 'function' && typeof n.alarmActivate === 'function' && typeof n.quotaExceeded === 'function';
}

/** Bytes a write adds (keys and values of its puts, nested transactions included); 0 = no put. */
function putBytes(ops: readonly RequestOp[] | undefined): number {
  let n = 0;
  for (const op of ops ?? []) {
    if (op.type === 'put') n += op.request.key.length + (op.request.value?.length ?? 0) + 1;
    else if (op.type === 'txn') n += putBytes(op.request.success) + putBytes(op.request.failure);
  }
  return n;
}

/**
 * etcd's quota: while NOSPACE is raised, writes that grow the store are refused; a write
 * that would pass the quota raises NOSPACE through raft (for this member) and is refused.
 */
async function checkSpace(node: AlarmNode, growBytes: number): Promise<void> {
  if (node.alarmList().some((a) => a.alarm === 'NOSPACE')) throw new EtcdError('noSpace');
  if (node.quotaExceeded(growBytes)) {
    await node.alarmActivate(0, 'NOSPACE');
    throw new EtcdError('noSpace');
  }
}

function alarmCapability(node: AlarmNode): AlarmCapability {
  const out = (list: { memberId: number; alarm: AlarmType }[]): EtcdAlarm[] => list.map((a) => ({ memberId: BigInt(a.memberId), alarm: a.alarm }));
  const id = (memberId: bigint): number => (memberId < 0n || memberId > BigInt(Number.MAX_SAFE_INTEGER) ? -1 : Number(memberId));
  return {
    list: async () => out(node.alarmList()),
    activate: async (memberId, alarm) => (id(memberId) < 0 ? out(node.alarmList()) : out(await node.alarmActivate(id(memberId), alarm))),
    deactivate: async (memberId, alarm) => {
      const n = id(memberId);
      // etcd answers a deactivation of an alarm that is not raised with no alarms and changes nothing.
      if (!node.alarmList().some((a) => a.memberId === n && a.alarm === alarm)) return [];
      await node.alarmDeactivate(n, alarm);
      // etcd answers with the alarm it cleared.
      return [{ memberId, alarm }];
    },
  };
}

function isMembershipNode(node: object): node is MembershipNode {
  const n = node as Partial<MembershipNode>;
  return typeof n.memberList === 'function' && typeof n.memberAdd === 'function' && typeof n.memberPromote === 'function';
}

const SNAPSHOT_CHUNK_BYTES = 64 * 1024;

export const PeerClientUrlLimits = {
  /** How long a member list waits for a peer's HTTP status to learn its client URLs. */
  fetchTimeoutMs: 500,
  /** Learned client URLs are asked again after this long. */
  refreshMs: 30_000,
  /** Bytes of a peer's status document read. */
  statusBytesMax: 1024 * 1024,
} as const;

/**
 * Peers' client URLs, which a node's status does not carry: learned from each peer's HTTP
 * status (`GET {httpUrl}/v1/status` → `clientUrls`) and cached. A peer that does not answer
 * is listed without client URLs (as etcd lists an unstarted member).
 */
class PeerClientUrls {
  readonly #known = new Map<string, { urls: readonly string[]; atMs: number }>();

  async lookup(peers: readonly { id: string; httpUrl?: string }[]): Promise<Map<string, readonly string[]>> {
    const now = performance.now();
    await Promise.all(
      peers.map(async (p) => {
        const cached = this.#known.get(p.id);
        if (p.httpUrl === undefined || (cached !== undefined && now - cached.atMs < PeerClientUrlLimits.refreshMs)) return;
        try {
          const res = await fetch(new URL('/v1/status', p.httpUrl), { signal: AbortSignal.timeout(PeerClientUrlLimits.fetchTimeoutMs) });
          const text = await res.text();
          if (!res.ok || text.length > PeerClientUrlLimits.statusBytesMax) return;
          const urls = (JSON.parse(text) as { clientUrls?: unknown }).clientUrls;
          if (Array.isArray(urls) && urls.every((u) => typeof u === 'string')) this.#known.set(p.id, { urls, atMs: now });
        } catch {
          // Unreachable peer: listed without client URLs this time.
        }
      }),
    );
    return new Map([...this.#known].map(([id, v]) => [id, v.urls]));
  }
}


/**
 * The etcd backend of a running node: every NodeService call goes to the node, Maintenance
 * maps onto the node's hash/transfer/snapshot methods with etcd's errors, MemberList is built
 * from the node's replicated member records when the node offers membership changes
 * (`MembershipNode`), else from its status and its peers' client URLs. Alarms and auth are
 * not offered until the node replicates them (docs/etcd-compat.md).
 */
export function nodeEtcdBackend(node: MaintainableNode): EtcdBackend {
  const maintenance: MaintenanceCapability = {
    dbSize: () => {
      const size = node.dbSizeBytes();
      return { sizeBytes: size, inUseBytes: size };
    },
    isLearner: () => node.isLearner(),
    // Served from this member's own state, as etcd does: no leader needed, so every member of a
    // cluster (or of one without a quorum) can be asked and compared.
    hash: () => node.hash({ serializable: true }),
    hashKv: (revision) => node.hashKv(revision, { serializable: true }),
    moveLeader: async (target) => {
      if (target <= 0n || target > BigInt(Number.MAX_SAFE_INTEGER)) throw new EtcdError('badLeaderTransferee');
      try {
        await node.transferLeadership(Number(target));
      } catch (err) {
        if (isNinesError(err) && err.code === ErrorCodes.NOT_LEADER) throw new EtcdError('notLeader');
        if (isNinesError(err) && err.code === ErrorCodes.INVALID_ARGUMENT) throw new EtcdError('badLeaderTransferee');
        throw err;
      }
    },
    // LMDB reuses freed pages itself; there is nothing to rewrite.
    defragment: async () => {},
    snapshot: async (): Promise<SnapshotStream> => {
      const { data, revision } = node.snapshotData();
      async function* chunks(): AsyncGenerator<Uint8Array> {
        for (let off = 0; off < data.length; off += SNAPSHOT_CHUNK_BYTES) yield data.subarray(off, off + SNAPSHOT_CHUNK_BYTES);
      }
      return { sizeBytes: data.length, revision, chunks: chunks() };
    },
  };
  const peerUrls = new PeerClientUrls();
  const cluster: ClusterCapability = isMembershipNode(node) ? membershipCapability(node, peerUrls) : {
    memberList: async (): Promise<EtcdMember[]> => {
      const status = node.status();
      const learned = await peerUrls.lookup(status.peers);
      return membersFromStatus(node).map((m) => {
        const hex = m.id.toString(16).padStart(12, '0');
        const urls = m.clientUrls.length > 0 ? m.clientUrls : (learned.get(hex) ?? []);
        return { ...m, clientUrls: urls };
      });
    },
    // Membership changes need raft configuration changes the node does not propose yet.
    memberAdd: async () => {
      throw new EtcdError('notCapable');
    },
    memberRemove: async () => {
      throw new EtcdError('notCapable');
    },
    memberUpdate: async () => {
      throw new EtcdError('notCapable');
    },
    memberPromote: async () => {
      throw new EtcdError('notCapable');
    },
  };
  const quota = isAlarmNode(node) ? node : undefined;
  return {
    put: async (r) => {
      if (quota !== undefined) await checkSpace(quota, r.key.length + (r.value?.length ?? 0) + 1);
      return node.put(r);
    },
    deleteRange: (r) => node.deleteRange(r),
    txn: async (r, o) => {
      const grow = putBytes(r.success) + putBytes(r.failure);
      if (quota !== undefined && grow > 0) await checkSpace(quota, grow);
      return node.txn(r, o);
    },
    compact: (rev) => node.compact(rev),
    range: (r, o) => node.range(r, o),
    leaseGrant: async (ttl, id) => {
      if (quota !== undefined) await checkSpace(quota, 1);
      return node.leaseGrant(ttl, id);
    },
    leaseRevoke: (id) => node.leaseRevoke(id),
    leaseKeepAlive: (id) => node.leaseKeepAlive(id),
    leaseTimeToLive: (id, keys, o) => node.leaseTimeToLive(id, keys, o),
    leaseList: (o) => node.leaseList(o),
    watch: (r, sink) => node.watch(r, sink),
    status: () => node.status(),
    live: () => node.live(),
    ready: () => node.ready(),
    maintenance,
    cluster,
    ...(quota === undefined ? {} : { alarms: alarmCapability(quota) }),
    ...(isAuthNode(node) ? { auth: { state: node.authState, propose: (command: AuthCommand) => node.proposeAuth(command) } } : {}),
  };
}
