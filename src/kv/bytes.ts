import { InvalidArgumentError } from '../core/errors.js';

/**
 * Byte helpers. etcd keys and values are byte strings. Inside `kv/` a key is held as a
 * "binary string": one UTF-16 code unit per byte (latin1). JavaScript's `<` on such strings
 * orders them exactly as bytes compare, and they work as Map keys.
 */

const textEncoder = new TextEncoder();
const textDecoder = new TextDecoder('utf-8', { fatal: false });

/** UTF-8 bytes of a string. */
export function utf8(text: string): Uint8Array {
  return textEncoder.encode(text);
}

/** A string from UTF-8 bytes (invalid sequences become U+FFFD). */
export function fromUtf8(bytes: Uint8Array): string {
  return textDecoder.decode(bytes);
}

/** The binary string of `bytes` (one char per byte). */
export function toBinary(bytes: Uint8Array): string {
  let out = '';
  const chunk = 8192;
  for (let i = 0; i < bytes.length; i += chunk) {
    out += String.fromCharCode(...bytes.subarray(i, i + chunk));
  }
  return out;
}

/** The bytes of a binary string made by `toBinary`. */
export function fromBinary(text: string): Uint8Array {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i) & 0xff;
  return out;
}

/** Lexicographic byte comparison: negative, zero or positive. */
export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const d = (a[i] as number) - (b[i] as number);
    if (d !== 0) return d;
  }
  return a.length - b.length;
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  return compareBytes(a, b) === 0;
}

/**
 * The smallest key greater than every key that starts with `prefix` (etcd's
 * `GetPrefixRangeEnd`): drop trailing 0xff bytes, add one to the last byte. For a prefix of
 * only 0xff bytes (or empty) there is no such key, and the result is the single zero byte,
 * which as a range end means "every key ≥ key".
 */
export function prefixEnd(prefix: Uint8Array): Uint8Array {
  for (let i = prefix.length - 1; i >= 0; i--) {
    const b = prefix[i] as number;
    if (b < 0xff) {
      const end = prefix.slice(0, i + 1);
      end[i] = b + 1;
      return end;
    }
  }
  return new Uint8Array([0]);
}

/** The single zero byte: as a range end, "no upper bound". */
export const RANGE_END_ALL: Uint8Array = new Uint8Array([0]);

/**
 * A half-open key interval [start, end) in binary strings; `end` null means unbounded.
 * A single key k is `{start: k, end: k + "\0"}`.
 */
export interface KeySpan {
  readonly start: string;
  /** Exclusive upper bound; `null` means no upper bound. */
  readonly end: string | null;
}

/**
 * etcd's range conventions: empty `rangeEnd` → the single key; `rangeEnd` = "\0" → every key
 * ≥ key; otherwise [key, rangeEnd) (empty when rangeEnd ≤ key).
 */
export function keySpan(key: Uint8Array, rangeEnd: Uint8Array | undefined): KeySpan {
  const start = toBinary(key);
  if (rangeEnd === undefined || rangeEnd.length === 0) return { start, end: `${start}\0` };
  if (rangeEnd.length === 1 && rangeEnd[0] === 0) return { start, end: null };
  return { start, end: toBinary(rangeEnd) };
}

export function spanContains(span: KeySpan, key: string): boolean {
  return key >= span.start && (span.end === null || key < span.end);
}

/** Whether two spans share at least one key. */
export function spansOverlap(a: KeySpan, b: KeySpan): boolean {
  const aEmpty = a.end !== null && a.end <= a.start;
  const bEmpty = b.end !== null && b.end <= b.start;
  if (aEmpty || bEmpty) return false;
  const aBeforeB = a.end !== null && a.end <= b.start;
  const bBeforeA = b.end !== null && b.end <= a.start;
  return !aBeforeB && !bBeforeA;
}

/** Checks `value` is a Uint8Array, naming `what` in the error. */
export function requireBytes(value: unknown, what: string): Uint8Array {
  if (!(value instanceof Uint8Array)) throw new InvalidArgumentError(`${what} must be bytes (Uint8Array)`);
  return value;
}
