import {
  closeSync,
  fdatasync,
  fdatasyncSync,
  fstatSync,
  fsyncSync,
  openSync,
  readdirSync,
  readSync,
  renameSync,
  rmSync,
  unlinkSync,
  write,
  writev,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { assert } from '../core/errors.js';
import type { Entry } from '../raft/types.js';
import { decodeEntry } from './codec.js';
import { corruptFile } from './errors.js';
import {
  type DecodedFrame,
  decodePayload,
  type EntrySpan,
  encodeBatchFrame,
  encodeHeaderFrame,
  FRAME_HEADER_BYTES,
  WAL_MAGIC,
  WAL_VERSION,
  type WalBatch,
} from './wal-codec.js';

const writevAsync = promisify(writev);
const writeAsync = promisify(write);
const fdatasyncAsync = promisify(fdatasync);

/** Torn writes are assumed to tear at this granularity (a sector is written whole or not at all). */
export const SECTOR_BYTES = 512;
/** Zeros written per call while preallocating a segment. */
const PREALLOCATE_CHUNK_BYTES = 1024 * 1024;
/** Largest frame payload accepted on read (a sanity bound on the length word). */
export const WAL_FRAME_BYTES_MAX = 1024 * 1024 * 1024;
/** An all-zero piece of a bad frame at least this long, within one sector, counts as never written. */
const TORN_SLICE_BYTES_MIN = 32;
const SEGMENT_SUFFIX = '.wal';
const SPARE_NAME = 'next.wal.tmp';

export function segmentName(seq: number): string {
  return `${seq.toString(16).padStart(16, '0')}${SEGMENT_SUFFIX}`;
}

/** One replayed batch with the file positions of its entries. */
export interface ReplayedBatch {
  readonly seq: number;
  readonly batch: WalBatch;
  readonly spans: readonly EntrySpan[];
}

/** Where `append` put a batch's entries. */
export interface AppendResult {
  readonly seq: number;
  readonly spans: readonly EntrySpan[];
}

interface Segment {
  readonly seq: number;
  readonly path: string;
  /** Highest log index written to this segment that a later reset has not made obsolete (0 = none). */
  maxIndex: number;
}

/**
 * The write-ahead log: numbered, preallocated segment files in one directory. Each `append` is one
 * frame written with one `writev` at the end of the current segment, followed by one `fdatasync`.
 * Because the segment's blocks were written (with zeros) and synced beforehand, that `fdatasync`
 * need not commit file-system metadata. The next segment is preallocated in the background.
 *
 * Not safe for concurrent appends: the caller serialises them.
 */
export class Wal {
  readonly dir: string;
  readonly segmentBytes: number;
  readonly #segments: Segment[];
  #fd: number;
  #offset: number;
  #size: number;
  #spare: Promise<string> | undefined;
  /** A record was written without fdatasync since the last sync (see `append`'s `sync`). */
  #unsynced = false;
  readonly #readFds = new Map<number, number>();

  private constructor(dir: string, segmentBytes: number, segments: Segment[], fd: number, offset: number) {
    this.dir = dir;
    this.segmentBytes = segmentBytes;
    this.#segments = segments;
    this.#fd = fd;
    this.#offset = offset;
    this.#size = fstatSync(fd).size;
  }

  /** Number of segment files (live and not yet deleted). */
  get segmentCount(): number {
    return this.#segments.length;
  }

  /**
   * Open the log in `dir` (created with one empty segment when it holds none), replaying every
   * batch in order through `onBatch`. A torn last frame of the last segment (an unacknowledged
   * write cut by a crash) is zeroed out; any other damage throws a CorruptError naming the file.
   */
  static async open(
    dir: string,
    segmentBytes: number,
    onBatch: (batch: ReplayedBatch) => void,
  ): Promise<{ wal: Wal; created: boolean }> {
    assert(segmentBytes >= 4 * SECTOR_BYTES, 'WAL segmentBytes too small');
    rmSync(join(dir, SPARE_NAME), { force: true });
    const names = readdirSync(dir).filter((n) => n.endsWith(SEGMENT_SUFFIX)).sort();
    const segments: Segment[] = [];
    for (const name of names) {
      const seq = Number.parseInt(name.slice(0, -SEGMENT_SUFFIX.length), 16);
      if (!/^[0-9a-f]{16}\.wal$/.test(name) || !Number.isSafeInteger(seq) || seq < 1) {
        throw corruptFile(join(dir, name), 'unexpected file name in the WAL directory');
      }
      const previous = segments[segments.length - 1];
      if (previous !== undefined && seq !== previous.seq + 1) {
        throw corruptFile(join(dir, name), `WAL segment ${seq} follows segment ${previous.seq}: segments are missing`);
      }
      segments.push({ seq, path: join(dir, name), maxIndex: 0 });
    }
    const newest = segments[segments.length - 1];
    if (newest !== undefined && !hasHeader(newest.path)) {
      // A crash right after a new segment was put in place, before its first write was synced:
      // it holds nothing that was acknowledged.
      unlinkSync(newest.path);
      syncDir(dir);
      segments.pop();
    }
    if (segments.length === 0) {
      const seq = 1;
      const path = join(dir, segmentName(seq));
      await preallocate(join(dir, SPARE_NAME), segmentBytes);
      renameSync(join(dir, SPARE_NAME), path);
      syncDir(dir);
      const fd = openSync(path, 'r+');
      const header = encodeHeaderFrame(seq);
      await writeAsync(fd, header, 0, header.length, 0);
      await fdatasyncAsync(fd);
      const wal = new Wal(dir, segmentBytes, [{ seq, path, maxIndex: 0 }], fd, header.length);
      wal.#prepareSpare();
      return { wal, created: true };
    }
    let endOffset = 0;
    for (let i = 0; i < segments.length; i++) {
      const segment = segments[i]!;
      endOffset = replaySegment(segment, i === segments.length - 1, (replayed) => {
        if (replayed.batch.reset !== undefined) for (const s of segments) if (s.seq < segment.seq) s.maxIndex = 0;
        const last = replayed.batch.entries[replayed.batch.entries.length - 1];
        if (last !== undefined) segment.maxIndex = Math.max(segment.maxIndex, last.index);
        onBatch(replayed);
      });
    }
    const last = segments[segments.length - 1]!;
    const wal = new Wal(dir, segmentBytes, segments, openSync(last.path, 'r+'), endOffset);
    wal.#prepareSpare();
    return { wal, created: false };
  }

  /**
   * Append one batch and fdatasync. `rollState` gives the full hard and conf state, written into
   * the first batch of a new segment so that older segments can be deleted. With `sync` false
   * the record is written but not synced: the next synced append (same file, or the rollover to
   * a new segment) makes it durable; until then a power loss may drop it as a torn tail.
   */
  async append(batch: WalBatch, rollState: () => Pick<WalBatch, 'hardState' | 'confState'>, sync = true): Promise<AppendResult> {
    let encoded = encodeBatchFrame(batch);
    let parts: Buffer[] = [encoded.bytes];
    const headerBytes = encodeHeaderFrame(0).length;
    if (this.#offset + encoded.bytes.length > this.#size && this.#offset > headerBytes) {
      const seq = this.#current.seq + 1;
      const path = join(this.dir, segmentName(seq));
      const spare = this.#spare ?? preallocate(join(this.dir, SPARE_NAME), this.segmentBytes);
      this.#spare = undefined;
      renameSync(await spare, path);
      syncDir(this.dir);
      // An unsynced record must not be left behind in a segment that is no longer the last:
      // a torn record there would read as corruption, not as a torn tail.
      if (this.#unsynced) fdatasyncSync(this.#fd);
      this.#unsynced = false;
      closeSync(this.#fd);
      this.#fd = openSync(path, 'r+');
      this.#size = fstatSync(this.#fd).size;
      this.#segments.push({ seq, path, maxIndex: 0 });
      const header = encodeHeaderFrame(seq);
      this.#offset = 0;
      encoded = encodeBatchFrame({ ...rollState(), ...stripUndefined(batch) });
      parts = [header, encoded.bytes];
      this.#prepareSpare();
    }
    const start = this.#offset + (parts.length === 2 ? parts[0]!.length : 0);
    const total = parts.reduce((n, p) => n + p.length, 0);
    await writevAsync(this.#fd, parts, this.#offset);
    if (sync) {
      await fdatasyncAsync(this.#fd);
      this.#unsynced = false;
    } else {
      this.#unsynced = true;
    }
    this.#offset += total;
    if (this.#offset > this.#size) this.#size = this.#offset;
    const current = this.#current;
    if (batch.reset !== undefined) for (const s of this.#segments) if (s !== current) s.maxIndex = 0;
    const lastEntry = batch.entries[batch.entries.length - 1];
    if (lastEntry !== undefined) current.maxIndex = Math.max(current.maxIndex, lastEntry.index);
    return { seq: current.seq, spans: encoded.spans.map((s) => ({ pos: start + s.pos, len: s.len })) };
  }

  get #current(): Segment {
    return this.#segments[this.#segments.length - 1]!;
  }

  /** Read and verify one entry record written at `span` of segment `seq`. */
  readEntry(seq: number, span: EntrySpan, index: number): Entry {
    const segment = this.#segments.find((s) => s.seq === seq);
    if (segment === undefined) throw corruptFile(join(this.dir, segmentName(seq)), `log entry ${index} is missing`);
    let fd = this.#readFds.get(seq);
    if (fd === undefined) {
      fd = openSync(segment.path, 'r');
      this.#readFds.set(seq, fd);
    }
    const bytes = Buffer.alloc(span.len);
    const n = readSync(fd, bytes, 0, span.len, span.pos);
    const entry = n === span.len ? decodeEntry(index, bytes) : undefined;
    if (entry === undefined) throw corruptFile(segment.path, `log entry ${index} fails its checksum`);
    return entry;
  }

  /**
   * Delete the oldest segments whose entries are all at or below `index` (compacted), never the
   * segment being written. Returns how many were deleted.
   */
  removeThrough(index: number): number {
    let removed = 0;
    while (this.#segments.length > 1 && this.#segments[0]!.maxIndex <= index) {
      const segment = this.#segments.shift()!;
      const fd = this.#readFds.get(segment.seq);
      if (fd !== undefined) closeSync(fd);
      this.#readFds.delete(segment.seq);
      unlinkSync(segment.path);
      removed++;
    }
    if (removed > 0) syncDir(this.dir);
    return removed;
  }

  async close(): Promise<void> {
    await this.#spare?.catch(() => undefined);
    closeSync(this.#fd);
    for (const fd of this.#readFds.values()) closeSync(fd);
    this.#readFds.clear();
  }

  #prepareSpare(): void {
    const spare = preallocate(join(this.dir, SPARE_NAME), this.segmentBytes);
    spare.catch(() => undefined);
    this.#spare = spare;
  }
}

function stripUndefined(batch: WalBatch): WalBatch {
  return Object.fromEntries(Object.entries(batch).filter(([, v]) => v !== undefined)) as unknown as WalBatch;
}

/** Write `bytes` zeros to `path` and fdatasync it, so later overwrites need no block allocation. */
async function preallocate(path: string, bytes: number): Promise<string> {
  const fd = openSync(path, 'w');
  try {
    const zeros = Buffer.alloc(Math.min(PREALLOCATE_CHUNK_BYTES, bytes));
    for (let at = 0; at < bytes; at += zeros.length) {
      await writeAsync(fd, zeros, 0, Math.min(zeros.length, bytes - at), at);
    }
    await fdatasyncAsync(fd);
  } finally {
    closeSync(fd);
  }
  return path;
}

function syncDir(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Whether a segment's first frame was written (its length word is not zero). */
function hasHeader(path: string): boolean {
  const fd = openSync(path, 'r');
  try {
    const word = Buffer.alloc(FRAME_HEADER_BYTES);
    const n = readSync(fd, word, 0, word.length, 0);
    return n === word.length && word.readUInt32BE(0) !== 0;
  } finally {
    closeSync(fd);
  }
}

function isZero(bytes: Buffer): boolean {
  for (const b of bytes) if (b !== 0) return false;
  return true;
}

/**
 * Replay one segment; returns the offset where its written part ends. In the last segment a bad
 * frame is a torn write (zeroed out, replay ends there) when it is followed only by zeros and
 * either runs past the end of the file or has a sector still all zeros (never written);
 * otherwise, and anywhere in an older segment, it is corruption.
 */
function replaySegment(segment: Segment, isLast: boolean, onBatch: (b: ReplayedBatch) => void): number {
  const fd = openSync(segment.path, isLast ? 'r+' : 'r');
  try {
    const size = fstatSync(fd).size;
    const data = Buffer.alloc(size);
    let read = 0;
    while (read < size) {
      const n = readSync(fd, data, read, size - read, read);
      if (n === 0) break;
      read += n;
    }
    let at = 0;
    let first = true;
    while (at + FRAME_HEADER_BYTES <= size) {
      const len = data.readUInt32BE(at);
      if (len === 0) {
        if (first) throw corruptFile(segment.path, 'the WAL segment has no header');
        return at;
      }
      const end = at + FRAME_HEADER_BYTES + len;
      const decoded: DecodedFrame =
        len > WAL_FRAME_BYTES_MAX || end > size
          ? { kind: 'bad', why: 'runs past the end of the file' }
          : decodePayload(data.subarray(at + FRAME_HEADER_BYTES, end), data.readUInt32BE(at + 4));
      if (decoded.kind === 'bad') {
        if (isLast && !first && isTorn(data, at, Math.min(end, size))) {
          const zeros = Buffer.alloc(Math.min(end, size) - at);
          let done = 0;
          while (done < zeros.length) done += writeSync(fd, zeros, done, zeros.length - done, at + done);
          fdatasyncSync(fd);
          return at;
        }
        throw corruptFile(segment.path, `WAL record at offset ${at} ${decoded.why}`);
      }
      if (first) {
        if (decoded.kind !== 'header' || decoded.magic !== WAL_MAGIC) {
          throw corruptFile(segment.path, 'not a nines WAL segment (bad header)');
        }
        if (decoded.version !== WAL_VERSION) {
          throw corruptFile(segment.path, `WAL segment format ${decoded.version} is not the supported ${WAL_VERSION}`);
        }
        if (decoded.seq !== segment.seq) {
          throw corruptFile(segment.path, `WAL segment header says segment ${decoded.seq}, the file name ${segment.seq}`);
        }
        first = false;
      } else if (decoded.kind === 'batch') {
        const base = at + FRAME_HEADER_BYTES;
        onBatch({
          seq: segment.seq,
          batch: decoded.batch,
          spans: decoded.spans.map((s) => ({ pos: base + s.pos, len: s.len })),
        });
      } else {
        throw corruptFile(segment.path, `WAL record at offset ${at} is a second segment header`);
      }
      at = end;
    }
    if (first) throw corruptFile(segment.path, 'the WAL segment has no header');
    return at;
  } finally {
    closeSync(fd);
  }
}

/** A bad frame at `at..end` is torn when nothing written follows it and part of it was never written. */
function isTorn(data: Buffer, at: number, end: number): boolean {
  if (!isZero(data.subarray(end))) return false;
  if (end >= data.length) return true;
  const firstSector = Math.floor(at / SECTOR_BYTES) * SECTOR_BYTES;
  for (let s = firstSector; s < end; s += SECTOR_BYTES) {
    const from = Math.max(s, at);
    const to = Math.min(s + SECTOR_BYTES, end);
    // A short all-zero slice can be real data (the high bytes of a small number): demand enough.
    if (to - from >= TORN_SLICE_BYTES_MIN && isZero(data.subarray(from, to))) return true;
  }
  return false;
}
