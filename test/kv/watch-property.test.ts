import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { logIndex } from '../../src/core/ids.js';
import { prefixEnd } from '../../src/kv/bytes.js';
import type { KvCommand } from '../../src/kv/commands.js';
import { KvStore } from '../../src/kv/store.js';
import { b, str } from './helpers.js';

const KEYS = ['a', 'a/x', 'a/y', 'b'];
const key = fc.constantFrom(...KEYS);

type Step =
  | { kind: 'put'; k: string; v: string }
  | { kind: 'del'; k: string; prefix: boolean }
  | { kind: 'txn'; puts: string[] }
  | { kind: 'watch'; back: number; prevKv: boolean }
  | { kind: 'poll'; which: number; max: number };

const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({ kind: fc.constant('put' as const), k: key, v: fc.constantFrom('1', '2') }),
  fc.record({ kind: fc.constant('del' as const), k: key, prefix: fc.boolean() }),
  fc.record({ kind: fc.constant('txn' as const), puts: fc.uniqueArray(key, { maxLength: 3 }) }),
  fc.record({ kind: fc.constant('watch' as const), back: fc.nat(6), prevKv: fc.boolean() }),
  fc.record({ kind: fc.constant('poll' as const), which: fc.nat(10), max: fc.integer({ min: 1, max: 4 }) }),
);

/** The events of revision `rev` for prefix "a", derived only from range reads. */
function oracle(s: KvStore, rev: number, prevKv: boolean): string[] {
  const span = { key: b('a'), rangeEnd: prefixEnd(b('a')) };
  const now = s.range({ ...span, revision: rev }).kvs;
  const before = s.range({ ...span, revision: rev - 1 }).kvs;
  const out: { k: string; e: string }[] = [];
  for (const kv of now) {
    if (kv.modRevision !== rev) continue;
    const prev = before.find((p) => str(p.key) === str(kv.key));
    out.push({ k: str(kv.key), e: `put:${str(kv.key)}=${str(kv.value)}@${rev}${prevKv && prev ? ` prev=${str(prev.value)}` : ''}` });
  }
  for (const p of before) {
    if (now.some((kv) => str(kv.key) === str(p.key))) continue;
    out.push({ k: str(p.key), e: `delete:${str(p.key)}@${rev}${prevKv ? ` prev=${str(p.value)}` : ''}` });
  }
  return out.sort((x, y) => (x.k < y.k ? -1 : 1)).map((x) => x.e);
}

describe('watch delivery (property)', () => {
  it('every watcher gets exactly the changes from its start revision, in order, however it polls', () => {
    fc.assert(
      fc.property(fc.array(step, { maxLength: 50 }), (steps) => {
        const s = new KvStore();
        let index = 0;
        const apply = (c: KvCommand) => s.apply(c, { index: logIndex(++index), nowMs: 0 });
        const watchers: { id: number; start: number; prevKv: boolean; got: string[] }[] = [];
        const take = (w: (typeof watchers)[number], max?: number) => {
          const batch = s.watches.poll(w.id, max);
          if (batch === undefined) return false;
          for (const e of batch.events) {
            const prev = e.prevKv ? ` prev=${str(e.prevKv.value)}` : '';
            w.got.push(e.type === 'put' ? `put:${str(e.kv.key)}=${str(e.kv.value)}@${e.kv.modRevision}${prev}` : `delete:${str(e.kv.key)}@${e.kv.modRevision}${prev}`);
          }
          return true;
        };
        for (const st of steps) {
          if (st.kind === 'put') apply({ type: 'put', request: { key: b(st.k), value: b(st.v) } });
          else if (st.kind === 'del') {
            apply({ type: 'deleteRange', request: { key: b(st.k), ...(st.prefix ? { rangeEnd: prefixEnd(b(st.k)) } : {}) } });
          } else if (st.kind === 'txn') {
            apply({ type: 'txn', request: { success: st.puts.map((k) => ({ type: 'put', request: { key: b(k), value: b('t') } })) } });
          } else if (st.kind === 'watch') {
            const start = Math.max(1, s.revision + 1 - st.back);
            const id = s.watches.watch({ key: b('a'), rangeEnd: prefixEnd(b('a')), startRevision: start, prevKv: st.prevKv });
            watchers.push({ id, start, prevKv: st.prevKv, got: [] });
          } else if (watchers.length > 0) {
            take(watchers[st.which % watchers.length]!, st.max);
          }
        }
        for (const w of watchers) {
          for (let i = 0; i < 1000 && take(w); i++);
          const want: string[] = [];
          for (let rev = Math.max(2, w.start); rev <= s.revision; rev++) want.push(...oracle(s, rev, w.prevKv));
          // Within a revision the hub keeps application order; compare as per-revision sets.
          const byRev = (xs: string[]) => xs.map((x) => x.replace(/^(\w+):([^=@]+).*@(\d+).*$/, '$3 $1 $2')).sort();
          expect(byRev(w.got)).toEqual(byRev(want));
          const revs = w.got.map((x) => Number(/@(\d+)/.exec(x)![1]));
          expect([...revs].sort((x, y) => x - y)).toEqual(revs);
          expect(new Set(w.got).size).toBe(w.got.length);
          expect(w.got.slice().sort()).toEqual(want.slice().sort());
        }
      }),
      { numRuns: 200 },
    );
  });
});
