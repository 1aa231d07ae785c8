import { describe, expect, it } from 'vitest';
import { ErrorCodes } from '../../src/core/errors.js';
import { logIndex } from '../../src/core/ids.js';
import { KvMessages } from '../../src/kv/errors.js';
import { KvStore } from '../../src/kv/store.js';
import { b, Driver, keysOf, str } from './helpers.js';

describe('revisions and versions', () => {
  it('starts at revision 1 and each put raises it by one', () => {
    const d = new Driver();
    expect(d.store.revision).toBe(1);
    expect(d.put('a', '1').revision).toBe(2);
    expect(d.put('b', '1').revision).toBe(3);
    expect(d.put('a', '2').revision).toBe(4);
    expect(d.store.revision).toBe(4);
  });

  it('tracks createRevision, modRevision and version; delete resets version', () => {
    const d = new Driver();
    d.put('k', 'v1'); // rev 2
    d.put('k', 'v2'); // rev 3
    let kv = d.get('k');
    expect(kv).toMatchObject({ createRevision: 2, modRevision: 3, version: 2, lease: 0 });
    expect(str(kv!.value)).toBe('v2');
    expect(d.del('k').deleted).toBe(1); // rev 4
    expect(d.get('k')).toBeUndefined();
    d.put('k', 'v3'); // rev 5
    kv = d.get('k');
    expect(kv).toMatchObject({ createRevision: 5, modRevision: 5, version: 1 });
  });

  it('a delete of nothing does not raise the revision', () => {
    const d = new Driver();
    d.put('a', '1');
    const r = d.del('zzz');
    expect(r.deleted).toBe(0);
    expect(r.revision).toBe(2);
    expect(d.store.revision).toBe(2);
  });

  it('deleteRange deletes a whole range in one revision with prevKvs', () => {
    const d = new Driver();
    for (const k of ['a1', 'a2', 'a3', 'b1']) d.put(k, `v-${k}`);
    const r = d.del('a', 'b', true);
    expect(r.deleted).toBe(3);
    expect(r.revision).toBe(6);
    expect(keysOf(r.prevKvs)).toEqual(['a1', 'a2', 'a3']);
    expect(str(r.prevKvs[1]!.value)).toBe('v-a2');
    expect(keysOf(d.store.range({ key: b('a'), rangeEnd: new Uint8Array([0]) }).kvs)).toEqual(['b1']);
  });

  it('put returns prevKv only when asked', () => {
    const d = new Driver();
    expect(d.put('a', '1', { prevKv: true }).prevKv).toBeUndefined();
    const r = d.put('a', '2', { prevKv: true });
    expect(str(r.prevKv!.value)).toBe('1');
    expect(d.put('a', '3').prevKv).toBeUndefined();
  });

  it('ignoreValue and ignoreLease keep the current value and lease', () => {
    const d = new Driver();
    const lease = d.grant(60);
    d.put('a', 'orig', { lease });
    d.put('a', '', { ignoreValue: true, lease });
    expect(str(d.get('a')!.value)).toBe('orig');
    expect(d.get('a')!.lease).toBe(lease);
    d.put('a', 'new', { ignoreLease: true });
    expect(d.get('a')).toMatchObject({ lease, version: 3 });
    expect(str(d.get('a')!.value)).toBe('new');
    // Without ignoreLease a put sets the lease it names (none): the key leaves the lease.
    d.put('a', '', { ignoreValue: true });
    expect(d.get('a')).toMatchObject({ lease: 0, version: 4 });
    expect(str(d.get('a')!.value)).toBe('new');
    expect(d.store.leaseTimeToLive(lease, d.nowMs, true).keys).toEqual([]);
  });

  it('refuses ignoreValue on a missing key, a value with ignoreValue, an unknown lease', () => {
    const d = new Driver();
    const rev = d.store.revision;
    expect(d.error({ type: 'put', request: { key: b('x'), ignoreValue: true } })).toMatchObject({
      code: ErrorCodes.NOT_FOUND,
      message: KvMessages.keyNotFound,
    });
    expect(d.error({ type: 'put', request: { key: b('x'), value: b('v'), ignoreValue: true } }).code).toBe(
      ErrorCodes.INVALID_ARGUMENT,
    );
    expect(d.error({ type: 'put', request: { key: b('x'), value: b('v'), lease: 42 } })).toMatchObject({
      code: ErrorCodes.LEASE_NOT_FOUND,
      message: KvMessages.leaseNotFound,
    });
    expect(d.store.revision).toBe(rev);
  });

  it('validates input at the edge: empty key, oversized key, bad revision', () => {
    const d = new Driver();
    expect(d.error({ type: 'put', request: { key: new Uint8Array(0), value: b('v') } }).code).toBe(ErrorCodes.INVALID_ARGUMENT);
    expect(d.error({ type: 'put', request: { key: new Uint8Array(70_000), value: b('v') } }).code).toBe(ErrorCodes.LIMIT_EXCEEDED);
    expect(() => d.store.range({ key: b('a'), revision: -1 })).toThrow(/revision/);
    expect(() => d.store.range({ key: b('a'), revision: 1.5 })).toThrow(/revision/);
    expect(d.error({ type: 'compact', revision: -3 }).code).toBe(ErrorCodes.INVALID_ARGUMENT);
    expect(d.error({ type: 'bogus' } as never).code).toBe(ErrorCodes.INVALID_ARGUMENT);
    expect(d.store.revision).toBe(1);
  });

  it('reads at a past revision see the state then', () => {
    const d = new Driver();
    d.put('a', '1'); // 2
    d.put('a', '2'); // 3
    d.del('a'); // 4
    expect(str(d.get('a', 2)!.value)).toBe('1');
    expect(str(d.get('a', 3)!.value)).toBe('2');
    expect(d.get('a', 4)).toBeUndefined();
    expect(d.get('a', 1)).toBeUndefined();
  });

  it('a read above the current revision fails with FUTURE_REVISION', () => {
    const d = new Driver();
    d.put('a', '1');
    expect(() => d.store.range({ key: b('a'), revision: 3 })).toThrow(KvMessages.futureRevision);
    try {
      d.store.range({ key: b('a'), revision: 3 });
    } catch (err) {
      expect((err as { code: string }).code).toBe(ErrorCodes.FUTURE_REVISION);
    }
  });
});

describe('idempotent apply', () => {
  it('skips entries at or below the consistent index', () => {
    const store = new KvStore();
    const cmd = { type: 'put', request: { key: b('a'), value: b('1') } } as const;
    expect(store.apply(cmd, { index: logIndex(5), nowMs: 0 }).type).toBe('put');
    expect(store.apply(cmd, { index: logIndex(5), nowMs: 0 }).type).toBe('skipped');
    expect(store.apply(cmd, { index: logIndex(3), nowMs: 0 }).type).toBe('skipped');
    expect(store.revision).toBe(2);
    expect(store.consistentIndex).toBe(5);
    expect(store.apply(cmd, { index: logIndex(6), nowMs: 0 }).type).toBe('put');
    expect(store.revision).toBe(3);
  });

  it('a refused command still advances the consistent index', () => {
    const store = new KvStore();
    const r = store.apply({ type: 'compact', revision: 99 }, { index: logIndex(1), nowMs: 0 });
    expect(r.type).toBe('error');
    expect(store.consistentIndex).toBe(1);
  });

  it('applyEntry treats empty data as a no-op and garbage as a refused command', () => {
    const store = new KvStore();
    expect(store.applyEntry(logIndex(1), new Uint8Array(0)).type).toBe('skipped');
    expect(store.consistentIndex).toBe(1);
    const r = store.applyEntry(logIndex(2), new Uint8Array([0xc1, 0xff, 0x00]));
    expect(r.type).toBe('error');
    expect(store.consistentIndex).toBe(2);
    expect(store.revision).toBe(1);
  });
});

describe('hashKv', () => {
  it('is stable for a past revision while later writes happen, and differs between states', () => {
    const d = new Driver();
    d.put('a', '1');
    d.put('b', '2');
    const at3 = d.store.hashKv(3);
    expect(at3.hashRevision).toBe(3);
    d.put('c', '3');
    d.del('a');
    expect(d.store.hashKv(3)).toEqual(at3);
    expect(d.store.hashKv().hash).not.toBe(at3.hash);
    const other = new Driver();
    other.put('a', '1');
    other.put('b', 'X');
    expect(other.store.hashKv(3).hash).not.toBe(at3.hash);
  });
});
