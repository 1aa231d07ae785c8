import type { Socket } from 'node:net';
import { type HandshakeExpectations, type Hello, isRaftMessage, refusalReason, toEnvelope } from './envelope.js';
import { FrameDecoder, packFrame, packr } from './frame.js';
import type { TransportLimitValues } from './limits.js';
import type { RaftMessage, TransportLogger } from './transport.js';

export interface InboundContext {
  readonly expectations: HandshakeExpectations;
  readonly limits: TransportLimitValues;
  readonly logger: TransportLogger;
  readonly deliver: (message: RaftMessage) => void;
}

/**
 * Serve one accepted connection: expect a `hello` within handshakeTimeoutMs, answer `welcome` or
 * `refuse` (logged with its reason, then closed), then decode `msg` frames and reassemble `part`
 * frames into messages. Anything malformed, oversized or from the wrong sender closes the
 * connection with a logged reason; nothing here throws.
 */
export function serveInbound(socket: Socket, ctx: InboundContext): void {
  const { limits, logger } = ctx;
  const remote = `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}`;
  const decoder = new FrameDecoder(limits.frameBytesMax);
  let hello: Hello | undefined;
  let parts: Buffer[] = [];
  let partBytes = 0;
  let closed = false;

  const close = (reason: string, level: 'info' | 'warn' = 'warn'): void => {
    if (closed) return;
    closed = true;
    clearTimeout(timer);
    logger[level]({ remote, peer: hello?.from, lane: hello?.lane, reason }, 'closing peer connection');
    socket.destroy();
  };
  const timer = setTimeout(() => close('no handshake within handshakeTimeoutMs'), limits.handshakeTimeoutMs);

  const onMessage = (message: unknown): void => {
    if (!isRaftMessage(message) || message.from !== hello!.from || message.to !== ctx.expectations.self) {
      close('message with a malformed body or from/to not matching the handshake');
      return;
    }
    if (!ctx.expectations.isMember(message.from)) {
      close(`member ${message.from} was removed`, 'info');
      return;
    }
    try {
      ctx.deliver(message);
    } catch (err) {
      logger.error({ peer: hello!.from, err }, 'message handler threw');
    }
  };

  const onBody = (body: Buffer): void => {
    const envelope = toEnvelope(packr.unpack(body));
    if (envelope === undefined) {
      close('malformed frame');
      return;
    }
    if (hello === undefined) {
      if (envelope.k !== 'hello') {
        close(`expected hello, got ${envelope.k}`);
        return;
      }
      const reason = refusalReason(envelope, ctx.expectations);
      if (reason !== undefined) {
        logger.warn({ remote, peer: envelope.from, reason }, 'refused peer connection');
        closed = true;
        clearTimeout(timer);
        socket.end(packFrame({ k: 'refuse', reason }, limits.frameBytesMax));
        socket.setTimeout(limits.handshakeTimeoutMs, () => socket.destroy());
        return;
      }
      hello = envelope;
      clearTimeout(timer);
      socket.write(packFrame({ k: 'welcome' }, limits.frameBytesMax));
      return;
    }
    if (envelope.k === 'msg') {
      onMessage(envelope.m);
      return;
    }
    if (envelope.k !== 'part') {
      close(`unexpected ${envelope.k} frame after the handshake`);
      return;
    }
    if (envelope.total > limits.messageBytesMax || partBytes + envelope.b.length > envelope.total) {
      close(`reassembled message would exceed ${Math.min(envelope.total, limits.messageBytesMax)} bytes`);
      return;
    }
    parts.push(Buffer.from(envelope.b));
    partBytes += envelope.b.length;
    if (!envelope.last) return;
    if (partBytes !== envelope.total) {
      close(`large message ended at ${partBytes} of ${envelope.total} bytes`);
      return;
    }
    const whole = Buffer.concat(parts, partBytes);
    parts = [];
    partBytes = 0;
    const inner = toEnvelope(packr.unpack(whole));
    if (inner?.k !== 'msg') {
      close('reassembled large message is not a message');
      return;
    }
    onMessage(inner.m);
  };

  socket.setNoDelay(true);
  socket.on('data', (chunk: Buffer) => {
    if (closed) return;
    try {
      for (const body of decoder.push(chunk)) {
        onBody(body);
        if (closed) return;
      }
    } catch (err) {
      close(err instanceof Error ? err.message : String(err));
    }
  });
  socket.on('error', (err) => close(err.message, 'info'));
  socket.on('close', () => {
    closed = true;
    clearTimeout(timer);
  });
}

