import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkText, readHistoryFile } from '../../src/cli/check.js';

const dir = mkdtempSync(join(tmpdir(), 'nines-check-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const jsonl = (...events: object[]): string => events.map((e) => JSON.stringify(e)).join('\n') + '\n';
const clock = () => {
  let t = 0;
  return () => (t += 1);
};
const options = { model: 'cas-register' as const, timeoutMs: 60_000 };

const valid = jsonl(
  { process: 0, type: 'invoke', f: 'write', key: 'x', value: 3, time: 1000 },
  { process: 0, type: 'ok', f: 'write', key: 'x', value: 3, time: 1010 },
  { process: 1, type: 'invoke', f: 'read', key: 'x', time: 1020 },
  { process: 1, type: 'ok', f: 'read', key: 'x', value: 3, time: 1030 },
);

describe('nines check', () => {
  it('exits 0 with valid: true for a linearizable history', () => {
    const v = checkText('h.jsonl', valid, options, clock());
    expect(v.exitCode).toBe(0);
    expect(v.document).toMatchObject({ valid: true, file: 'h.jsonl', opsChecked: 2, keysTotal: 1 });
    expect(v.document.history.invokes).toBe(2);
  });

  it('exits 1 and names the key and the stuck read for a stale read', () => {
    const text =
      valid +
      jsonl(
        { process: 0, type: 'invoke', f: 'write', key: 'x', value: 4, time: 1040 },
        { process: 0, type: 'ok', f: 'write', key: 'x', time: 1050 },
        { process: 1, type: 'invoke', f: 'read', key: 'x', time: 1060 },
        { process: 1, type: 'ok', f: 'read', key: 'x', value: 3, time: 1070 },
      );
    const v = checkText('h.jsonl', text, options, clock());
    expect(v.exitCode).toBe(1);
    expect(v.document.valid).toBe(false);
    expect(v.document.failure?.key).toBe('x');
    expect(v.document.failure?.blockedBy).toMatchObject({ process: 1, f: 'read', output: 3, line: 7, invokeMs: 1060 });
  });

  it('exits 2 with unknown when the time budget is zero on a non-trivial history', () => {
    // 16 concurrent writes and a read of a value never written: every interleaving is tried.
    const events = [];
    for (let i = 0; i < 16; i++) events.push({ process: i, type: 'invoke', f: 'write', key: 'x', value: i, time: 0 });
    events.push({ process: 99, type: 'invoke', f: 'read', key: 'x', time: 1 });
    events.push({ process: 99, type: 'ok', f: 'read', key: 'x', value: 'never', time: 2 });
    for (let i = 0; i < 16; i++) events.push({ process: i, type: 'ok', f: 'write', key: 'x', time: 100 });
    const v = checkText('h.jsonl', jsonl(...events), { ...options, timeoutMs: 0 }, clock());
    expect(v.exitCode).toBe(2);
    expect(v.document.valid).toBe('unknown');
  });

  it('reports malformed lines with their numbers', () => {
    const text = valid + 'oops\n' + JSON.stringify({ process: 9, type: 'ok', f: 'read', time: 2000 }) + '\n';
    expect(() => checkText('h.jsonl', text, options, clock())).toThrow(/malformed line 5: invalid JSON[\s\S]*malformed line 6: .*without an invoke/);
  });

  it('names a missing file', () => {
    expect(() => readHistoryFile(join(dir, 'missing.jsonl'))).toThrow(/file not found: .*missing\.jsonl/);
    expect(() => readHistoryFile(dir)).toThrow(/not a regular file/);
  });

  it('reads a history file', () => {
    const file = join(dir, 'h.jsonl');
    writeFileSync(file, valid);
    expect(readHistoryFile(file)).toBe(valid);
  });
});
