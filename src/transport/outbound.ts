import { connect, type Socket } from 'node:net';
import { connect as connectTls } from 'node:tls';
import { assert } from '../core/errors.js';
import type { NodeId } from '../core/ids.js';
import { backoffDelayMs } from './backoff.js';
import { type Envelope, toEnvelope } from './envelope.js';
import { FrameDecoder, frameOf, packFrame, packr } from './frame.js';
import type { TransportLimitValues } from './limits.js';
import { type PeerTlsMaterial, peerServerIdentity } from './peer-tls.js';
import type { Lane, TransportLogger } from './transport.js';

export interface OutboundContext {
  readonly self: NodeId;
  readonly peer: NodeId;
  readonly clusterId: string;
  readonly lane: Lane;
  readonly host: string;
  readonly port: number;
  readonly limits: TransportLimitValues;
  readonly logger: TransportLogger;
  readonly random: () => number;
  /** Called when messages to the peer could not be delivered. */
  readonly unreachable: () => void;
  /** Dial with TLS, presenting this certificate and verifying the peer's (absent: plain TCP). */
  readonly tls?: PeerTlsMaterial;
}

type State = 'idle' | 'dialing' | 'ready' | 'backoff' | 'closed';

/**
 * One outbound connection to one peer on one lane, with its bounded FIFO queue of encoded
 * `msg` envelopes. Dials on demand, handshakes, writes with backpressure (waits for 'drain'
 * above socketBufferedBytesMax), and after a failure redials with exponential backoff and jitter.
 * On the bulk lane each envelope is written as `part` frames of `partBytes`.
 */
export class OutboundLane {
  readonly #ctx: OutboundContext;
  readonly #queueMessagesMax: number;
  #queue: Uint8Array[] = [];
  #queuedBytes = 0;
  #state: State = 'idle';
  #socket: Socket | undefined;
  #timer: NodeJS.Timeout | undefined;
  #attempt = 0;
  #pumping = false;
  dropped = 0;
  sent = 0;
  connections = 0;
  lastError: string | undefined;

  constructor(ctx: OutboundContext) {
    this.#ctx = ctx;
    this.#queueMessagesMax = ctx.lane === 'bulk' ? ctx.limits.bulkQueueMessagesMax : ctx.limits.peerQueueMessagesMax;
  }

  get queued(): number {
    return this.#queue.length;
  }
  get connected(): boolean {
    return this.#state === 'ready';
  }

  /** Queue an encoded envelope; false (and counted as dropped) when the queue is full. */
  enqueue(body: Uint8Array): boolean {
    if (this.#state === 'closed') return false;
    const bytesMax = this.#ctx.lane === 'bulk' ? Number.POSITIVE_INFINITY : this.#ctx.limits.peerQueueBytesMax;
    if (this.#queue.length >= this.#queueMessagesMax || this.#queuedBytes + body.length > bytesMax) {
      this.dropped++;
      return false;
    }
    this.#queue.push(body);
    this.#queuedBytes += body.length;
    if (this.#state === 'idle') this.#dial();
    else if (this.#state === 'ready') this.#startPump();
    return true;
  }

  close(): void {
    this.#state = 'closed';
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#socket?.destroy();
    this.#socket = undefined;
    this.#queue = [];
    this.#queuedBytes = 0;
  }

  #dial(): void {
    assert(this.#state === 'idle' || this.#state === 'backoff', `dial from state ${this.#state}`);
    const { host, port, limits } = this.#ctx;
    this.#state = 'dialing';
    const tls = this.#ctx.tls;
    const socket =
      tls === undefined
        ? connect({ host, port })
        : connectTls({
            host,
            port,
            cert: tls.cert,
            key: tls.key,
            ...(tls.ca === undefined ? {} : { ca: tls.ca }),
            checkServerIdentity: (_servername, cert) => peerServerIdentity(host, cert),
          });
    this.#socket = socket;
    socket.setNoDelay(true);
    const decoder = new FrameDecoder(limits.frameBytesMax);
    const handshakeTimer = setTimeout(() => this.#fail(socket, 'handshake timed out'), limits.handshakeTimeoutMs);
    socket.on(tls === undefined ? 'connect' : 'secureConnect', () => {
      socket.write(
        packFrame(
          { k: 'hello', version: limits.protocolVersion, clusterId: this.#ctx.clusterId, from: this.#ctx.self, to: this.#ctx.peer, lane: this.#ctx.lane },
          limits.frameBytesMax,
        ),
      );
    });
    socket.on('data', (chunk: Buffer) => {
      let envelopes: Array<Envelope | undefined>;
      try {
        envelopes = decoder.push(chunk).map((body) => toEnvelope(packr.unpack(body)));
      } catch (err) {
        this.#fail(socket, `bad frame from peer: ${err instanceof Error ? err.message : String(err)}`);
        return;
      }
      for (const envelope of envelopes) {
        if (this.#state !== 'dialing' || this.#socket !== socket) return;
        clearTimeout(handshakeTimer);
        if (envelope?.k === 'welcome') {
          this.#onReady();
        } else if (envelope?.k === 'refuse') {
          this.#ctx.logger.warn(
            { peer: this.#ctx.peer, lane: this.#ctx.lane, reason: envelope.reason },
            'peer refused the connection',
          );
          this.#fail(socket, `refused by peer: ${envelope.reason}`);
        } else {
          this.#fail(socket, 'unexpected handshake reply');
        }
      }
    });
    socket.on('error', (err) => this.#fail(socket, err.message));
    socket.on('close', () => {
      clearTimeout(handshakeTimer);
      this.#fail(socket, 'connection closed');
    });
  }

  #onReady(): void {
    if (this.connections > 0) {
      this.#ctx.logger.info({ peer: this.#ctx.peer, lane: this.#ctx.lane }, 'reconnected to peer');
    }
    this.#state = 'ready';
    this.#attempt = 0;
    this.connections++;
    this.lastError = undefined;
    this.#startPump();
  }

  #startPump(): void {
    this.#pump().catch((err: unknown) => {
      // A bug, not a peer problem: log it and drop the connection rather than crash the node.
      this.#ctx.logger.error({ peer: this.#ctx.peer, lane: this.#ctx.lane, err }, 'peer writer failed');
      if (this.#socket !== undefined) this.#fail(this.#socket, 'writer failed');
    });
  }

  /** Write queued envelopes while connected; only one pump runs at a time. */
  async #pump(): Promise<void> {
    if (this.#pumping) return;
    this.#pumping = true;
    try {
      while (this.#state === 'ready' && this.#queue.length > 0) {
        const socket = this.#socket!;
        const body = this.#queue.shift()!;
        this.#queuedBytes -= body.length;
        const ok = this.#ctx.lane === 'bulk' ? await this.#writeParts(socket, body) : await this.#writeWhole(socket, body);
        if (!ok) {
          this.dropped++;
          this.#ctx.unreachable();
          return;
        }
        this.sent++;
      }
    } finally {
      this.#pumping = false;
    }
  }

  async #writeWhole(socket: Socket, body: Uint8Array): Promise<boolean> {
    if (body.length > this.#ctx.limits.frameBytesMax) {
      this.#ctx.logger.error({ peer: this.#ctx.peer, bytes: body.length }, 'message larger than frameBytesMax dropped');
      return true;
    }
    return this.#write(socket, frameOf(body, this.#ctx.limits.frameBytesMax));
  }

  async #writeParts(socket: Socket, body: Uint8Array): Promise<boolean> {
    const { partBytes, frameBytesMax } = this.#ctx.limits;
    for (let offset = 0; offset < body.length || offset === 0; offset += partBytes) {
      const b = body.subarray(offset, offset + partBytes);
      const last = offset + partBytes >= body.length;
      if (!(await this.#write(socket, packFrame({ k: 'part', total: body.length, last, b }, frameBytesMax)))) return false;
      if (last) break;
    }
    return true;
  }

  /** Write one frame, waiting for 'drain' when the socket buffer is full; false if the socket died. */
  async #write(socket: Socket, frame: Buffer): Promise<boolean> {
    if (this.#socket !== socket || socket.destroyed) return false;
    socket.write(frame);
    if (socket.writableLength <= this.#ctx.limits.socketBufferedBytesMax) return true;
    await new Promise<void>((resolve) => {
      const done = () => {
        socket.off('drain', done);
        socket.off('close', done);
        resolve();
      };
      socket.on('drain', done);
      socket.on('close', done);
    });
    return this.#socket === socket && !socket.destroyed;
  }

  #fail(socket: Socket, reason: string): void {
    if (this.#socket !== socket || this.#state === 'closed') return;
    socket.destroy();
    this.#socket = undefined;
    const wasReady = this.#state === 'ready';
    this.lastError = reason;
    this.#state = 'backoff';
    if (wasReady) this.#ctx.logger.warn({ peer: this.#ctx.peer, lane: this.#ctx.lane, reason }, 'lost connection to peer');
    this.#ctx.unreachable();
    const { reconnectDelayMsMin, reconnectDelayMsMax } = this.#ctx.limits;
    const delayMs = backoffDelayMs(this.#attempt, reconnectDelayMsMin, reconnectDelayMsMax, this.#ctx.random());
    this.#attempt++;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      if (this.#state !== 'backoff') return;
      if (this.#queue.length > 0) this.#dial();
      else this.#state = 'idle';
    }, delayMs);
  }
}
