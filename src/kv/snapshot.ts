import { Packr } from 'msgpackr';
import { CorruptError } from '../core/errors.js';
import { fromBinary, toBinary } from './bytes.js';
import { crc32c } from './crc32c.js';
import type { Change } from './history.js';
import type { KvRecord } from './key-index.js';

/**
 * The snapshot format of a `KvStore`: msgpack of `{format, v, crc, body}` where `body` is
 * the msgpack of the state and `crc` its CRC-32C. Records are written once in a table and
 * referenced by position from the index and the history, which share them in memory.
 *
 * body = [revision, compactRevision, consistentIndex, leaseNextId,
 *         records: [keyBlob, keyLengths[], valueBlob, valueLengths[] (-1 = tombstone),
 *                   createRevisions[], modRevisions[], versions[], leases[]],
 *         keyCounts[] (key i owns the next keyCounts[i] rows; index rows come first, in key
 *                      order, increasing modRev),
 *         historyFirst, [changeCounts[] (one per revision), (recordPos, prevPos | -1)* flat],
 *         leases: (id, ttlSec, expiryMs, remainingTtlSec)* (flat, by id)]
 */
export const SNAPSHOT_FORMAT = 'nines-kv-snapshot';
export const SNAPSHOT_FORMAT_VERSION = 1;

export interface LeaseData {
  readonly id: number;
  readonly ttlSec: number;
  readonly expiryMs: number;
  readonly remainingTtlSec: number;
}

/** Everything a store is, as plain data. */
export interface StoreData {
  readonly revision: number;
  readonly compactRevision: number;
  readonly consistentIndex: number;
  readonly leaseNextId: number;
  /** Each key's records, keys in order. */
  readonly keys: readonly (readonly KvRecord[])[];
  readonly historyFirst: number;
  readonly history: readonly (readonly Change[])[];
  readonly leases: readonly LeaseData[];
}

const packr = new Packr({ useRecords: false, moreTypes: false, mapsAsObjects: true });

/** Records as columns: fewer, larger msgpack items than one array per record. */
interface RecordColumns {
  keys: Uint8Array[];
  values: Uint8Array[];
  /** Per record: value length, or -1 for a tombstone. */
  valueLengths: number[];
  keyLengths: number[];
  createRevisions: number[];
  modRevisions: number[];
  versions: number[];
  leases: number[];
}

function concat(parts: readonly Uint8Array[], total: number): Uint8Array {
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/**
 * The state body. With `forHash` the consistent index is written as 0: the hash covers the
 * key space and leases, which agree across replicas, not the log position.
 */
export function encodeStoreBody(data: StoreData, forHash: boolean): Uint8Array {
  const positions = new Map<KvRecord, number>();
  const cols: RecordColumns = {
    keys: [],
    values: [],
    valueLengths: [],
    keyLengths: [],
    createRevisions: [],
    modRevisions: [],
    versions: [],
    leases: [],
  };
  let keyBytes = 0;
  let valueBytes = 0;
  const pos = (r: KvRecord): number => {
    let p = positions.get(r);
    if (p === undefined) {
      p = cols.modRevisions.length;
      positions.set(r, p);
      const key = fromBinary(r.key);
      cols.keys.push(key);
      cols.keyLengths.push(key.length);
      keyBytes += key.length;
      if (r.value === null) cols.valueLengths.push(-1);
      else {
        cols.values.push(r.value);
        cols.valueLengths.push(r.value.length);
        valueBytes += r.value.length;
      }
      cols.createRevisions.push(r.createRevision);
      cols.modRevisions.push(r.modRevision);
      cols.versions.push(r.version);
      cols.leases.push(r.lease);
    }
    return p;
  };
  // Index records come first, in key order, so a key's records are the next `count` rows.
  const keyCounts: number[] = [];
  for (const records of data.keys) {
    for (const r of records) pos(r);
    keyCounts.push(records.length);
  }
  const changeCounts: number[] = [];
  const changes: number[] = [];
  for (const revision of data.history) {
    changeCounts.push(revision.length);
    for (const c of revision) changes.push(pos(c.record), c.prev === undefined ? -1 : pos(c.prev));
  }
  const leases: number[] = [];
  for (const l of data.leases) leases.push(l.id, l.ttlSec, l.expiryMs, l.remainingTtlSec);
  const records = [
    concat(cols.keys, keyBytes),
    cols.keyLengths,
    concat(cols.values, valueBytes),
    cols.valueLengths,
    cols.createRevisions,
    cols.modRevisions,
    cols.versions,
    cols.leases,
  ];
  const body = [
    data.revision,
    data.compactRevision,
    forHash ? 0 : data.consistentIndex,
    data.leaseNextId,
    records,
    keyCounts,
    data.historyFirst,
    [changeCounts, changes],
    leases,
  ];
  return packr.pack(body);
}

export function encodeSnapshot(data: StoreData): Uint8Array {
  const body = encodeStoreBody(data, false);
  const bytes = packr.pack({ format: SNAPSHOT_FORMAT, v: SNAPSHOT_FORMAT_VERSION, crc: crc32c(body), body });
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length);
}

function corrupt(what: string): CorruptError {
  return new CorruptError(`kv snapshot is corrupt: ${what}`);
}

function int(value: unknown, what: string, min = 0): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) throw corrupt(`${what} is not an integer ≥ ${min}`);
  return value;
}

function arr(value: unknown, what: string): unknown[] {
  if (!Array.isArray(value)) throw corrupt(`${what} is not a list`);
  return value;
}

function bin(value: unknown, what: string): Uint8Array {
  if (!(value instanceof Uint8Array)) throw corrupt(`${what} is not bytes`);
  return new Uint8Array(value);
}

/** Decodes and checks a snapshot; any damage raises `CorruptError`, never anything else. */
export function decodeSnapshot(bytes: Uint8Array): StoreData {
  if (!(bytes instanceof Uint8Array)) throw corrupt('not bytes');
  let outer: unknown;
  try {
    outer = packr.unpack(bytes);
  } catch (err) {
    throw new CorruptError(`kv snapshot is corrupt: undecodable envelope (${(err as Error).message})`, { cause: err });
  }
  if (typeof outer !== 'object' || outer === null) throw corrupt('no envelope');
  const env = outer as Record<string, unknown>;
  if (env['format'] !== SNAPSHOT_FORMAT) throw corrupt(`format is ${String(env['format'])}, not ${SNAPSHOT_FORMAT}`);
  if (env['v'] !== SNAPSHOT_FORMAT_VERSION) throw corrupt(`version ${String(env['v'])} is not supported`);
  const body = env['body'];
  if (!(body instanceof Uint8Array)) throw corrupt('body is not bytes');
  const crc = crc32c(body);
  if (env['crc'] !== crc) throw corrupt(`checksum mismatch (stored ${String(env['crc'])}, computed ${crc})`);
  let tuple: unknown;
  try {
    tuple = packr.unpack(body);
  } catch (err) {
    throw new CorruptError(`kv snapshot is corrupt: undecodable body (${(err as Error).message})`, { cause: err });
  }
  const t = arr(tuple, 'body');
  if (t.length !== 9) throw corrupt('body has the wrong number of fields');
  const revision = int(t[0], 'revision', 1);
  const compactRevision = int(t[1], 'compactRevision');
  const consistentIndex = int(t[2], 'consistentIndex');
  const leaseNextId = int(t[3], 'leaseNextId', 1);
  const records = decodeRecords(arr(t[4], 'records'));
  const ref = (p: unknown, what: string): KvRecord => {
    const rec = records[int(p, what)];
    if (rec === undefined) throw corrupt(`${what} points outside the record table`);
    return rec;
  };
  let row = 0;
  const keys = arr(t[5], 'key counts').map((count, i) => {
    const n = int(count, `key ${i} record count`, 1);
    if (row + n > records.length) throw corrupt('key record counts overrun the record table');
    row += n;
    return records.slice(row - n, row);
  });
  const historyFirst = int(t[6], 'historyFirst', 1);
  const hist = arr(t[7], 'history');
  const changeCounts = arr(hist[0], 'history change counts');
  const flat = arr(hist[1], 'history changes');
  let at = 0;
  const history = changeCounts.map((count, i) => {
    const n = int(count, `history ${i} change count`, 1);
    if (at + 2 * n > flat.length) throw corrupt('history changes overrun');
    const out: Change[] = [];
    for (let j = 0; j < n; j++, at += 2) {
      const prevPos = int(flat[at + 1], `history ${i} change ${j} prev`, -1);
      out.push({ record: ref(flat[at], `history ${i} change ${j}`), prev: prevPos === -1 ? undefined : ref(prevPos, 'prev') });
    }
    return out;
  });
  if (at !== flat.length) throw corrupt('history has trailing changes');
  const leaseFields = arr(t[8], 'leases');
  if (leaseFields.length % 4 !== 0) throw corrupt('lease fields are not in fours');
  const leases = Array.from({ length: leaseFields.length / 4 }, (_, i): LeaseData => {
    const l = leaseFields.slice(i * 4, i * 4 + 4);
    return {
      id: int(l[0], `lease ${i} id`, 1),
      ttlSec: int(l[1], `lease ${i} ttlSec`),
      expiryMs: int(l[2], `lease ${i} expiryMs`, Number.MIN_SAFE_INTEGER),
      remainingTtlSec: int(l[3], `lease ${i} remainingTtlSec`),
    };
  });
  return { revision, compactRevision, consistentIndex, leaseNextId, keys, historyFirst, history, leases };
}

function decodeRecords(cols: unknown[]): KvRecord[] {
  if (cols.length !== 8) throw corrupt('record columns have the wrong shape');
  const keyBlob = bin(cols[0], 'record keys');
  const keyLengths = arr(cols[1], 'record key lengths');
  const valueBlob = bin(cols[2], 'record values');
  const valueLengths = arr(cols[3], 'record value lengths');
  const [creates, mods, versions, leases] = [4, 5, 6, 7].map((c) => arr(cols[c], `record column ${c}`)) as [
    unknown[],
    unknown[],
    unknown[],
    unknown[],
  ];
  const n = mods.length;
  for (const col of [keyLengths, valueLengths, creates, versions, leases]) {
    if (col.length !== n) throw corrupt('record columns differ in length');
  }
  const out: KvRecord[] = new Array(n);
  let keyAt = 0;
  let valueAt = 0;
  for (let i = 0; i < n; i++) {
    const keyLength = int(keyLengths[i], `record ${i} key length`);
    if (keyAt + keyLength > keyBlob.length) throw corrupt('record keys overrun');
    const key = toBinary(keyBlob.subarray(keyAt, keyAt + keyLength));
    keyAt += keyLength;
    const valueLength = int(valueLengths[i], `record ${i} value length`, -1);
    let value: Uint8Array | null = null;
    if (valueLength >= 0) {
      if (valueAt + valueLength > valueBlob.length) throw corrupt('record values overrun');
      value = valueBlob.subarray(valueAt, valueAt + valueLength);
      valueAt += valueLength;
    }
    out[i] = {
      key,
      createRevision: int(creates[i], `record ${i} createRevision`),
      modRevision: int(mods[i], `record ${i} modRevision`, 1),
      version: int(versions[i], `record ${i} version`),
      lease: int(leases[i], `record ${i} lease`),
      value,
    };
  }
  if (keyAt !== keyBlob.length || valueAt !== valueBlob.length) throw corrupt('record blobs have trailing bytes');
  return out;
}
