import { Packr } from 'msgpackr';
import { LimitExceededError } from '../core/errors.js';

/**
 * Framing: a 4-byte big-endian body length, then the body (msgpack). Frames larger than the
 * limit are refused on both sides.
 */
export const FRAME_HEADER_BYTES = 4;

export const packr = new Packr({ useRecords: false, mapsAsObjects: true });

export function frameOf(body: Uint8Array, frameBytesMax: number): Buffer {
  if (body.length > frameBytesMax) throw new LimitExceededError('frameBytesMax', body.length, frameBytesMax);
  const frame = Buffer.allocUnsafe(FRAME_HEADER_BYTES + body.length);
  frame.writeUInt32BE(body.length, 0);
  frame.set(body, FRAME_HEADER_BYTES);
  return frame;
}

/** Encode a value with msgpack and frame it. */
export function packFrame(value: unknown, frameBytesMax: number): Buffer {
  return frameOf(packr.pack(value), frameBytesMax);
}

/**
 * Streaming decoder: feed it whatever the socket delivers (partial frames, several frames per
 * chunk) and get whole frame bodies back. Never buffers more than one frame: a length above
 * `frameBytesMax` throws LimitExceededError before any of that body is kept.
 */
export class FrameDecoder {
  readonly frameBytesMax: number;
  #parts: Buffer[] = [];
  #bufferedBytes = 0;

  constructor(frameBytesMax: number) {
    this.frameBytesMax = frameBytesMax;
  }

  get bufferedBytes(): number {
    return this.#bufferedBytes;
  }

  push(chunk: Uint8Array): Buffer[] {
    if (chunk.length > 0) {
      this.#parts.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
      this.#bufferedBytes += chunk.length;
    }
    const bodies: Buffer[] = [];
    for (;;) {
      if (this.#bufferedBytes < FRAME_HEADER_BYTES) break;
      const head = this.#peekHeader();
      if (head > this.frameBytesMax) throw new LimitExceededError('frameBytesMax', head, this.frameBytesMax);
      if (this.#bufferedBytes < FRAME_HEADER_BYTES + head) break;
      const all = this.#take(FRAME_HEADER_BYTES + head);
      bodies.push(all.subarray(FRAME_HEADER_BYTES));
    }
    return bodies;
  }

  #peekHeader(): number {
    const first = this.#parts[0]!;
    if (first.length >= FRAME_HEADER_BYTES) return first.readUInt32BE(0);
    this.#parts = [Buffer.concat(this.#parts)];
    return this.#parts[0]!.readUInt32BE(0);
  }

  /** Remove and return the first `n` buffered bytes as one buffer. */
  #take(n: number): Buffer {
    const first = this.#parts[0]!;
    if (first.length >= n) {
      this.#bufferedBytes -= n;
      if (first.length === n) this.#parts.shift();
      else this.#parts[0] = first.subarray(n);
      return first.subarray(0, n);
    }
    const out = Buffer.allocUnsafe(n);
    let filled = 0;
    while (filled < n) {
      const part = this.#parts[0]!;
      const take = Math.min(part.length, n - filled);
      part.copy(out, filled, 0, take);
      filled += take;
      if (take === part.length) this.#parts.shift();
      else this.#parts[0] = part.subarray(take);
    }
    this.#bufferedBytes -= n;
    return out;
  }
}
