import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EventQueue } from '../../src/sim/event-queue.js';

describe('EventQueue', () => {
  it('pops in (time, insertion order) order', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 20 }), { maxLength: 200 }), (times) => {
        const q = new EventQueue<number>(1000);
        times.forEach((t, i) => {
          q.push(t, i);
        });
        const out: [number, number][] = [];
        for (let e = q.pop(); e !== undefined; e = q.pop()) out.push([e.timeMs, e.item]);
        const expected = times.map((t, i) => [t, i] as [number, number]).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
        expect(out).toEqual(expected);
      }),
    );
  });

  it('interleaves pushes and pops correctly', () => {
    const q = new EventQueue<string>(10);
    q.push(5, 'a');
    q.push(1, 'b');
    expect(q.pop()).toEqual({ timeMs: 1, item: 'b' });
    q.push(5, 'c');
    q.push(3, 'd');
    expect(q.peekTimeMs()).toBe(3);
    expect([q.pop()?.item, q.pop()?.item, q.pop()?.item, q.pop()]).toEqual(['d', 'a', 'c', undefined]);
  });

  it('refuses events beyond its bound and bad times', () => {
    const q = new EventQueue<number>(2);
    q.push(1, 1);
    q.push(1, 2);
    expect(() => q.push(1, 3)).toThrow(/queuedEventsMax/);
    expect(() => new EventQueue<number>(5).push(Number.NaN, 1)).toThrow(/finite/);
  });
});
