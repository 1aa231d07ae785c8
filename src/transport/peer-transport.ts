import { createServer, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import { InvalidArgumentError } from '../core/errors.js';
import type { NodeId } from '../core/ids.js';
import { packr } from './frame.js';
import { serveInbound } from './inbound.js';
import { TransportLimits, type TransportLimitValues } from './limits.js';
import { OutboundLane } from './outbound.js';
import { loadPeerTls, type PeerTlsMaterial, type PeerTlsOptions } from './peer-tls.js';
import { parsePeerUrl } from './peer-url.js';
import {
  type MessageHandler,
  type PeerStats,
  type RaftMessage,
  silentLogger,
  type Transport,
  type TransportLogger,
  type UnreachableHandler,
} from './transport.js';

export interface PeerTransportOptions {
  readonly self: NodeId;
  /** Computed by the server from --initial-cluster-token and the member list. */
  readonly clusterId: string | bigint;
  /** Address to listen on (default 127.0.0.1). */
  readonly host?: string;
  /** Port to listen on; 0 (default) picks a free one, see `port` after `start()`. */
  readonly port?: number;
  readonly logger?: TransportLogger;
  /** Uniform [0,1) source for reconnect jitter (default Math.random). */
  readonly random?: () => number;
  readonly limits?: Partial<TransportLimitValues>;
  readonly reportUnreachable?: UnreachableHandler;
  /**
   * Peer TLS (etcd's --peer-* flags): listen with TLS (requiring a verified certificate from
   * dialers when `clientCertAuth`) and dial every peer with TLS, presenting the same certificate
   * and verifying the peer's against `trustedCaFile` and its host (IP SAN for IP peer URLs).
   * The files are read by the constructor; errors name the flag. Absent: plain TCP.
   */
  readonly tls?: PeerTlsOptions;
}

interface Peer {
  readonly id: NodeId;
  readonly url: string;
  readonly ctrl: OutboundLane;
  readonly bulk: OutboundLane;
}

/**
 * The TCP implementation of `Transport`: length-prefixed msgpack frames, a handshake checking
 * protocol version, cluster id and member ids, and per peer two outbound connections (control
 * and bulk lanes) with bounded queues and reconnect backoff. See `Transport` for the contract.
 */
export class PeerTransport implements Transport {
  readonly self: NodeId;
  readonly clusterId: string;
  readonly limits: TransportLimitValues;
  readonly #host: string;
  readonly #port: number;
  readonly #logger: TransportLogger;
  readonly #random: () => number;
  readonly #peers = new Map<NodeId, Peer>();
  readonly #inbound = new Set<Socket>();
  readonly #tls: PeerTlsMaterial | undefined;
  #server: Server | undefined;
  #boundPort = 0;
  #handler: MessageHandler = () => undefined;
  #unreachable: UnreachableHandler;
  #stopped = false;
  /** Messages dropped because their `to` is not a known peer (or the transport is stopped). */
  droppedUnroutable = 0;

  constructor(options: PeerTransportOptions) {
    this.self = options.self;
    this.clusterId = String(options.clusterId);
    if (this.clusterId === '') throw new InvalidArgumentError('clusterId must not be empty');
    this.limits = { ...TransportLimits, ...options.limits };
    checkLimits(this.limits);
    this.#host = options.host ?? '127.0.0.1';
    this.#port = options.port ?? 0;
    this.#logger = options.logger ?? silentLogger;
    this.#random = options.random ?? Math.random;
    this.#unreachable = options.reportUnreachable ?? (() => undefined);
    this.#tls = options.tls === undefined ? undefined : loadPeerTls(options.tls);
  }

  /** Whether this transport speaks TLS (listener and dialer). */
  get secure(): boolean {
    return this.#tls !== undefined;
  }

  /** The bound port (valid after `start()`). */
  get port(): number {
    return this.#boundPort;
  }

  async start(): Promise<void> {
    if (this.#server !== undefined) return;
    const server = this.#tls === undefined ? createServer((socket) => this.#accept(socket)) : this.#createTlsServer(this.#tls);
    server.maxConnections = this.limits.inboundConnectionsMax;
    this.#server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.#port, this.#host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    server.on('error', (err) => this.#logger.error({ err }, 'peer listener error'));
    const address = server.address();
    this.#boundPort = typeof address === 'object' && address !== null ? address.port : this.#port;
    this.#logger.info({ host: this.#host, port: this.#boundPort, self: this.self }, 'peer transport listening');
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    for (const peer of this.#peers.values()) {
      peer.ctrl.close();
      peer.bulk.close();
    }
    for (const socket of this.#inbound) socket.destroy();
    this.#inbound.clear();
    const server = this.#server;
    this.#server = undefined;
    if (server !== undefined) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  addPeer(id: NodeId, url: string): void {
    if (id === this.self) throw new InvalidArgumentError(`addPeer: ${id} is this member itself`);
    const existing = this.#peers.get(id);
    if (existing !== undefined && existing.url === url) return;
    if (existing !== undefined) this.removePeer(id);
    const { host, port } = parsePeerUrl(url);
    const lane = (name: 'ctrl' | 'bulk') =>
      new OutboundLane({
        self: this.self,
        peer: id,
        clusterId: this.clusterId,
        lane: name,
        host,
        port,
        limits: this.limits,
        logger: this.#logger,
        random: this.#random,
        unreachable: () => this.#unreachable(id),
        ...(this.#tls === undefined ? {} : { tls: this.#tls }),
      });
    this.#peers.set(id, { id, url, ctrl: lane('ctrl'), bulk: lane('bulk') });
  }

  removePeer(id: NodeId): void {
    const peer = this.#peers.get(id);
    if (peer === undefined) return;
    peer.ctrl.close();
    peer.bulk.close();
    this.#peers.delete(id);
  }

  send(messages: readonly RaftMessage[]): void {
    for (const message of messages) {
      const peer = this.#stopped ? undefined : this.#peers.get(message.to);
      if (peer === undefined) {
        this.droppedUnroutable++;
        continue;
      }
      const body = packr.pack({ k: 'msg', m: message });
      const bulk = message.type === 'snap' || body.length > this.limits.bulkMessageBytesMin;
      if (!(bulk ? peer.bulk : peer.ctrl).enqueue(body)) this.#unreachable(peer.id);
    }
  }

  onMessage(handler: MessageHandler): void {
    this.#handler = handler;
  }

  onUnreachable(handler: UnreachableHandler): void {
    this.#unreachable = handler;
  }

  stats(): PeerStats[] {
    return [...this.#peers.values()].map((p) => ({
      peer: p.id,
      url: p.url,
      queued: p.ctrl.queued + p.bulk.queued,
      dropped: p.ctrl.dropped + p.bulk.dropped,
      sent: p.ctrl.sent + p.bulk.sent,
      connected: p.ctrl.connected,
      reconnects: Math.max(0, p.ctrl.connections - 1) + Math.max(0, p.bulk.connections - 1),
      lastError: p.ctrl.lastError ?? p.bulk.lastError,
    }));
  }

  /**
   * A TLS listener: connections are served once the TLS handshake succeeds; a failed handshake
   * (no or an untrusted certificate, a plain-TCP dialer) is logged with its reason and closed.
   * Raw sockets are tracked from accept so `stop()` also ends handshakes in progress.
   */
  #createTlsServer(material: PeerTlsMaterial): Server {
    const server = createTlsServer(
      {
        cert: material.cert,
        key: material.key,
        ...(material.ca === undefined ? {} : { ca: material.ca }),
        requestCert: material.clientCertAuth,
        rejectUnauthorized: material.clientCertAuth,
        handshakeTimeout: this.limits.handshakeTimeoutMs,
      },
      (socket) => this.#accept(socket),
    );
    server.on('connection', (raw: Socket) => {
      if (this.#stopped) {
        raw.destroy();
        return;
      }
      this.#inbound.add(raw);
      raw.on('close', () => this.#inbound.delete(raw));
    });
    server.on('tlsClientError', (err, socket) => {
      this.#logger.warn(
        { remote: `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}`, reason: err.message },
        'refused peer TLS connection',
      );
    });
    return server;
  }

  #accept(socket: Socket): void {
    if (this.#stopped) {
      socket.destroy();
      return;
    }
    this.#inbound.add(socket);
    socket.on('close', () => this.#inbound.delete(socket));
    serveInbound(socket, {
      expectations: {
        version: this.limits.protocolVersion,
        clusterId: this.clusterId,
        self: this.self,
        isMember: (id) => this.#peers.has(id),
      },
      limits: this.limits,
      logger: this.#logger,
      deliver: (message) => {
        if (!this.#stopped) this.#handler(message);
      },
    });
  }
}

/** Reject limit combinations that cannot work, naming the field. */
function checkLimits(limits: TransportLimitValues): void {
  for (const [name, value] of Object.entries(limits)) {
    if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
      throw new InvalidArgumentError(`transport limit ${name} must be a positive number, got ${String(value)}`);
    }
  }
  if (limits.partBytes + PART_OVERHEAD_BYTES > limits.frameBytesMax) {
    throw new InvalidArgumentError(
      `transport limit partBytes (${limits.partBytes}) must leave ${PART_OVERHEAD_BYTES} bytes of room under frameBytesMax (${limits.frameBytesMax})`,
    );
  }
  if (limits.reconnectDelayMsMin > limits.reconnectDelayMsMax) {
    throw new InvalidArgumentError('transport limit reconnectDelayMsMin must be <= reconnectDelayMsMax');
  }
}

/** Upper bound of the msgpack envelope around one part's bytes. */
const PART_OVERHEAD_BYTES = 64;
