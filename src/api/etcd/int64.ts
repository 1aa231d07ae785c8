/**
 * 64-bit integers at the edge. The wire carries int64/uint64 as decimal strings (see
 * PROTO_OPTIONS); nines' store counts revisions and lease ids in safe JavaScript integers.
 * These helpers convert without losing precision silently: values beyond 2^53 are
 * clamped (revisions, limits: they then read as "future" or "no limit" as etcd would) or
 * reported as unrepresentable (ids), never rounded.
 */

const MAX = BigInt(Number.MAX_SAFE_INTEGER);
const MIN = -MAX;

/** Parse a wire integer; NaN for text that is not an integer. */
export function parseBig(value: string | number | bigint | undefined | null): bigint | undefined {
  if (value === undefined || value === null) return 0n;
  if (typeof value === 'bigint') return value;
  if (typeof value === 'number') return Number.isInteger(value) ? BigInt(value) : undefined;
  if (!/^-?\d+$/.test(value)) return undefined;
  return BigInt(value);
}

/** An int64 clamped into the safe integer range (absent or malformed = 0). */
export function clampInt(value: string | number | bigint | undefined | null): number {
  const b = parseBig(value) ?? 0n;
  if (b > MAX) return Number.MAX_SAFE_INTEGER;
  if (b < MIN) return -Number.MAX_SAFE_INTEGER;
  return Number(b);
}

/** A revision or limit field: ≤ 0 means "none/current" (0), huge values clamp. */
export function nonNegative(value: string | number | bigint | undefined | null): number {
  return Math.max(0, clampInt(value));
}

/** An id (lease): the safe integer it is, or undefined when nines cannot hold it (< 0 or > 2^53). */
export function safeId(value: string | number | bigint | undefined | null): number | undefined {
  const b = parseBig(value);
  if (b === undefined || b < 0n || b > MAX) return undefined;
  return Number(b);
}

/** A uint64 id as bigint (member ids); malformed = 0n. */
export function uint64(value: string | number | bigint | undefined | null): bigint {
  const b = parseBig(value) ?? 0n;
  return b < 0n ? b + (1n << 64n) : b;
}

/** A hex id (as `NodeStatus` prints them) as bigint; "" = 0n. */
export function hexId(hex: string): bigint {
  if (hex === '' || !/^[0-9a-fA-F]+$/.test(hex)) return 0n;
  return BigInt(`0x${hex}`);
}
