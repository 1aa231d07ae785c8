import { describe, expect, it } from 'vitest';
import { decodeCommand, encodeCommand, KvMachine } from '../../src/sim/kv-machine.js';

describe('KvMachine', () => {
  it('applies put and cas deterministically', () => {
    const m = new KvMachine();
    expect(m.apply(1, { id: 1, op: 'put', key: 'a', value: 5 })).toEqual({ id: 1, ok: true });
    expect(m.apply(2, { id: 2, op: 'cas', key: 'a', expected: 4, value: 6 })).toEqual({ id: 2, ok: false });
    expect(m.get('a')).toBe(5);
    expect(m.apply(3, { id: 3, op: 'cas', key: 'a', expected: 5, value: 6 }).ok).toBe(true);
    expect(m.apply(4, { id: 4, op: 'cas', key: 'b', expected: null, value: 1 }).ok).toBe(true);
    expect(m.digest()).toBe('a=6,b=1');
    expect(m.appliedIndex).toBe(4);
    expect(() => m.skip(4)).toThrow(/out of order/);
  });

  it('round-trips commands and snapshots', () => {
    const cmd = { id: 7, op: 'cas', key: 'k', expected: null, value: 3 } as const;
    expect(decodeCommand(encodeCommand(cmd))).toEqual(cmd);
    expect(() => decodeCommand(new TextEncoder().encode('{"id":1}'))).toThrow(/malformed/);
    const m = new KvMachine();
    m.apply(1, { id: 1, op: 'put', key: 'x', value: 1 });
    m.apply(2, { id: 2, op: 'put', key: 'y', value: 2 });
    const copy = KvMachine.fromSnapshot(m.snapshot(), 2);
    expect(copy.digest()).toBe(m.digest());
    expect(copy.appliedIndex).toBe(2);
    expect(KvMachine.fromSnapshot(new Uint8Array(0), 0).digest()).toBe('');
  });
});

describe('KvMachine sessions', () => {
  it('applies a request id at most once (a duplicated proposal writes once)', () => {
    const m = new KvMachine();
    m.apply(1, { id: 1, op: 'put', key: 'a', value: 1 });
    m.apply(2, { id: 2, op: 'put', key: 'a', value: 2 });
    expect(m.apply(3, { id: 1, op: 'put', key: 'a', value: 1 })).toEqual({ id: 1, ok: true, duplicate: true });
    expect(m.get('a')).toBe(2);
    const copy = KvMachine.fromSnapshot(m.snapshot(), 3);
    expect(copy.apply(4, { id: 2, op: 'put', key: 'a', value: 2 }).duplicate).toBe(true);
    expect(copy.apply(5, { id: 3, op: 'cas', key: 'a', expected: 2, value: 9 })).toEqual({ id: 3, ok: true });
  });
});
