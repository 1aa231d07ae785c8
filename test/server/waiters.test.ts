import { describe, expect, it } from 'vitest';
import { ErrorCodes, NinesError } from '../../src/core/errors.js';
import { ReadIndexQueue } from '../../src/server/read-index.js';
import { Waiters } from '../../src/server/waiters.js';

const codeOf = async (p: Promise<unknown>): Promise<string> => {
  try {
    await p;
    return 'resolved';
  } catch (err) {
    return (err as NinesError).code;
  }
};

describe('Waiters', () => {
  it('resolves by key, refuses past its limit, and times out with TIMEOUT', async () => {
    const w = new Waiters<number, string>({ max: 2, limitName: 'testMax', timeoutMs: 30, what: 'proposals' });
    const a = w.wait(1);
    const b = w.wait(2);
    expect(() => w.wait(3)).toThrow(/too many proposals waiting \(testMax 2\)/);
    expect(w.resolve(1, 'one')).toBe(true);
    expect(await a).toBe('one');
    expect(w.resolve(1, 'again')).toBe(false);
    let timedOut = false;
    const c = w.wait(3, () => {
      timedOut = true;
    });
    expect(await codeOf(b)).toBe(ErrorCodes.TIMEOUT);
    expect(await codeOf(c)).toBe(ErrorCodes.TIMEOUT);
    expect(timedOut).toBe(true);
    expect(w.size).toBe(0);
    const d = w.wait(4);
    w.rejectAll(new NinesError(ErrorCodes.STOPPED, 'stop'));
    expect(await codeOf(d)).toBe(ErrorCodes.STOPPED);
  });
});

describe('ReadIndexQueue', () => {
  it('batches queued reads into one round and releases them once applied reaches the read index', async () => {
    const q = new ReadIndexQueue({ max: 10, timeoutMs: 1000, boot: 7 });
    const released: number[] = [];
    const reads = [0, 1, 2].map((i) => q.wait().then(() => released.push(i)));
    const ctx = q.takeRound()!;
    expect(ctx).toBeDefined();
    expect(q.takeRound()).toBeUndefined();
    q.onReadState(ctx, 10, 8);
    await Promise.resolve();
    expect(released).toEqual([]);
    q.onApplied(9);
    await Promise.resolve();
    expect(released).toEqual([]);
    q.onApplied(10);
    await Promise.all(reads);
    expect(released.sort()).toEqual([0, 1, 2]);
    expect(q.size).toBe(0);
  });

  it('ignores rounds it did not start, fails a refused round, and bounds waiting reads', async () => {
    const q = new ReadIndexQueue({ max: 1, timeoutMs: 30, boot: 1 });
    const r = q.wait();
    expect(() => q.wait()).toThrow(/too many reads waiting/);
    const ctx = q.takeRound()!;
    q.onReadState(new Uint8Array([1, 2, 3]), 1, 5);
    q.failRound(ctx, new NinesError(ErrorCodes.NO_LEADER, 'none'));
    expect(await codeOf(r)).toBe(ErrorCodes.NO_LEADER);
    const late = q.wait();
    q.takeRound();
    expect(await codeOf(late)).toBe(ErrorCodes.TIMEOUT);
  });
});
