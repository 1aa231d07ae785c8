import { InvalidArgumentError } from '../core/errors.js';
import type { NodeId } from '../core/ids.js';
import { isRaftMessage } from './envelope.js';
import { packr } from './frame.js';
import type { MessageHandler, PeerStats, RaftMessage, Transport, UnreachableHandler } from './transport.js';

/**
 * In-memory transports for tests (memberlist's mock transport idea): every message is encoded and
 * decoded with msgpack like on the wire, and delivered on a later macrotask. A message is
 * delivered only if both ends are started, know each other, and the link is not cut.
 */
export class MemoryNetwork {
  readonly #members = new Map<NodeId, MemoryTransport>();
  readonly #cut = new Set<string>();

  transport(self: NodeId): MemoryTransport {
    if (this.#members.has(self)) throw new InvalidArgumentError(`member ${self} already has a transport`);
    const t = new MemoryTransport(self, this);
    this.#members.set(self, t);
    return t;
  }

  /** Cut (or restore) the link in both directions. */
  setLink(a: NodeId, b: NodeId, up: boolean): void {
    for (const key of [`${a}>${b}`, `${b}>${a}`]) {
      if (up) this.#cut.delete(key);
      else this.#cut.add(key);
    }
  }

  /** @internal */
  route(from: MemoryTransport, message: RaftMessage): boolean {
    const target = this.#members.get(message.to);
    if (target === undefined || this.#cut.has(`${from.self}>${message.to}`)) return false;
    const copy: unknown = packr.unpack(packr.pack(message));
    if (!isRaftMessage(copy)) return false;
    setImmediate(() => target.receive(copy));
    return true;
  }
}

export class MemoryTransport implements Transport {
  readonly self: NodeId;
  readonly #network: MemoryNetwork;
  readonly #peers = new Map<NodeId, { url: string; sent: number; dropped: number }>();
  #handler: MessageHandler = () => undefined;
  #unreachable: UnreachableHandler = () => undefined;
  #started = false;

  constructor(self: NodeId, network: MemoryNetwork) {
    this.self = self;
    this.#network = network;
  }

  async start(): Promise<void> {
    this.#started = true;
  }
  async stop(): Promise<void> {
    this.#started = false;
  }
  addPeer(id: NodeId, url: string): void {
    this.#peers.set(id, { url, sent: 0, dropped: 0 });
  }
  removePeer(id: NodeId): void {
    this.#peers.delete(id);
  }
  send(messages: readonly RaftMessage[]): void {
    for (const message of messages) {
      const peer = this.#peers.get(message.to);
      if (peer === undefined || !this.#started) continue;
      if (this.#network.route(this, message)) {
        peer.sent++;
      } else {
        peer.dropped++;
        this.#unreachable(message.to);
      }
    }
  }
  onMessage(handler: MessageHandler): void {
    this.#handler = handler;
  }
  onUnreachable(handler: UnreachableHandler): void {
    this.#unreachable = handler;
  }
  stats(): PeerStats[] {
    return [...this.#peers].map(([peer, s]) => ({
      peer,
      url: s.url,
      queued: 0,
      dropped: s.dropped,
      sent: s.sent,
      connected: true,
      reconnects: 0,
      lastError: undefined,
    }));
  }

  /** @internal */
  receive(message: RaftMessage): void {
    if (this.#started && this.#peers.has(message.from)) this.#handler(message);
  }
}
