import { status } from '@grpc/grpc-js';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { EtcdError, toEtcdStatus } from '../../../src/api/etcd/errors.js';
import { clampInt, hexId, nonNegative, safeId, uint64 } from '../../../src/api/etcd/int64.js';
import { frameSnapshot, readSnapshotFile } from '../../../src/api/etcd/snapshot-file.js';
import { parseListenUrl } from '../../../src/api/etcd/server.js';
import { checkTxn } from '../../../src/api/etcd/validate.js';
import type { WireRequestOp, WireTxnRequest } from '../../../src/api/etcd/wire.js';
import { ErrorCodes, InvalidArgumentError, LimitExceededError, NinesError } from '../../../src/core/errors.js';
import { compactedError, futureRevisionError, leaseNotFoundError } from '../../../src/kv/errors.js';

describe('int64 at the edge', () => {
  test('safe ids round-trip; ids beyond 2^53 or negative are unrepresentable', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }), (n) => safeId(String(n)) === n));
    expect(safeId('9007199254740992')).toBeUndefined();
    expect(safeId('-1')).toBeUndefined();
    expect(safeId('12x')).toBeUndefined();
  });
  test('revisions clamp: negative → 0, huge → max safe (a future revision)', () => {
    expect(nonNegative('-5')).toBe(0);
    expect(nonNegative('9223372036854775807')).toBe(Number.MAX_SAFE_INTEGER);
    expect(clampInt('-9223372036854775808')).toBe(-Number.MAX_SAFE_INTEGER);
    fc.assert(fc.property(fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }), (v) => Math.abs(clampInt(v.toString())) <= Number.MAX_SAFE_INTEGER));
  });
  test('uint64 member ids and hex ids', () => {
    expect(uint64('18446744073709551615')).toBe(2n ** 64n - 1n);
    expect(uint64('-1')).toBe(2n ** 64n - 1n);
    expect(hexId('667880157b8812c8')).toBe(7383792418829112008n);
    expect(hexId('')).toBe(0n);
  });
});

describe('error table', () => {
  test('kv errors map to etcd codes and exact messages', () => {
    expect(toEtcdStatus(compactedError())).toEqual({ code: status.OUT_OF_RANGE, details: 'etcdserver: mvcc: required revision has been compacted' });
    expect(toEtcdStatus(futureRevisionError())).toEqual({ code: status.OUT_OF_RANGE, details: 'etcdserver: mvcc: required revision is a future revision' });
    expect(toEtcdStatus(leaseNotFoundError())).toEqual({ code: status.NOT_FOUND, details: 'etcdserver: requested lease not found' });
  });
  test('node errors: no leader, timeout, stopped, limits, unknown errors hide details', () => {
    expect(toEtcdStatus(new NinesError(ErrorCodes.NO_LEADER, 'no leader: election'))).toEqual({ code: status.UNAVAILABLE, details: 'etcdserver: no leader' });
    expect(toEtcdStatus(new NinesError(ErrorCodes.TIMEOUT, 'x')).details).toBe('etcdserver: request timed out');
    expect(toEtcdStatus(new NinesError(ErrorCodes.STOPPED, 'x')).details).toBe('etcdserver: server stopped');
    expect(toEtcdStatus(new LimitExceededError('requestBytesMax', 2, 1)).details).toBe('etcdserver: request is too large');
    expect(toEtcdStatus(new LimitExceededError('pendingProposalsMax', 2, 1))).toEqual({ code: status.RESOURCE_EXHAUSTED, details: 'etcdserver: too many requests' });
    expect(toEtcdStatus(new InvalidArgumentError('bad thing')).details).toBe('etcdserver: bad thing');
    expect(toEtcdStatus(new InvalidArgumentError('etcdserver: once')).details).toBe('etcdserver: once');
    expect(toEtcdStatus(new TypeError('secret stack'))).toEqual({ code: status.INTERNAL, details: 'etcdserver: internal error' });
    expect(toEtcdStatus(new EtcdError('memberNotFound'))).toEqual({ code: status.NOT_FOUND, details: 'etcdserver: member not found' });
  });
});

describe('snapshot file framing', () => {
  test('frame then read gives the payload back; size is 512·n + 32 as etcdctl requires', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 3000 }), (payload) => {
        const file = frameSnapshot(payload);
        expect((file.length - 32) % 512).toBe(0);
        expect(Buffer.from(readSnapshotFile(file)).equals(Buffer.from(payload))).toBe(true);
      }),
      { numRuns: 50 },
    );
  });
  test('any flipped byte is detected', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 600 }), fc.nat(), (payload, at) => {
        const file = frameSnapshot(payload);
        const i = at % file.length;
        file[i] = (file[i] as number) ^ 0x01;
        expect(() => readSnapshotFile(file)).toThrow();
      }),
      { numRuns: 50 },
    );
  });
});

describe('txn duplicate-key check (etcd checkIntervals)', () => {
  const put = (k: string): WireRequestOp => ({ request: 'request_put', request_put: { key: Buffer.from(k), value: Buffer.alloc(0), lease: '0', prev_kv: false, ignore_value: false, ignore_lease: false } });
  const del = (k: string, end = ''): WireRequestOp => ({ request: 'request_delete_range', request_delete_range: { key: Buffer.from(k), range_end: Buffer.from(end), prev_kv: false } });
  const txn = (success: WireRequestOp[], failure: WireRequestOp[] = []): WireTxnRequest => ({ compare: [], success, failure });
  const nested = (success: WireRequestOp[], failure: WireRequestOp[] = []): WireRequestOp => ({ request: 'request_txn', request_txn: txn(success, failure) });
  const dup = /duplicate key/;

  test('table', () => {
    expect(() => checkTxn(txn([put('a'), put('b')]))).not.toThrow();
    expect(() => checkTxn(txn([put('a'), put('a')]))).toThrow(dup);
    expect(() => checkTxn(txn([del('a', 'c'), put('b')]))).toThrow(dup);
    expect(() => checkTxn(txn([del('a', 'c'), put('c')]))).not.toThrow();
    expect(() => checkTxn(txn([del('a', '\0'), put('zzz')]))).toThrow(dup);
    expect(() => checkTxn(txn([del('a'), del('a')]))).not.toThrow();
    expect(() => checkTxn(txn([put('a')], [put('a')]))).not.toThrow();
    expect(() => checkTxn(txn([nested([put('x')], [put('x')])]))).not.toThrow();
    expect(() => checkTxn(txn([nested([put('x')]), put('x')]))).toThrow(dup);
    expect(() => checkTxn(txn([del('x'), nested([put('x')])]))).toThrow(dup);
  });

  test('distinct keys never conflict; a key put twice always does', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.string({ minLength: 1, maxLength: 4 }), { minLength: 1, maxLength: 20 }), fc.nat(), (keys, pick) => {
        expect(() => checkTxn(txn(keys.map(put)))).not.toThrow();
        const again = keys[pick % keys.length] as string;
        expect(() => checkTxn(txn([...keys.map(put), put(again)]))).toThrow(dup);
      }),
    );
  });
});

describe('listen URLs', () => {
  test('host and port; scheme must match TLS; errors name the flag', () => {
    expect(parseListenUrl('http://127.0.0.1:2379', false)).toEqual({ host: '127.0.0.1', port: 2379 });
    expect(parseListenUrl('https://[::1]:3000', true)).toEqual({ host: '::1', port: 3000 });
    expect(() => parseListenUrl('unix:///x', false)).toThrow(/--listen-client-urls/);
    expect(() => parseListenUrl('nonsense', false)).toThrow(/--listen-client-urls/);
    expect(() => parseListenUrl('https://127.0.0.1:1', false)).toThrow(/--cert-file/);
  });
});
