import { ErrorCodes, isNinesError } from '../../core/errors.js';
import type { NodeService } from '../../server/service.js';
import type { ClusterCapability, EtcdBackend, EtcdMember, MaintenanceCapability, SnapshotStream } from './backend.js';
import { membersFromStatus } from './cluster-service.js';
import { EtcdError } from './errors.js';

/** What a running node offers beyond `NodeService` for etcd's Maintenance service. */
export interface MaintainableNode extends NodeService {
  hash(): Promise<{ hash: number; revision: number }>;
  hashKv(revision: number): Promise<{ hash: number; compactRevision: number; revision: number }>;
  /** Raft leadership transfer; NOT_LEADER on a follower, INVALID_ARGUMENT for a non-voter. */
  transferLeadership(target: number): Promise<void>;
  isLearner(): boolean;
  /** `KvStore.serialize()` at the applied index. */
  snapshotData(): { data: Uint8Array; revision: number };
  dbSizeBytes(): number;
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
 * from the node's status and its peers' client URLs. Membership changes, alarms and auth are
 * not offered until the node replicates them (docs/etcd-compat.md).
 */
export function nodeEtcdBackend(node: MaintainableNode): EtcdBackend {
  const maintenance: MaintenanceCapability = {
    dbSize: () => {
      const size = node.dbSizeBytes();
      return { sizeBytes: size, inUseBytes: size };
    },
    isLearner: () => node.isLearner(),
    hash: () => node.hash(),
    hashKv: (revision) => node.hashKv(revision),
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
  const cluster: ClusterCapability = {
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
  return {
    put: (r) => node.put(r),
    deleteRange: (r) => node.deleteRange(r),
    txn: (r, o) => node.txn(r, o),
    compact: (rev) => node.compact(rev),
    range: (r, o) => node.range(r, o),
    leaseGrant: (ttl, id) => node.leaseGrant(ttl, id),
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
  };
}
