import { crc32 as zlibCrc32 } from 'node:zlib';

/**
 * CRC-32 (IEEE 802.3, the zlib/PNG polynomial) from `node:zlib`, available since Node 20.15.
 * `seed` chains a previous CRC so a record can be checksummed in parts.
 */
export function crc32(data: Uint8Array, seed = 0): number {
  return zlibCrc32(data, seed) >>> 0;
}
