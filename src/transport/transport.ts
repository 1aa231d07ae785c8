import type { NodeId } from '../core/ids.js';

/**
 * A raft message as the transport sees it: opaque, except for routing fields. Values may be
 * numbers, strings, booleans, null, arrays, nested objects and Uint8Array (received as Buffer).
 */
export interface RaftMessage {
  readonly from: NodeId;
  readonly to: NodeId;
  readonly type: string;
  readonly [field: string]: unknown;
}

export type MessageHandler = (message: RaftMessage) => void;
export type UnreachableHandler = (peer: NodeId) => void;

/** pino-compatible logger subset. */
export interface TransportLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export const silentLogger: TransportLogger = {
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};

/** Per-peer counters, for metrics and status. */
export interface PeerStats {
  readonly peer: NodeId;
  readonly url: string;
  /** Messages waiting in the peer's queues (both lanes). */
  readonly queued: number;
  /** Messages dropped because a queue was full or the connection failed with them in it. */
  readonly dropped: number;
  /** Messages written to the peer's sockets. */
  readonly sent: number;
  /** Whether the control lane is connected and past the handshake. */
  readonly connected: boolean;
  /** Connections established after the first. */
  readonly reconnects: number;
  readonly lastError: string | undefined;
}

/**
 * The narrow contract between the server and the network (memberlist's Transport idea).
 *
 * - `send` never blocks and never throws because of a peer: delivery is best effort, at most
 *   once. Messages to one peer on one lane arrive in order; the control lane (everything but
 *   snapshots) and the bulk lane (type 'snap' and large messages) are independent, so a
 *   heartbeat never waits behind a snapshot. Raft retransmits whatever is lost.
 * - A message whose `to` is not a known peer is dropped and counted.
 * - Queues are bounded; when full, the newest message is dropped and counted.
 * - The unreachable handler is called when a message to a peer could not be delivered (dial
 *   failure, connection lost with messages pending, queue overflow), so raft can be told
 *   (`ReportUnreachable`). It may be called repeatedly for the same peer.
 * - The message handler receives each delivered message once, already decoded; a throwing
 *   handler is logged, never fatal.
 * - After `stop()` nothing is delivered and `send` drops everything.
 */
export interface Transport {
  start(): Promise<void>;
  stop(): Promise<void>;
  addPeer(id: NodeId, url: string): void;
  removePeer(id: NodeId): void;
  send(messages: readonly RaftMessage[]): void;
  onMessage(handler: MessageHandler): void;
  onUnreachable(handler: UnreachableHandler): void;
  stats(): PeerStats[];
}

/** The bulk lane carries snapshots and anything large; the control lane everything else. */
export type Lane = 'ctrl' | 'bulk';
