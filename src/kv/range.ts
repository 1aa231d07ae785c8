import { compareBytes, keySpan } from './bytes.js';
import type { KeyIndex, KvRecord } from './key-index.js';
import { toKeyValue } from './key-value.js';
import type { KeyValue, RangeRequest, SortTarget } from './types.js';

export interface RangeResult {
  readonly kvs: KeyValue[];
  readonly more: boolean;
  readonly count: number;
}

/**
 * etcd's range evaluation at a (validated) read revision: count every key in the range;
 * drop keys outside the min/max mod/create filters; sort (a non-key target with order
 * "none" sorts ascending); cut to `limit`, setting `more` when something was cut.
 * Ties in a sort keep key order.
 */
export function evalRange(index: KeyIndex, req: RangeRequest, readRevision: number): RangeResult {
  const span = keySpan(req.key, req.rangeEnd);
  const limit = req.limit ?? 0;
  const target: SortTarget = req.sortTarget ?? 'key';
  let order = req.sortOrder ?? 'none';
  if (target !== 'key' && order === 'none') order = 'ascend';
  if (target === 'key' && order === 'ascend') order = 'none';
  const minMod = req.minModRevision ?? 0;
  const maxMod = req.maxModRevision ?? 0;
  const minCreate = req.minCreateRevision ?? 0;
  const maxCreate = req.maxCreateRevision ?? 0;
  const filtered = minMod !== 0 || maxMod !== 0 || minCreate !== 0 || maxCreate !== 0;
  // Without sorting or filters the first limit+1 keys decide `more`; the rest are only counted.
  const keep = req.countOnly === true ? 0 : order === 'none' && !filtered && limit > 0 ? limit + 1 : Infinity;

  let count = 0;
  let records: KvRecord[] = [];
  index.scan(span, readRevision, (rec) => {
    count++;
    if (records.length < keep) records.push(rec);
    return true;
  });
  if (req.countOnly === true) return { kvs: [], more: false, count };
  if (filtered) {
    records = records.filter(
      (r) =>
        (maxMod === 0 || r.modRevision <= maxMod) &&
        (minMod === 0 || r.modRevision >= minMod) &&
        (maxCreate === 0 || r.createRevision <= maxCreate) &&
        (minCreate === 0 || r.createRevision >= minCreate),
    );
  }
  if (order !== 'none') {
    const cmp = comparator(target);
    const sign = order === 'descend' ? -1 : 1;
    records.sort((a, b) => sign * cmp(a, b));
  }
  let more = false;
  if (limit > 0 && records.length > limit) {
    records = records.slice(0, limit);
    more = true;
  }
  const keysOnly = req.keysOnly === true;
  return { kvs: records.map((r) => toKeyValue(r, keysOnly)), more, count };
}

function comparator(target: SortTarget): (a: KvRecord, b: KvRecord) => number {
  switch (target) {
    case 'key':
      return (a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);
    case 'version':
      return (a, b) => a.version - b.version;
    case 'create':
      return (a, b) => a.createRevision - b.createRevision;
    case 'mod':
      return (a, b) => a.modRevision - b.modRevision;
    case 'value':
      return (a, b) => compareBytes(a.value ?? new Uint8Array(0), b.value ?? new Uint8Array(0));
  }
}
