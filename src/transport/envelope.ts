import type { NodeId } from '../core/ids.js';
import type { Lane, RaftMessage } from './transport.js';

/**
 * What travels in a frame body (msgpack). The first frame on a connection is the dialer's
 * `hello`; the acceptor answers `welcome` or `refuse` (and closes). Then the dialer sends
 * `msg` frames, or on the bulk lane `part` frames that together encode one message.
 */
export interface Hello {
  readonly k: 'hello';
  readonly version: number;
  readonly clusterId: string;
  readonly from: number;
  readonly to: number;
  readonly lane: Lane;
}
export interface Welcome {
  readonly k: 'welcome';
}
export interface Refuse {
  readonly k: 'refuse';
  readonly reason: string;
}
export interface MessageEnvelope {
  readonly k: 'msg';
  readonly m: RaftMessage;
}
/** One part of a large message: `total` bytes of msgpack split in order; `last` closes it. */
export interface PartEnvelope {
  readonly k: 'part';
  readonly total: number;
  readonly last: boolean;
  readonly b: Uint8Array;
}
export type Envelope = Hello | Welcome | Refuse | MessageEnvelope | PartEnvelope;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Uint8Array);
}

function isId(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value > 0;
}

/** A decoded raft message has numeric from/to and a string type; anything else is refused. */
export function isRaftMessage(value: unknown): value is RaftMessage {
  return isRecord(value) && isId(value['from']) && isId(value['to']) && typeof value['type'] === 'string';
}

/** Validate a decoded frame body; undefined when it is not a well-formed envelope. */
export function toEnvelope(value: unknown): Envelope | undefined {
  if (!isRecord(value)) return undefined;
  switch (value['k']) {
    case 'hello': {
      const { version, clusterId, from, to, lane } = value;
      if (typeof version !== 'number' || typeof clusterId !== 'string' || !isId(from) || !isId(to)) return undefined;
      if (lane !== 'ctrl' && lane !== 'bulk') return undefined;
      return { k: 'hello', version, clusterId, from, to, lane };
    }
    case 'welcome':
      return { k: 'welcome' };
    case 'refuse':
      return typeof value['reason'] === 'string' ? { k: 'refuse', reason: value['reason'] } : undefined;
    case 'msg':
      return isRaftMessage(value['m']) ? { k: 'msg', m: value['m'] } : undefined;
    case 'part': {
      const { total, last, b } = value;
      if (typeof total !== 'number' || !Number.isSafeInteger(total) || total < 0) return undefined;
      if (typeof last !== 'boolean' || !(b instanceof Uint8Array)) return undefined;
      return { k: 'part', total, last, b };
    }
    default:
      return undefined;
  }
}

export interface HandshakeExpectations {
  readonly version: number;
  readonly clusterId: string;
  readonly self: NodeId;
  readonly isMember: (id: NodeId) => boolean;
}

/** Why the acceptor refuses this hello, or undefined to accept it. */
export function refusalReason(hello: Hello, expected: HandshakeExpectations): string | undefined {
  if (hello.version !== expected.version) {
    return `protocol version mismatch: peer speaks ${hello.version}, this member speaks ${expected.version}`;
  }
  if (hello.clusterId !== expected.clusterId) {
    return `cluster id mismatch: peer is in cluster ${hello.clusterId}, this member is in cluster ${expected.clusterId} (check --initial-cluster-token and --initial-cluster)`;
  }
  if (hello.to !== expected.self) {
    return `wrong member: peer dialled member ${hello.to}, this is member ${expected.self} (check --initial-cluster URLs)`;
  }
  if (!expected.isMember(hello.from as NodeId)) {
    return `unknown member ${hello.from}: not in this member's peer list`;
  }
  return undefined;
}
