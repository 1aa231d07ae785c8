import type { Revision } from '../core/ids.js';
import { fromBinary } from './bytes.js';
import type { KvRecord } from './key-index.js';
import type { KeyValue } from './types.js';

const EMPTY = new Uint8Array(0);

/**
 * The public view of a record. A tombstone becomes etcd's delete-event kv: the key and the
 * delete's revision, other fields zero. `keysOnly` leaves the value empty.
 */
export function toKeyValue(record: KvRecord, keysOnly = false): KeyValue {
  return {
    key: fromBinary(record.key),
    value: keysOnly || record.value === null ? EMPTY : record.value,
    createRevision: record.createRevision as Revision,
    modRevision: record.modRevision as Revision,
    version: record.version,
    lease: record.lease,
  };
}
