import { describe, expect, it } from 'vitest';
import { ErrorCodes } from '../../src/core/errors.js';
import { KvMessages } from '../../src/kv/errors.js';
import { KvLimits } from '../../src/kv/limits.js';
import type { Compare, CompareResult, RequestOp, TxnRequest } from '../../src/kv/types.js';
import { b, Driver, str } from './helpers.js';

function txn(d: Driver, request: TxnRequest) {
  return d.ok({ type: 'txn', request }, 'txn').response;
}

const put = (key: string, value: string): RequestOp => ({ type: 'put', request: { key: b(key), value: b(value) } });
const get = (key: string): RequestOp => ({ type: 'range', request: { key: b(key) } });

describe('txn compares', () => {
  // Key 'k': version 2, create 2, mod 3, value 'v2', lease L.
  function setup(): { d: Driver; lease: number } {
    const d = new Driver();
    const lease = d.grant(100);
    d.put('k', 'v1', { lease }); // 2
    d.put('k', 'v2', { lease }); // 3
    return { d, lease };
  }
  const table: [string, (lease: number) => Omit<Compare, 'result' | 'key'>, Record<CompareResult, boolean>][] = [
    ['version = 2', () => ({ target: 'version', version: 2 }), { equal: true, notEqual: false, greater: false, less: false }],
    ['version vs 3', () => ({ target: 'version', version: 3 }), { equal: false, notEqual: true, greater: false, less: true }],
    ['create vs 1', () => ({ target: 'create', createRevision: 1 }), { equal: false, notEqual: true, greater: true, less: false }],
    ['mod vs 3', () => ({ target: 'mod', modRevision: 3 }), { equal: true, notEqual: false, greater: false, less: false }],
    ['value vs v3', () => ({ target: 'value', value: b('v3') }), { equal: false, notEqual: true, greater: false, less: true }],
    ['value vs v1', () => ({ target: 'value', value: b('v1') }), { equal: false, notEqual: true, greater: true, less: false }],
    ['lease = L', (l) => ({ target: 'lease', lease: l }), { equal: true, notEqual: false, greater: false, less: false }],
  ];
  for (const [name, operand, expected] of table) {
    for (const result of ['equal', 'notEqual', 'greater', 'less'] as const) {
      it(`${name} ${result} → ${expected[result]}`, () => {
        const { d, lease } = setup();
        const compare = { key: b('k'), result, ...operand(lease) } as Compare;
        const r = txn(d, { compare: [compare], success: [put('s', '1')], failure: [put('f', '1')] });
        expect(r.succeeded).toBe(expected[result]);
        expect(d.get(expected[result] ? 's' : 'f')).toBeDefined();
        expect(d.get(expected[result] ? 'f' : 's')).toBeUndefined();
      });
    }
  }

  it('a missing key compares as zero, except on value which is always false', () => {
    const d = new Driver();
    expect(txn(d, { compare: [{ key: b('nope'), target: 'version', result: 'equal', version: 0 }] }).succeeded).toBe(true);
    expect(txn(d, { compare: [{ key: b('nope'), target: 'create', result: 'equal', createRevision: 0 }] }).succeeded).toBe(true);
    expect(txn(d, { compare: [{ key: b('nope'), target: 'value', result: 'notEqual', value: b('x') }] }).succeeded).toBe(false);
  });

  it('compares over a range must hold for every key', () => {
    const d = new Driver();
    d.put('p/a', '1');
    d.put('p/b', '1');
    d.put('p/b', '2');
    const allV1 = (v: number): Compare => ({ key: b('p/'), rangeEnd: b('p0'), target: 'version', result: 'equal', version: v });
    expect(txn(d, { compare: [allV1(1)] }).succeeded).toBe(false);
    d.put('p/a', '2');
    expect(txn(d, { compare: [allV1(2)] }).succeeded).toBe(true);
    const fresh: Compare = { key: b('p/'), rangeEnd: b('p0'), target: 'mod', result: 'greater', modRevision: 4 };
    expect(txn(d, { compare: [fresh] }).succeeded).toBe(false); // p/b has mod 4
    expect(txn(d, { compare: [{ ...fresh, modRevision: 3 }] }).succeeded).toBe(true);
  });
});

describe('txn execution', () => {
  it('a whole txn is one revision; reads inside see earlier writes', () => {
    const d = new Driver();
    d.put('a', '0'); // 2
    const r = txn(d, { success: [put('a', '1'), put('b', '1'), get('a'), { type: 'deleteRange', request: { key: b('c') } }] });
    expect(r.revision).toBe(3);
    expect(d.store.revision).toBe(3);
    const read = r.responses[2];
    expect(read?.type).toBe('range');
    if (read?.type === 'range') expect(str(read.response.kvs[0]!.value)).toBe('1');
    expect(d.get('a')!.modRevision).toBe(3);
    expect(d.get('b')!.modRevision).toBe(3);
  });

  it('a txn that changes nothing does not raise the revision', () => {
    const d = new Driver();
    d.put('a', '1');
    const r = txn(d, { success: [get('a'), { type: 'deleteRange', request: { key: b('zz') } }] });
    expect(r.revision).toBe(2);
    expect(d.store.revision).toBe(2);
  });

  it('nested txns take their own branch, with compares evaluated before any write', () => {
    const d = new Driver();
    d.put('x', '1'); // 2
    const inner: TxnRequest = {
      // Evaluated against the state before the txn: x has version 1 even though the outer
      // txn's earlier op overwrote it.
      compare: [{ key: b('x'), target: 'version', result: 'equal', version: 1 }],
      success: [put('inner-ok', 'y')],
      failure: [put('inner-failed', 'y')],
    };
    const r = txn(d, {
      compare: [{ key: b('x'), target: 'value', result: 'equal', value: b('1') }],
      success: [put('x', '2'), { type: 'txn', request: inner }],
    });
    expect(r.succeeded).toBe(true);
    const nested = r.responses[1];
    expect(nested?.type === 'txn' && nested.response.succeeded).toBe(true);
    expect(d.get('inner-ok')).toBeDefined();
    expect(d.get('inner-failed')).toBeUndefined();
    expect(d.get('x')).toMatchObject({ version: 2, modRevision: 3 });
    expect(d.store.revision).toBe(3);
  });

  it('refuses duplicate keys: two puts, or a put inside a deleted range', () => {
    const d = new Driver();
    const dup = d.error({ type: 'txn', request: { success: [put('a', '1'), put('a', '2')] } });
    expect(dup).toMatchObject({ code: ErrorCodes.INVALID_ARGUMENT, message: KvMessages.duplicateKey });
    const delPut = d.error({
      type: 'txn',
      request: { success: [{ type: 'deleteRange', request: { key: b('a'), rangeEnd: b('b') } }, put('a1', '2')] },
    });
    expect(delPut.message).toBe(KvMessages.duplicateKey);
    const nestedDup = d.error({
      type: 'txn',
      request: { success: [put('a', '1'), { type: 'txn', request: { failure: [put('a', '2')] } }] },
    });
    expect(nestedDup.message).toBe(KvMessages.duplicateKey);
    // Overlapping deletes, and the same key in both branches of a nested txn, are fine.
    d.put('a', '0');
    const ok = txn(d, {
      success: [
        { type: 'deleteRange', request: { key: b('a') } },
        { type: 'deleteRange', request: { key: b('a'), rangeEnd: b('b') } },
        { type: 'txn', request: { success: [put('z', '1')], failure: [put('z', '2')] } },
      ],
    });
    expect(ok.responses[0]?.type === 'deleteRange' && ok.responses[0].response.deleted).toBe(1);
    expect(ok.responses[1]?.type === 'deleteRange' && ok.responses[1].response.deleted).toBe(0);
  });

  it('refuses too many ops (etcd --max-txn-ops)', () => {
    const d = new Driver();
    const ops = Array.from({ length: KvLimits.txnOpsMax + 1 }, (_, i) => put(`k${i}`, 'v'));
    expect(d.error({ type: 'txn', request: { success: ops } }).code).toBe(ErrorCodes.LIMIT_EXCEEDED);
    expect(txn(d, { success: ops.slice(0, KvLimits.txnOpsMax) }).responses).toHaveLength(KvLimits.txnOpsMax);
  });

  it('is atomic: a failing op on the taken path changes nothing', () => {
    const d = new Driver();
    d.put('a', '1');
    const e = d.error({
      type: 'txn',
      request: { success: [put('b', '1'), { type: 'put', request: { key: b('c'), value: b('1'), lease: 777 } }] },
    });
    expect(e.code).toBe(ErrorCodes.LEASE_NOT_FOUND);
    const future = d.error({ type: 'txn', request: { success: [put('b', '1'), { type: 'range', request: { key: b('a'), revision: 50 } }] } });
    expect(future.code).toBe(ErrorCodes.FUTURE_REVISION);
    expect(d.get('b')).toBeUndefined();
    expect(d.store.revision).toBe(2);
    // The untaken branch is not checked.
    const r = txn(d, { compare: [{ key: b('a'), target: 'version', result: 'equal', version: 1 }], success: [put('b', '1')], failure: [{ type: 'put', request: { key: b('c'), lease: 777 } }] });
    expect(r.succeeded).toBe(true);
  });
});
