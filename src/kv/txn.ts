import type { Revision } from '../core/ids.js';
import { compareBytes } from './bytes.js';
import type { KvRecord } from './key-index.js';
import type { Compare, ResponseOp } from './types.js';

/** The branch a txn (and each nested txn on it) takes, decided before anything is written. */
export interface TxnPath {
  readonly succeeded: boolean;
  /** One path per nested txn on the taken branch, in order. */
  readonly nested: readonly TxnPath[];
}

const EMPTY = new Uint8Array(0);

/**
 * Whether `record` satisfies compare `c` (etcd's compareKV). A missing key (`undefined`)
 * compares as all zeros; the caller handles etcd's rule that a value compare on no key fails.
 */
export function compareHolds(c: Compare, record: KvRecord | undefined): boolean {
  let d: number;
  switch (c.target) {
    case 'version':
      d = (record?.version ?? 0) - c.version;
      break;
    case 'create':
      d = (record?.createRevision ?? 0) - c.createRevision;
      break;
    case 'mod':
      d = (record?.modRevision ?? 0) - c.modRevision;
      break;
    case 'lease':
      d = (record?.lease ?? 0) - c.lease;
      break;
    case 'value':
      d = compareBytes(record?.value ?? EMPTY, c.value);
      break;
  }
  switch (c.result) {
    case 'equal':
      return d === 0;
    case 'notEqual':
      return d !== 0;
    case 'greater':
      return d > 0;
    case 'less':
      return d < 0;
  }
}

/** Stamps the txn's final revision on every response inside it. */
export function withRevision(responses: readonly ResponseOp[], revision: Revision): ResponseOp[] {
  return responses.map((op): ResponseOp => {
    switch (op.type) {
      case 'range':
        return { type: 'range', response: { ...op.response, revision } };
      case 'put':
        return { type: 'put', response: { ...op.response, revision } };
      case 'deleteRange':
        return { type: 'deleteRange', response: { ...op.response, revision } };
      default:
        return { type: 'txn', response: { ...op.response, revision, responses: withRevision(op.response.responses, revision) } };
    }
  });
}

