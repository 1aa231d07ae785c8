import { CorruptError, InvalidArgumentError, LimitExceededError } from '../core/errors.js';
import type { Snapshot, SnapshotMetadata } from '../raft/types.js';
import { crc32 } from './crc.js';
import { StorageLimits } from './limits.js';

/**
 * One piece of a snapshot streamed to a follower. Every chunk repeats the metadata, the total
 * size and the CRC-32 of the whole data, so the receiver can check the stream as it goes.
 */
export interface SnapshotChunk {
  readonly metadata: SnapshotMetadata;
  readonly totalBytes: number;
  /** CRC-32 of the complete snapshot data. */
  readonly dataCrc: number;
  /** Byte offset of `bytes` in the snapshot data. */
  readonly offset: number;
  readonly bytes: Uint8Array;
}

/** Re-slice a sequence of byte arrays into pieces of exactly `chunkBytes` (the last may be shorter). */
export function* rechunk(parts: Iterable<Uint8Array>, chunkBytes: number): Generator<Uint8Array> {
  if (!Number.isSafeInteger(chunkBytes) || chunkBytes <= 0) {
    throw new InvalidArgumentError(`chunkBytes must be a positive integer, got ${chunkBytes}`);
  }
  let pending: Uint8Array[] = [];
  let pendingBytes = 0;
  for (const part of parts) {
    let rest = part;
    while (rest.length > 0) {
      const take = Math.min(rest.length, chunkBytes - pendingBytes);
      pending.push(rest.subarray(0, take));
      pendingBytes += take;
      rest = rest.subarray(take);
      if (pendingBytes === chunkBytes) {
        yield concat(pending, pendingBytes);
        pending = [];
        pendingBytes = 0;
      }
    }
  }
  if (pendingBytes > 0) yield concat(pending, pendingBytes);
}

function concat(parts: Uint8Array[], totalBytes: number): Uint8Array {
  if (parts.length === 1) return new Uint8Array(parts[0]!);
  const out = new Uint8Array(totalBytes);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/**
 * Chunks of a snapshot whose data comes as `parts` (e.g. as stored). An empty snapshot yields
 * one chunk with no bytes, so the receiver always gets the metadata.
 */
export function* chunksOf(
  metadata: SnapshotMetadata,
  totalBytes: number,
  dataCrc: number,
  parts: Iterable<Uint8Array>,
  chunkBytes: number,
): Generator<SnapshotChunk> {
  let offset = 0;
  for (const bytes of rechunk(parts, chunkBytes)) {
    yield { metadata, totalBytes, dataCrc, offset, bytes };
    offset += bytes.length;
  }
  if (offset === 0) yield { metadata, totalBytes, dataCrc, offset: 0, bytes: new Uint8Array(0) };
}

/** Chunks of an in-memory snapshot. */
export function chunkSnapshot(snapshot: Snapshot, chunkBytes: number): Generator<SnapshotChunk> {
  return chunksOf(snapshot.metadata, snapshot.data.length, crc32(snapshot.data), [snapshot.data], chunkBytes);
}

export interface SnapshotAssemblerOptions {
  /** Largest snapshot accepted (default StorageLimits.snapshotBytesMax). */
  readonly snapshotBytesMax?: number;
  /** Largest chunk accepted (default StorageLimits.snapshotChunkBytesMax). */
  readonly chunkBytesMax?: number;
}

/**
 * The receiving side: feed chunks in order with `add`; it returns the complete snapshot after the
 * last one. Rejects (throws) a chunk that is out of order, belongs to another snapshot, exceeds a
 * limit, or completes data whose CRC does not match. After a throw, call `reset()`.
 */
export class SnapshotAssembler {
  readonly snapshotBytesMax: number;
  readonly chunkBytesMax: number;
  #first: SnapshotChunk | undefined;
  #data: Uint8Array | undefined;
  #receivedBytes = 0;

  constructor(options: SnapshotAssemblerOptions = {}) {
    this.snapshotBytesMax = options.snapshotBytesMax ?? StorageLimits.snapshotBytesMax;
    this.chunkBytesMax = options.chunkBytesMax ?? StorageLimits.snapshotChunkBytesMax;
  }

  /** Bytes received so far of the snapshot in progress. */
  get receivedBytes(): number {
    return this.#receivedBytes;
  }

  reset(): void {
    this.#first = undefined;
    this.#data = undefined;
    this.#receivedBytes = 0;
  }

  add(chunk: SnapshotChunk): Snapshot | undefined {
    if (chunk.bytes.length > this.chunkBytesMax) {
      throw new LimitExceededError('snapshot chunkBytesMax', chunk.bytes.length, this.chunkBytesMax);
    }
    if (chunk.offset === 0) this.#begin(chunk);
    const first = this.#first;
    if (first === undefined || this.#data === undefined) {
      throw new InvalidArgumentError(`snapshot chunk at offset ${chunk.offset} arrived before the first chunk`);
    }
    if (
      chunk.metadata.index !== first.metadata.index ||
      chunk.metadata.term !== first.metadata.term ||
      chunk.totalBytes !== first.totalBytes ||
      chunk.dataCrc !== first.dataCrc
    ) {
      throw new InvalidArgumentError('snapshot chunk belongs to a different snapshot than the one in progress');
    }
    if (chunk.offset !== this.#receivedBytes) {
      throw new InvalidArgumentError(`snapshot chunk out of order: offset ${chunk.offset}, expected ${this.#receivedBytes}`);
    }
    if (this.#receivedBytes + chunk.bytes.length > first.totalBytes) {
      throw new InvalidArgumentError(`snapshot chunks exceed the announced size ${first.totalBytes}`);
    }
    this.#data.set(chunk.bytes, this.#receivedBytes);
    this.#receivedBytes += chunk.bytes.length;
    if (this.#receivedBytes < first.totalBytes) return undefined;
    const data = this.#data;
    const metadata = first.metadata;
    this.reset();
    const actualCrc = crc32(data);
    if (actualCrc !== first.dataCrc) {
      throw new CorruptError(`snapshot ${metadata.index}/${metadata.term} failed its checksum after reassembly`);
    }
    return { metadata, data };
  }

  #begin(chunk: SnapshotChunk): void {
    if (!Number.isSafeInteger(chunk.totalBytes) || chunk.totalBytes < 0) {
      throw new InvalidArgumentError(`snapshot totalBytes must be a non-negative integer, got ${chunk.totalBytes}`);
    }
    if (chunk.totalBytes > this.snapshotBytesMax) {
      throw new LimitExceededError('snapshotBytesMax', chunk.totalBytes, this.snapshotBytesMax);
    }
    this.#first = chunk;
    this.#data = new Uint8Array(chunk.totalBytes);
    this.#receivedBytes = 0;
  }
}
