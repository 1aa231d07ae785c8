import { createHash } from 'node:crypto';
import { CorruptError } from '../../core/errors.js';

/**
 * The bytes of a snapshot as the Snapshot RPC streams them (and `etcdctl snapshot save`
 * stores them). etcdctl accepts a snapshot only if its size is a multiple of 512 plus a
 * trailing 32-byte SHA-256 (etcd's bolt pages + checksum), so nines frames its own
 * snapshot payload the same way:
 *
 *   "NINESNAP" (8 bytes) | payload length (8 bytes, big-endian) | payload |
 *   zero padding to a multiple of 512 | SHA-256 of everything before it (32 bytes)
 */
export const SNAPSHOT_MAGIC = Buffer.from('NINESNAP', 'latin1');
const HEAD_BYTES = 16;
const PAGE_BYTES = 512;
const SHA_BYTES = 32;

/** Size of the framed body (without the checksum) for a payload of `n` bytes. */
export function framedBodyBytes(payloadBytes: number): number {
  return Math.ceil((HEAD_BYTES + payloadBytes) / PAGE_BYTES) * PAGE_BYTES;
}

/** The 16-byte head before the payload. */
export function snapshotHead(payloadBytes: number): Buffer {
  const head = Buffer.alloc(HEAD_BYTES);
  SNAPSHOT_MAGIC.copy(head, 0);
  head.writeBigUInt64BE(BigInt(payloadBytes), 8);
  return head;
}

/** Zero padding after a payload of `n` bytes. */
export function snapshotPadding(payloadBytes: number): Buffer {
  return Buffer.alloc(framedBodyBytes(payloadBytes) - HEAD_BYTES - payloadBytes);
}

/** Frames a whole payload (head, padding, checksum). */
export function frameSnapshot(payload: Uint8Array): Buffer {
  const body = Buffer.concat([snapshotHead(payload.length), payload, snapshotPadding(payload.length)]);
  return Buffer.concat([body, createHash('sha256').update(body).digest()]);
}

/** The payload of a saved snapshot file; CorruptError if damaged or not a nines snapshot. */
export function readSnapshotFile(file: Uint8Array, name = 'snapshot'): Uint8Array {
  const buf = Buffer.from(file.buffer, file.byteOffset, file.byteLength);
  if (buf.length < HEAD_BYTES + SHA_BYTES || (buf.length - SHA_BYTES) % PAGE_BYTES !== 0) {
    throw new CorruptError(`${name}: not a nines snapshot (size ${buf.length} is not 512·n + 32)`);
  }
  const body = buf.subarray(0, buf.length - SHA_BYTES);
  const sha = createHash('sha256').update(body).digest();
  if (!sha.equals(buf.subarray(buf.length - SHA_BYTES))) throw new CorruptError(`${name}: SHA-256 mismatch: the file is damaged`);
  if (!body.subarray(0, 8).equals(SNAPSHOT_MAGIC)) throw new CorruptError(`${name}: not a nines snapshot (an etcd bolt file?)`);
  const n = body.readBigUInt64BE(8);
  if (n > BigInt(body.length - HEAD_BYTES)) throw new CorruptError(`${name}: payload length ${n} beyond the file`);
  return body.subarray(HEAD_BYTES, HEAD_BYTES + Number(n));
}
