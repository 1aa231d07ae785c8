import { CorruptError } from '../core/errors.js';

/**
 * The data of a normal raft entry written by a nines server: a 15-byte header naming the
 * request that proposed it, then the kv command bytes (`kv/codec.ts`).
 *
 *   byte 0      format version (1)
 *   bytes 1..6  proposing member id (48-bit, big-endian)
 *   bytes 7..10 the proposer's boot nonce (random per process start)
 *   bytes 11..14 the request's sequence number within that boot
 *
 * The proposer resolves its waiting client when it applies an entry whose header names it
 * and its current boot; every other member just applies the command. The boot nonce keeps a
 * restarted member from mistaking an old entry for a new request.
 */
export const ENVELOPE_VERSION = 1;
export const ENVELOPE_HEADER_BYTES = 15;

export interface RequestTag {
  readonly memberId: number;
  readonly boot: number;
  readonly seq: number;
}

export function encodeEnvelope(tag: RequestTag, command: Uint8Array): Uint8Array {
  const out = new Uint8Array(ENVELOPE_HEADER_BYTES + command.length);
  const view = new DataView(out.buffer);
  out[0] = ENVELOPE_VERSION;
  view.setUint16(1, Math.floor(tag.memberId / 2 ** 32));
  view.setUint32(3, tag.memberId % 2 ** 32);
  view.setUint32(7, tag.boot >>> 0);
  view.setUint32(11, tag.seq >>> 0);
  out.set(command, ENVELOPE_HEADER_BYTES);
  return out;
}

export function decodeEnvelope(data: Uint8Array): { tag: RequestTag; command: Uint8Array } {
  if (data.length < ENVELOPE_HEADER_BYTES || data[0] !== ENVELOPE_VERSION) {
    throw new CorruptError(`raft entry of ${data.length} bytes does not start with a nines envelope (version ${ENVELOPE_VERSION})`);
  }
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const memberId = view.getUint16(1) * 2 ** 32 + view.getUint32(3);
  return {
    tag: { memberId, boot: view.getUint32(7), seq: view.getUint32(11) },
    command: data.subarray(ENVELOPE_HEADER_BYTES),
  };
}

/**
 * A control entry (membership records, auth, alarms): the same 15-byte header with format
 * byte 2, then a JSON document. The distinct first byte keeps kv's `decodeCommand` from ever
 * seeing one (`decodeEnvelope` refuses it).
 */
export const CONTROL_ENVELOPE_VERSION = 2;

export function encodeControlEnvelope(tag: RequestTag, body: unknown): Uint8Array {
  const out = encodeEnvelope(tag, new TextEncoder().encode(JSON.stringify(body)));
  out[0] = CONTROL_ENVELOPE_VERSION;
  return out;
}

/** Whether `data` is a control entry (then `decodeControlEnvelope` reads it). */
export function isControlEnvelope(data: Uint8Array): boolean {
  return data.length >= ENVELOPE_HEADER_BYTES && data[0] === CONTROL_ENVELOPE_VERSION;
}

/** Inverse of encodeControlEnvelope; CorruptError on a damaged entry. */
export function decodeControlEnvelope(data: Uint8Array): { tag: RequestTag; body: unknown } {
  if (!isControlEnvelope(data)) throw new CorruptError(`raft entry of ${data.length} bytes is not a nines control entry`);
  const copy = Uint8Array.from(data);
  copy[0] = ENVELOPE_VERSION;
  const { tag, command } = decodeEnvelope(copy);
  try {
    return { tag, body: JSON.parse(new TextDecoder().decode(command)) as unknown };
  } catch (err) {
    throw new CorruptError('control entry body is not JSON', { cause: err });
  }
}
