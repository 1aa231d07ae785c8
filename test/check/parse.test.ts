import { describe, expect, it } from 'vitest';
import { HistoryBuilder } from '../../src/check/history.js';
import { parseHistory } from '../../src/check/parse.js';

const lines = (...events: unknown[]): string => events.map((e) => (typeof e === 'string' ? e : JSON.stringify(e))).join('\n');

describe('parseHistory', () => {
  it('pairs invokes with completions into operations', () => {
    const h = parseHistory(
      lines(
        { process: 0, type: 'invoke', f: 'write', key: 'x', value: 3, time: 1000 },
        { process: 1, type: 'invoke', f: 'read', key: 'x', time: 1001 },
        { process: 0, type: 'ok', f: 'write', key: 'x', value: 3, time: 1010 },
        { process: 1, type: 'ok', f: 'read', key: 'x', value: 3, time: 1020 },
        { process: 2, type: 'invoke', f: 'cas', key: 'x', value: [3, 4], time: 1030 },
        { process: 2, type: 'info', f: 'cas', key: 'x', time: 1040 },
      ),
    );
    expect(h.errors).toEqual([]);
    expect(h.operations).toHaveLength(3);
    expect(h.operations[0]).toMatchObject({ f: 'write', key: 'x', input: 3, callMs: 1000, returnMs: 1010, line: 1, process: 0 });
    expect(h.operations[1]).toMatchObject({ f: 'read', output: 3, callMs: 1001, returnMs: 1020, line: 2 });
    expect(h.operations[2]).toMatchObject({ f: 'cas', input: [3, 4], returnMs: Number.POSITIVE_INFINITY, line: 5 });
    expect(h.stats).toMatchObject({ invokes: 3, ok: 2, info: 1, fail: 0 });
  });

  it('drops fail ops and info reads, and treats an op never completed as info', () => {
    const h = parseHistory(
      lines(
        { process: 0, type: 'invoke', f: 'write', value: 1 },
        { process: 0, type: 'fail', f: 'write' },
        { process: 1, type: 'invoke', f: 'read' },
        { process: 1, type: 'info', f: 'read' },
        { process: 2, type: 'invoke', f: 'write', value: 2 },
      ),
    );
    expect(h.errors).toEqual([]);
    expect(h.operations).toHaveLength(1);
    expect(h.operations[0]).toMatchObject({ f: 'write', input: 2, key: '', returnMs: Number.POSITIVE_INFINITY, callMs: 4 });
    expect(h.stats).toMatchObject({ fail: 1, droppedInfoReads: 1 });
  });

  it('a read with no value returned null', () => {
    const h = parseHistory(lines({ process: 0, type: 'invoke', f: 'read' }, { process: 0, type: 'ok', f: 'read' }));
    expect(h.operations[0]).toMatchObject({ f: 'read', output: null });
  });

  it('reports malformed lines with their line numbers and keeps going', () => {
    const h = parseHistory(
      lines(
        { process: 0, type: 'invoke', f: 'write', value: 1 },
        '{not json',
        '',
        { process: 1, type: 'ok', f: 'read' },
        { process: 0, type: 'invoke', f: 'write', value: 2 },
        { process: 3, type: 'invoke', f: 'delete' },
        { process: 4, type: 'start', f: 'read' },
        { process: 5, type: 'invoke', f: 'cas', value: 3 },
        '[1,2]',
        { process: 0, type: 'ok', f: 'read' },
      ),
    );
    expect(h.errors.map((e) => e.line)).toEqual([2, 4, 5, 6, 7, 8, 9, 10]);
    expect(h.errors[0]!.message).toMatch(/invalid JSON/);
    expect(h.errors[1]!.message).toMatch(/without an invoke/);
    expect(h.errors[2]!.message).toMatch(/invoked on line 1\) is still in flight/);
    expect(h.errors[3]!.message).toMatch(/unknown f "delete"/);
    expect(h.errors[4]!.message).toMatch(/"type"/);
    expect(h.errors[5]!.message).toMatch(/\[expected, new\]/);
    expect(h.errors[6]!.message).toMatch(/JSON object/);
    expect(h.errors[7]!.message).toMatch(/does not match the invoked write/);
  });

  it('rejects completions before their invocation and mixed timed/untimed events', () => {
    const h = parseHistory(
      lines(
        { process: 0, type: 'invoke', f: 'write', value: 1, time: 10 },
        { process: 0, type: 'ok', f: 'write', time: 5 },
        { process: 1, type: 'invoke', f: 'read' },
      ),
    );
    expect(h.errors.map((e) => e.line)).toEqual([2, 3]);
    expect(h.errors[0]!.message).toMatch(/before its invoke/);
    expect(h.errors[1]!.message).toMatch(/"time" missing/);
  });

  it('collects at most errorsMax errors and says it stopped', () => {
    const text = Array.from({ length: 50 }, () => 'garbage').join('\n');
    const h = parseHistory(text, { errorsMax: 5 });
    expect(h.errors.map((e) => e.line)).toEqual([1, 2, 3, 4, 5]);
    expect(h.errorsTruncated).toBe(true);
  });

  it('accepts a process that invokes again after an info completion', () => {
    const h = parseHistory(
      lines(
        { process: 0, type: 'invoke', f: 'write', value: 1 },
        { process: 0, type: 'info', f: 'write' },
        { process: 0, type: 'invoke', f: 'read' },
        { process: 0, type: 'ok', f: 'read', value: 1 },
      ),
    );
    expect(h.errors).toEqual([]);
    expect(h.stats.reusedAfterInfo).toBe(1);
    expect(h.operations[0]!.logicalProcess).not.toBe(h.operations[1]!.logicalProcess);
  });
});

describe('HistoryBuilder', () => {
  it('rejects a second invoke in flight and leaves the builder usable', () => {
    const b = new HistoryBuilder();
    b.invoke(0, 'write', 'k', 1, 0);
    expect(() => b.invoke(0, 'read', 'k', null, 1)).toThrow(/still in flight/);
    b.ok(0, 2);
    b.invoke(0, 'read', 'k', null, 3);
    b.ok(0, 4, 1);
    expect(b.build().map((o) => [o.f, o.callMs, o.returnMs])).toEqual([
      ['write', 0, 2],
      ['read', 3, 4],
    ]);
  });

  it('rejects non-scalar values', () => {
    const b = new HistoryBuilder();
    expect(() => b.invoke(0, 'write', 'k', { a: 1 }, 0)).toThrow(/scalar/);
    b.invoke(0, 'read', 'k', null, 0);
    expect(() => b.ok(0, 1, [1])).toThrow(/scalar/);
  });
});
