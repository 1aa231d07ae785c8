import { describe, expect, it } from 'vitest';
import { CorruptError, ErrorCodes, InvalidArgumentError } from '../../src/core/errors.js';
import { logIndex } from '../../src/core/ids.js';
import { decodeCommand, encodeCommand } from '../../src/kv/codec.js';
import type { KvCommand } from '../../src/kv/commands.js';
import { KvStore } from '../../src/kv/store.js';
import { b, Driver, keysOf, str } from './helpers.js';

function populated(): Driver {
  const d = new Driver();
  const lease = d.grant(30);
  d.put('a', '1', { lease });
  d.put('b', '1');
  d.put('a', '2', { lease });
  d.del('b');
  d.put('c', '1');
  d.ok({ type: 'compact', revision: 4 }, 'compact');
  d.put('d', '1');
  return d;
}

describe('snapshot', () => {
  it('round-trips the whole state: keys, history, leases, compaction, consistent index', () => {
    const d = populated();
    const restored = KvStore.restore(d.store.serialize());
    expect(restored.hash()).toEqual(d.store.hash());
    expect(restored.revision).toBe(d.store.revision);
    expect(restored.compactRevision).toBe(4);
    expect(restored.consistentIndex).toBe(d.store.consistentIndex);
    expect(restored.hashKv(5)).toEqual(d.store.hashKv(5));
    expect(str(restored.range({ key: b('a'), revision: 4 }).kvs[0]!.value)).toBe('2');
    expect(() => restored.range({ key: b('a'), revision: 3 })).toThrow(/compacted/);
    // History survives: a watch from the compacted revision replays the same events.
    const w1 = d.store.watches.watch({ key: b('a'), rangeEnd: b('z'), startRevision: 4 });
    const w2 = restored.watches.watch({ key: b('a'), rangeEnd: b('z'), startRevision: 4 });
    expect(restored.watches.poll(w2)).toEqual(d.store.watches.poll(w1));
    // Idempotence carries over: entries already applied are skipped.
    const r = restored.apply({ type: 'put', request: { key: b('x'), value: b('1') } }, { index: d.store.consistentIndex, nowMs: 0 });
    expect(r.type).toBe('skipped');
  });

  it('is deterministic: equal stores serialize to equal bytes', () => {
    expect(populated().store.serialize()).toEqual(populated().store.serialize());
  });

  it('refuses corrupt bytes with CorruptError', () => {
    const bytes = populated().store.serialize();
    const flipped = bytes.slice();
    flipped[bytes.length - 5] = (flipped[bytes.length - 5]! ^ 0x40) & 0xff;
    expect(() => KvStore.restore(flipped)).toThrow(CorruptError);
    expect(() => KvStore.restore(bytes.slice(0, bytes.length - 10))).toThrow(CorruptError);
    expect(() => KvStore.restore(new Uint8Array([1, 2, 3]))).toThrow(CorruptError);
    expect(() => KvStore.restore(new Uint8Array(0))).toThrow(CorruptError);
    for (let i = 0; i < bytes.length; i += Math.max(1, Math.floor(bytes.length / 97))) {
      const damaged = bytes.slice();
      damaged[i] = (damaged[i]! + 1) & 0xff;
      try {
        KvStore.restore(damaged);
      } catch (err) {
        expect((err as { code: string }).code).toBe(ErrorCodes.CORRUPT);
      }
    }
  });

  it('restored stores continue exactly like the original', () => {
    const d = populated();
    const copy = new Driver(KvStore.restore(d.store.serialize()));
    for (const x of [d, copy]) {
      x.put('e', '1');
      x.del('a');
      x.ok({ type: 'compact', revision: 6 }, 'compact');
    }
    expect(copy.store.hash()).toEqual(d.store.hash());
    expect(keysOf(copy.store.range({ key: b('a'), rangeEnd: new Uint8Array([0]) }).kvs)).toEqual(['c', 'd', 'e']);
  });
});

describe('command codec', () => {
  const commands: KvCommand[] = [
    { type: 'put', request: { key: b('k'), value: b('v'), lease: 3, prevKv: true } },
    { type: 'deleteRange', request: { key: b('a'), rangeEnd: new Uint8Array([0]) } },
    {
      type: 'txn',
      request: {
        compare: [{ key: b('k'), target: 'value', result: 'equal', value: b('v') }],
        success: [{ type: 'txn', request: { success: [{ type: 'range', request: { key: b('k'), sortOrder: 'descend' } }] } }],
      },
    },
    { type: 'compact', revision: 7 },
    { type: 'leaseGrant', id: 0, ttlSec: 5 },
    { type: 'leaseExpire', ids: [1, 2] },
    { type: 'leaseCheckpoint', checkpoints: [{ id: 1, remainingTtlSec: 4 }] },
  ];
  it('round-trips every kind of command with its time', () => {
    for (const c of commands) {
      const p = decodeCommand(encodeCommand(c, 123));
      expect(p.nowMs).toBe(123);
      expect(JSON.stringify(p.command, (_k, v) => (v instanceof Uint8Array ? [...v] : v))).toBe(
        JSON.stringify(c, (_k, v) => (v instanceof Uint8Array ? [...v] : v)),
      );
    }
  });

  it('decoded commands apply like the originals', () => {
    const direct = new Driver();
    const decoded = new KvStore();
    commands.forEach((c, i) => {
      direct.apply(c);
      decoded.applyEntry(logIndex(i + 1), encodeCommand(c, direct.nowMs));
    });
    expect(decoded.hash()).toEqual(direct.store.hash());
  });

  it('garbage never crashes: CorruptError or InvalidArgumentError', () => {
    const good = encodeCommand(commands[2]!, 1);
    for (let i = 0; i < good.length; i++) {
      for (const delta of [1, 0x80]) {
        const bad = good.slice();
        bad[i] = (bad[i]! + delta) & 0xff;
        try {
          decodeCommand(bad);
        } catch (err) {
          expect(err instanceof CorruptError || err instanceof InvalidArgumentError || (err as { code?: string }).code === ErrorCodes.LIMIT_EXCEEDED).toBe(true);
        }
      }
    }
    expect(() => decodeCommand(new Uint8Array([0x93, 1, 2]))).toThrow(CorruptError);
    expect(() => encodeCommand({ type: 'put', request: { key: new Uint8Array(0) } }, 1)).toThrow(InvalidArgumentError);
  });
});
