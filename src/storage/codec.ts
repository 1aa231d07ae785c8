import { Packr } from 'msgpackr';
import type { LogIndex, Term } from '../core/ids.js';
import type { Entry, EntryType } from '../raft/types.js';
import { crc32 } from './crc.js';

/**
 * Binary records as stored in LMDB. Every record is `[crc32 u32 BE][payload]`; the CRC covers
 * a salt (the record's key: log index or record name) and the payload, so a record copied
 * under the wrong key fails its check too.
 *
 * Log entry payload: `[term f64 BE][type u8: 0 normal, 1 confChange][data bytes]`.
 * Other payloads: msgpack of a plain object.
 */
const packr = new Packr({ useRecords: false });
const CRC_BYTES = 4;
const ENTRY_HEADER_BYTES = 9;

function indexSalt(index: number): Uint8Array {
  const salt = new Uint8Array(8);
  new DataView(salt.buffer).setFloat64(0, index);
  return salt;
}

function seal(payload: Uint8Array, saltCrc: number): Uint8Array {
  const out = new Uint8Array(CRC_BYTES + payload.length);
  new DataView(out.buffer).setUint32(0, crc32(payload, saltCrc));
  out.set(payload, CRC_BYTES);
  return out;
}

/** The payload of a sealed record, or undefined when its checksum does not match. */
function unseal(record: Uint8Array, saltCrc: number): Uint8Array | undefined {
  if (record.length < CRC_BYTES) return undefined;
  const view = new DataView(record.buffer, record.byteOffset, record.byteLength);
  const payload = record.subarray(CRC_BYTES);
  return view.getUint32(0) === crc32(payload, saltCrc) ? payload : undefined;
}

export function encodeEntry(entry: Entry): Uint8Array {
  const payload = new Uint8Array(ENTRY_HEADER_BYTES + entry.data.length);
  const view = new DataView(payload.buffer);
  view.setFloat64(0, entry.term);
  payload[8] = entry.type === 'confChange' ? 1 : 0;
  payload.set(entry.data, ENTRY_HEADER_BYTES);
  return seal(payload, crc32(indexSalt(entry.index)));
}

/** Decode a log record stored under `index`; undefined when it fails its checksum or shape. */
export function decodeEntry(index: number, record: Uint8Array): Entry | undefined {
  const payload = unseal(record, crc32(indexSalt(index)));
  if (payload === undefined || payload.length < ENTRY_HEADER_BYTES) return undefined;
  const view = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
  const termValue = view.getFloat64(0);
  const typeByte = payload[8];
  if (!Number.isSafeInteger(termValue) || termValue < 0 || (typeByte !== 0 && typeByte !== 1)) return undefined;
  const type: EntryType = typeByte === 1 ? 'confChange' : 'normal';
  // Copy: LMDB buffers may be reused; the entry must own its bytes.
  const data = new Uint8Array(payload.subarray(ENTRY_HEADER_BYTES));
  return { index: index as LogIndex, term: termValue as Term, type, data };
}

export function encodeRecord(name: string, value: object): Uint8Array {
  return seal(packr.pack(value), crc32(new TextEncoder().encode(name)));
}

/** Decode a named msgpack record; undefined when it fails its checksum or does not parse. */
export function decodeRecord(name: string, record: Uint8Array): Record<string, unknown> | undefined {
  const payload = unseal(record, crc32(new TextEncoder().encode(name)));
  if (payload === undefined) return undefined;
  try {
    const value: unknown = packr.unpack(payload);
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}
