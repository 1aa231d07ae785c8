import { createHash } from 'node:crypto';
import { type NodeId, nodeId } from '../core/ids.js';

/** Ids are 48-bit so they stay safe JavaScript integers (etcd uses 64 bits). */
const ID_BYTES = 6;

function hash48(parts: readonly string[]): number {
  const digest = createHash('sha256').update(parts.join('\n')).digest();
  const id = digest.readUIntBE(0, ID_BYTES);
  return id === 0 ? 1 : id;
}

/**
 * A member's id, derived deterministically (like etcd) from its name, its advertised peer
 * URL and the cluster token: the same flags always give the same id, and the same member
 * in two clusters with different tokens gets different ids.
 */
export function memberIdFor(name: string, peerUrl: string, token: string): NodeId {
  return nodeId(hash48(['nines-member', name, peerUrl, token]));
}

/**
 * A member's id from its advertised peer URL and the cluster token only (etcd derives ids
 * from peer URLs and the cluster name, not the member name). `etcdctl member add` gives the
 * cluster only the peer URL, so a member added at run time must get the same id from the
 * URL that the new member computes from its own flags.
 */
export function memberIdForPeer(peerUrl: string, token: string): NodeId {
  return nodeId(hash48(['nines-member', peerUrl, token]));
}

/**
 * The cluster id, from the token and the (sorted) given member ids. nines servers pass no
 * ids (the token alone names the cluster), so that a member joining later with another
 * `--initial-cluster` computes the same id.
 */
export function clusterIdFor(token: string, memberIds: readonly NodeId[]): number {
  const sorted = [...memberIds].sort((a, b) => a - b).map(String);
  return hash48(['nines-cluster', token, ...sorted]);
}

/** Ids shown to people as 12 hex digits, like etcd's member ids. */
export function formatId(id: number): string {
  return id.toString(16).padStart(ID_BYTES * 2, '0');
}
