import { describe, expect, it } from 'vitest';
import { ErrorCodes } from '../../src/core/errors.js';
import { KvMessages } from '../../src/kv/errors.js';
import { b, Driver, keysOf, str } from './helpers.js';

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return (err as { code?: string }).code;
  }
  return undefined;
}

describe('compaction', () => {
  it('reads below the compacted revision fail; at and above it still work', () => {
    const d = new Driver();
    d.put('a', '1'); // 2
    d.put('a', '2'); // 3
    d.put('b', '1'); // 4
    d.del('b'); // 5
    d.put('a', '3'); // 6
    expect(d.ok({ type: 'compact', revision: 4 }, 'compact').response.revision).toBe(6);
    expect(d.store.compactRevision).toBe(4);
    expect(codeOf(() => d.store.range({ key: b('a'), revision: 3 }))).toBe(ErrorCodes.COMPACTED);
    expect(() => d.store.range({ key: b('a'), revision: 2 })).toThrow(KvMessages.compacted);
    expect(str(d.get('a', 4)!.value)).toBe('2');
    expect(str(d.get('b', 4)!.value)).toBe('1');
    expect(d.get('b', 5)).toBeUndefined();
    expect(str(d.get('a', 6)!.value)).toBe('3');
    expect(keysOf(d.store.range({ key: b('a'), rangeEnd: new Uint8Array([0]) }).kvs)).toEqual(['a']);
    expect(d.store.revision).toBe(6);
  });

  it('compacting at or below the compacted revision, or above current, is refused', () => {
    const d = new Driver();
    d.put('a', '1');
    d.put('a', '2');
    d.ok({ type: 'compact', revision: 2 }, 'compact');
    expect(d.error({ type: 'compact', revision: 2 })).toMatchObject({ code: ErrorCodes.COMPACTED, message: KvMessages.compacted });
    expect(d.error({ type: 'compact', revision: 1 }).code).toBe(ErrorCodes.COMPACTED);
    expect(d.error({ type: 'compact', revision: 9 })).toMatchObject({
      code: ErrorCodes.FUTURE_REVISION,
      message: KvMessages.futureRevision,
    });
    expect(d.store.compactRevision).toBe(2);
  });

  it('a key deleted before the compacted revision is gone from every read; versions keep counting', () => {
    const d = new Driver();
    d.put('gone', 'x'); // 2
    d.del('gone'); // 3
    d.put('kept', '1'); // 4
    d.put('kept', '2'); // 5
    d.ok({ type: 'compact', revision: 5 }, 'compact');
    expect(d.store.range({ key: new Uint8Array(0), rangeEnd: new Uint8Array([0]), revision: 5 }).count).toBe(1);
    d.put('kept', '3');
    expect(d.get('kept')).toMatchObject({ version: 3, createRevision: 4 });
    expect(d.store.hashKv(6).compactRevision).toBe(5);
    expect(codeOf(() => d.store.hashKv(4))).toBe(ErrorCodes.COMPACTED);
  });
});

describe('stats', () => {
  it('reports keys, history and leases, and shrinks with compaction', () => {
    const d = new Driver();
    d.grant(10);
    for (let i = 0; i < 5; i++) d.put(`k${i % 2}`, `${i}`); // revisions 2..6
    d.del('k0'); // 7
    d.store.watches.watch({ key: b('k0') });
    expect(d.store.stats()).toMatchObject({ revision: 7, keys: 2, historyRevisions: 6, leases: 1, watchers: 1, compactRevision: 0 });
    d.ok({ type: 'compact', revision: 7 }, 'compact');
    expect(d.store.stats()).toMatchObject({ keys: 1, historyRevisions: 1, compactRevision: 7 });
  });
});
