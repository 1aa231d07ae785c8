import { CorruptError } from '../core/errors.js';
import { crc32c } from '../kv/crc32c.js';

/**
 * The data of a raft snapshot taken by a nines server: the kv store and the server's
 * replicated control state (member records; later auth and alarms), versioned and checksummed:
 *
 *   "NSNP" | format version (1 byte) | CRC-32C of the rest (4 bytes, BE)
 *   | kv length (4 bytes, BE) | kv bytes (`KvStore.serialize`) | control state (JSON)
 *
 * Data without the magic is an older snapshot holding only the kv store (read as such).
 */
const MAGIC = new Uint8Array([0x4e, 0x53, 0x4e, 0x50]);
export const NODE_SNAPSHOT_VERSION = 1;
const HEAD_BYTES = 4 + 1 + 4;

export interface NodeSnapshotParts {
  readonly kv: Uint8Array;
  /** The control state (JSON-safe), undefined for an old kv-only snapshot. */
  readonly control: Record<string, unknown> | undefined;
}

export function encodeNodeSnapshot(kv: Uint8Array, control: Record<string, unknown>): Uint8Array {
  const json = new TextEncoder().encode(JSON.stringify(control));
  const out = new Uint8Array(HEAD_BYTES + 4 + kv.length + json.length);
  const view = new DataView(out.buffer);
  out.set(MAGIC, 0);
  out[4] = NODE_SNAPSHOT_VERSION;
  view.setUint32(HEAD_BYTES, kv.length);
  out.set(kv, HEAD_BYTES + 4);
  out.set(json, HEAD_BYTES + 4 + kv.length);
  view.setUint32(5, crc32c(out.subarray(HEAD_BYTES)));
  return out;
}

function hasMagic(data: Uint8Array): boolean {
  return data.length >= HEAD_BYTES + 4 && MAGIC.every((b, i) => data[i] === b);
}

/** Inverse of encodeNodeSnapshot; CorruptError on a checksum mismatch or a newer format. */
export function decodeNodeSnapshot(data: Uint8Array): NodeSnapshotParts {
  if (!hasMagic(data)) return { kv: data, control: undefined };
  if (data[4] !== NODE_SNAPSHOT_VERSION) {
    throw new CorruptError(`snapshot format ${data[4]} is not ${NODE_SNAPSHOT_VERSION}: upgrade nines or start from an empty data dir`);
  }
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  if (view.getUint32(5) !== crc32c(data.subarray(HEAD_BYTES))) throw new CorruptError('snapshot data fails its CRC-32C checksum');
  const kvBytes = view.getUint32(HEAD_BYTES);
  if (HEAD_BYTES + 4 + kvBytes > data.length) throw new CorruptError(`snapshot kv length ${kvBytes} is beyond its ${data.length} bytes`);
  const kv = data.subarray(HEAD_BYTES + 4, HEAD_BYTES + 4 + kvBytes);
  let control: unknown;
  try {
    control = JSON.parse(new TextDecoder().decode(data.subarray(HEAD_BYTES + 4 + kvBytes)));
  } catch (err) {
    throw new CorruptError('snapshot control state is not JSON', { cause: err });
  }
  if (control === null || typeof control !== 'object' || Array.isArray(control)) throw new CorruptError('snapshot control state is not an object');
  return { kv, control: control as Record<string, unknown> };
}
