import type { Logger } from 'pino';
import type { NodeId } from '../core/ids.js';
import type { Message } from '../raft/messages.js';
import { PeerTransport } from '../transport/peer-transport.js';
import type { RaftMessage } from '../transport/transport.js';
import { hostPort, type NodeConfig } from './config.js';
import { formatId } from './member-id.js';
import type { NinesNode, PeerNetwork } from './node.js';

/** A snapshot not acknowledged within this is reported failed to raft (which retries). */
const SNAPSHOT_SEND_TIMEOUT_MS = 30_000;

/**
 * Connect a node to its peers over src/transport's TCP `PeerTransport`: listen on
 * `--listen-peer-urls`, dial every other member of the cluster, hand received messages to
 * raft, and report unreachable peers (and failed snapshot sends) back to raft. The handshake
 * carries the cluster id, so a member of another cluster (another token) is refused.
 */
export async function startPeerNetwork(config: NodeConfig, node: NinesNode, logger: Logger): Promise<PeerNetwork> {
  const { host, port } = hostPort(config.listenPeerUrls[0]!);
  const log = logger.child({ component: 'transport' });
  const transport = new PeerTransport({
    self: config.memberId,
    clusterId: formatId(config.clusterId),
    host,
    port,
    logger: log,
    ...(config.peerTls === undefined ? {} : { tls: config.peerTls }),
    reportUnreachable: (peer: NodeId) => {
      node.reportUnreachable(peer);
      if (snapshotsInFlight.delete(peer)) node.reportSnapshot(peer, false);
    },
  });
  /** Peers a snapshot was just handed to the transport for. */
  const snapshotsInFlight = new Set<NodeId>();
  transport.onMessage((m: RaftMessage) => node.receive(m as unknown as Message));
  for (const member of config.members) {
    if (member.id !== config.memberId) transport.addPeer(member.id, member.peerUrl);
  }
  await transport.start();
  return {
    send(messages: readonly Message[]): void {
      transport.send(messages as unknown as readonly RaftMessage[]);
      for (const m of messages) {
        if (m.type !== 'snap') continue;
        // Raft leaves snapshot state when the follower acknowledges the snapshot's index. A
        // send that fails shows up as unreachable (above); one lost without a trace is
        // reported failed after SNAPSHOT_SEND_TIMEOUT_MS so raft tries again.
        snapshotsInFlight.add(m.to);
        setTimeout(() => {
          if (snapshotsInFlight.delete(m.to)) node.reportSnapshot(m.to, false);
        }, SNAPSHOT_SEND_TIMEOUT_MS).unref();
      }
    },
    stop: () => transport.stop(),
    addPeer: (id: NodeId, url: string) => {
      if (id === config.memberId) return;
      try {
        transport.addPeer(id, url);
      } catch (err) {
        log.warn({ err, peer: formatId(id), url }, 'cannot dial an added member (bad peer URL?)');
      }
    },
    removePeer: (id: NodeId) => transport.removePeer(id),
  };
}
