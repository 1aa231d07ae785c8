import type { Entry } from './types.js';

/** Payload bytes of entries (what the size limits count, as etcd's payloadsSize). */
export function payloadBytes(entries: readonly Entry[]): number {
  let total = 0;
  for (const e of entries) total += e.data.length;
  return total;
}

/**
 * The longest prefix of `entries` whose payload fits in `maxBytes`, but always at least one
 * entry when there is any (etcd's limitSize).
 */
export function limitSize(entries: Entry[], maxBytes: number): Entry[] {
  if (entries.length === 0) return entries;
  let size = entries[0]!.data.length;
  let n = 1;
  for (; n < entries.length; n++) {
    size += entries[n]!.data.length;
    if (size > maxBytes) break;
  }
  return n === entries.length ? entries : entries.slice(0, n);
}

/** Stable text key of a byte string (ReadIndex contexts). */
export function bytesKey(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += b.toString(16).padStart(2, '0');
  return s;
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export const EMPTY_BYTES: Uint8Array = new Uint8Array(0);
