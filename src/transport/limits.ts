import { Limits } from '../core/limits.js';

/** Named limits and timings of the peer transport. */
export interface TransportLimitValues {
  readonly protocolVersion: number;
  readonly frameBytesMax: number;
  readonly peerQueueMessagesMax: number;
  readonly peerQueueBytesMax: number;
  readonly bulkQueueMessagesMax: number;
  readonly bulkMessageBytesMin: number;
  readonly partBytes: number;
  readonly messageBytesMax: number;
  readonly reconnectDelayMsMin: number;
  readonly reconnectDelayMsMax: number;
  readonly handshakeTimeoutMs: number;
  readonly socketBufferedBytesMax: number;
  readonly inboundConnectionsMax: number;
}

export const TransportLimits: TransportLimitValues = {
  /** Version of the framing and handshake spoken here; a peer with another version is refused. */
  protocolVersion: 1,
  /** Largest frame read or written (4-byte length prefix not included). */
  frameBytesMax: Limits.frameBytesMax,
  /** Messages queued per peer on the control lane before new ones are dropped. */
  peerQueueMessagesMax: Limits.peerQueueMessagesMax,
  /** Bytes queued per peer on the control lane before new messages are dropped. */
  peerQueueBytesMax: 64 * 1024 * 1024,
  /** Large messages (snapshots) queued per peer on the bulk lane before new ones are dropped. */
  bulkQueueMessagesMax: 4,
  /** A message goes to the bulk lane if its type is 'snap' or it encodes to more than this. */
  bulkMessageBytesMin: 256 * 1024,
  /** Bulk messages are sent as parts of this size (well under frameBytesMax). */
  partBytes: 1024 * 1024,
  /** Largest reassembled bulk message accepted from a peer. */
  messageBytesMax: 1024 * 1024 * 1024,
  /** First reconnect delay after a failure; doubles per failed attempt. */
  reconnectDelayMsMin: 100,
  /** Cap of the reconnect delay. */
  reconnectDelayMsMax: 5_000,
  /** Time allowed for the hello/welcome exchange. */
  handshakeTimeoutMs: 5_000,
  /** Stop writing to a socket whose kernel/user buffer holds more than this; resume on 'drain'. */
  socketBufferedBytesMax: 1024 * 1024,
  /** Accepted peer connections open at once (two lanes per peer, plus reconnect overlap). */
  inboundConnectionsMax: 256,
};
