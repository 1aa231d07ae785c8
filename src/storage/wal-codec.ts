import { Packr } from 'msgpackr';
import type { LogIndex, NodeId, Term } from '../core/ids.js';
import type { ConfState, Entry, HardState } from '../raft/types.js';
import { decodeEntry, encodeEntry } from './codec.js';
import { crc32 } from './crc.js';
import { toConfState } from './records.js';

/**
 * Frames of the write-ahead log. A segment is a sequence of frames `[length u32 BE][crc32 u32 BE]
 * [payload]`; the CRC covers the payload. A zero length word marks the end of the written part
 * (segments are preallocated with zeros).
 *
 * Payload type 0, the segment header: `[0][magic "NINESWAL"][version u32][seq f64]`.
 * Payload type 1, one batch (one `save`): `[1][flags u8]` then, when flagged,
 * reset `[index f64][term f64]`, hard state `[term f64][vote f64][commit f64]`,
 * conf state `[length u32][msgpack]`; then `[count u32]` and per entry
 * `[index f64][length u32][entry record]` where the entry record is `encodeEntry`'s (its own CRC,
 * salted with the index), so a damaged entry can be named.
 */
export const FRAME_HEADER_BYTES = 8;
export const WAL_MAGIC = 'NINESWAL';
export const WAL_VERSION = 1;
const TYPE_HEADER = 0;
const TYPE_BATCH = 1;
const FLAG_RESET = 1;
const FLAG_HARD_STATE = 2;
const FLAG_CONF_STATE = 4;
const packr = new Packr({ useRecords: false });

/** What one batch records. `reset` replaces the whole log by an empty one after (index, term). */
export interface WalBatch {
  readonly reset?: { readonly index: LogIndex; readonly term: Term };
  readonly hardState?: HardState;
  readonly confState?: ConfState;
  readonly entries: readonly Entry[];
}

/** Where an entry record lies in its segment file. */
export interface EntrySpan {
  readonly pos: number;
  readonly len: number;
}

export interface EncodedFrame {
  readonly bytes: Buffer;
  /** Entry record spans, relative to the frame start. */
  readonly spans: readonly EntrySpan[];
}

function frame(payload: Buffer): Buffer {
  const header = Buffer.alloc(FRAME_HEADER_BYTES);
  header.writeUInt32BE(payload.length, 0);
  header.writeUInt32BE(crc32(payload), 4);
  return Buffer.concat([header, payload]);
}

export function encodeHeaderFrame(seq: number): Buffer {
  const payload = Buffer.alloc(1 + WAL_MAGIC.length + 4 + 8);
  payload[0] = TYPE_HEADER;
  payload.write(WAL_MAGIC, 1, 'latin1');
  payload.writeUInt32BE(WAL_VERSION, 1 + WAL_MAGIC.length);
  payload.writeDoubleBE(seq, 5 + WAL_MAGIC.length);
  return frame(payload);
}

export function encodeBatchFrame(batch: WalBatch): EncodedFrame {
  const parts: Buffer[] = [];
  const head = Buffer.alloc(2);
  head[0] = TYPE_BATCH;
  parts.push(head);
  let flags = 0;
  if (batch.reset !== undefined) {
    flags |= FLAG_RESET;
    const b = Buffer.alloc(16);
    b.writeDoubleBE(batch.reset.index, 0);
    b.writeDoubleBE(batch.reset.term, 8);
    parts.push(b);
  }
  if (batch.hardState !== undefined) {
    flags |= FLAG_HARD_STATE;
    const b = Buffer.alloc(24);
    b.writeDoubleBE(batch.hardState.term, 0);
    b.writeDoubleBE(batch.hardState.vote, 8);
    b.writeDoubleBE(batch.hardState.commit, 16);
    parts.push(b);
  }
  if (batch.confState !== undefined) {
    flags |= FLAG_CONF_STATE;
    const c = batch.confState;
    const packed = packr.pack({ voters: [...c.voters], learners: [...c.learners], votersOutgoing: [...c.votersOutgoing] });
    const len = Buffer.alloc(4);
    len.writeUInt32BE(packed.length, 0);
    parts.push(len, packed);
  }
  head[1] = flags;
  const count = Buffer.alloc(4);
  count.writeUInt32BE(batch.entries.length, 0);
  parts.push(count);
  let offset = FRAME_HEADER_BYTES + parts.reduce((n, p) => n + p.length, 0);
  const spans: EntrySpan[] = [];
  for (const entry of batch.entries) {
    const record = encodeEntry(entry);
    const h = Buffer.alloc(12);
    h.writeDoubleBE(entry.index, 0);
    h.writeUInt32BE(record.length, 8);
    parts.push(h, Buffer.from(record.buffer, record.byteOffset, record.byteLength));
    spans.push({ pos: offset + 12, len: record.length });
    offset += 12 + record.length;
  }
  return { bytes: frame(Buffer.concat(parts)), spans };
}

/** A decoded frame: the header, a batch (entries with their spans relative to the payload), or a reason it is bad. */
export type DecodedFrame =
  | { readonly kind: 'header'; readonly magic: string; readonly version: number; readonly seq: number }
  | { readonly kind: 'batch'; readonly batch: WalBatch; readonly spans: readonly EntrySpan[] }
  | { readonly kind: 'bad'; readonly why: string };

/**
 * Decode a frame payload. With `checkCrc` false (used only to explain a frame whose CRC failed),
 * each entry's own checksum still names the damaged entry.
 */
export function decodePayload(payload: Buffer, expectedCrc: number | undefined): DecodedFrame {
  if (expectedCrc !== undefined && crc32(payload) !== expectedCrc) {
    const inner = decodePayload(payload, undefined);
    return { kind: 'bad', why: inner.kind === 'bad' ? `fails its checksum (${inner.why})` : 'fails its checksum' };
  }
  try {
    return decodeUnchecked(payload);
  } catch (err) {
    return { kind: 'bad', why: `does not parse (${err instanceof Error ? err.message : String(err)})` };
  }
}

function decodeUnchecked(p: Buffer): DecodedFrame {
  const type = p[0];
  if (type === TYPE_HEADER) {
    return {
      kind: 'header',
      magic: p.toString('latin1', 1, 1 + WAL_MAGIC.length),
      version: p.readUInt32BE(1 + WAL_MAGIC.length),
      seq: p.readDoubleBE(5 + WAL_MAGIC.length),
    };
  }
  if (type !== TYPE_BATCH) return { kind: 'bad', why: `has unknown type ${String(type)}` };
  const flags = p[1] ?? 0;
  let at = 2;
  let reset: WalBatch['reset'];
  let hardState: HardState | undefined;
  let confState: ConfState | undefined;
  if ((flags & FLAG_RESET) !== 0) {
    reset = { index: p.readDoubleBE(at) as LogIndex, term: p.readDoubleBE(at + 8) as Term };
    at += 16;
  }
  if ((flags & FLAG_HARD_STATE) !== 0) {
    hardState = {
      term: p.readDoubleBE(at) as Term,
      vote: p.readDoubleBE(at + 8) as NodeId,
      commit: p.readDoubleBE(at + 16) as LogIndex,
    };
    at += 24;
  }
  if ((flags & FLAG_CONF_STATE) !== 0) {
    const len = p.readUInt32BE(at);
    confState = toConfState(packr.unpack(p.subarray(at + 4, at + 4 + len)));
    if (confState === undefined) return { kind: 'bad', why: 'has a malformed conf state' };
    at += 4 + len;
  }
  const count = p.readUInt32BE(at);
  at += 4;
  const entries: Entry[] = [];
  const spans: EntrySpan[] = [];
  for (let i = 0; i < count; i++) {
    const index = p.readDoubleBE(at);
    const len = p.readUInt32BE(at + 8);
    if (at + 12 + len > p.length) return { kind: 'bad', why: 'is cut short' };
    const entry = decodeEntry(index, p.subarray(at + 12, at + 12 + len));
    if (entry === undefined) return { kind: 'bad', why: `log entry ${index} fails its checksum` };
    entries.push(entry);
    spans.push({ pos: at + 12, len });
    at += 12 + len;
  }
  if (at !== p.length) return { kind: 'bad', why: 'has trailing bytes' };
  const batch: WalBatch = {
    entries,
    ...(reset === undefined ? {} : { reset }),
    ...(hardState === undefined ? {} : { hardState }),
    ...(confState === undefined ? {} : { confState }),
  };
  return { kind: 'batch', batch, spans };
}
