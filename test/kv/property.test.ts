import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { logIndex } from '../../src/core/ids.js';
import { encodeCommand } from '../../src/kv/codec.js';
import type { KvCommand, KvResult } from '../../src/kv/commands.js';
import { KvStore } from '../../src/kv/store.js';
import type { Compare, RequestOp } from '../../src/kv/types.js';
import { b, str } from './helpers.js';

const KEYS = ['a', 'a/1', 'a/2', 'b', 'c'];
const key = fc.constantFrom(...KEYS).map(b);
const value = fc.constantFrom('', 'x', 'y', 'zz').map(b);
const leaseId = fc.constantFrom(0, 1, 2, 3);
const rangeEnd = fc.option(fc.constantFrom(b('a0'), b('c'), new Uint8Array([0])), { nil: undefined });

const compare: fc.Arbitrary<Compare> = fc.oneof(
  fc.record({ key, target: fc.constant('version' as const), result: fc.constantFrom('equal', 'notEqual', 'greater', 'less'), version: fc.nat(3) }),
  fc.record({ key, target: fc.constant('mod' as const), result: fc.constantFrom('equal', 'greater', 'less'), modRevision: fc.nat(10) }),
  fc.record({ key, target: fc.constant('value' as const), result: fc.constantFrom('equal', 'notEqual'), value }),
  fc.record({ key, rangeEnd: fc.constant(b('b')), target: fc.constant('lease' as const), result: fc.constantFrom('equal', 'notEqual'), lease: leaseId }),
  fc.record({ key, target: fc.constant('create' as const), result: fc.constantFrom('equal', 'greater'), createRevision: fc.nat(10) }),
);

const putOp = fc.record({ key, value, lease: leaseId, prevKv: fc.boolean() }).map((request): RequestOp => ({ type: 'put', request }));
const delOp = fc
  .record({ key, prevKv: fc.boolean(), rangeEnd })
  .map(({ rangeEnd: end, ...rest }): RequestOp => ({ type: 'deleteRange', request: { ...rest, ...(end ? { rangeEnd: end } : {}) } }));
const rangeOp = fc.record({ key, limit: fc.nat(3) }).map((request): RequestOp => ({ type: 'range', request: { ...request, rangeEnd: new Uint8Array([0]) } }));
const flatOp = fc.oneof(putOp, delOp, rangeOp);
const txnOp: fc.Arbitrary<RequestOp> = fc
  .record({ compare: fc.array(compare, { maxLength: 2 }), success: fc.array(flatOp, { maxLength: 3 }), failure: fc.array(flatOp, { maxLength: 3 }) })
  .map((request) => ({ type: 'txn', request }));

const command: fc.Arbitrary<KvCommand> = fc.oneof(
  { weight: 5, arbitrary: putOp.map((op) => ({ type: 'put', request: (op as Extract<RequestOp, { type: 'put' }>).request }) as KvCommand) },
  { weight: 2, arbitrary: delOp.map((op) => ({ type: 'deleteRange', request: (op as Extract<RequestOp, { type: 'deleteRange' }>).request }) as KvCommand) },
  {
    weight: 3,
    arbitrary: fc
      .record({ compare: fc.array(compare, { maxLength: 3 }), success: fc.array(fc.oneof(flatOp, txnOp), { maxLength: 4 }), failure: fc.array(fc.oneof(flatOp, txnOp), { maxLength: 4 }) })
      .map((request): KvCommand => ({ type: 'txn', request })),
  },
  { weight: 1, arbitrary: fc.nat(20).map((revision): KvCommand => ({ type: 'compact', revision })) },
  { weight: 2, arbitrary: fc.record({ id: leaseId, ttlSec: fc.integer({ min: 1, max: 20 }) }).map((c): KvCommand => ({ type: 'leaseGrant', ...c })) },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 3 }).map((id): KvCommand => ({ type: 'leaseRevoke', id })) },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 3 }).map((id): KvCommand => ({ type: 'leaseKeepAlive', id })) },
  { weight: 1, arbitrary: fc.uniqueArray(fc.integer({ min: 1, max: 3 }), { maxLength: 3 }).map((ids): KvCommand => ({ type: 'leaseExpire', ids })) },
);

/** A command with the time step before it (the leader's clock moves forward). */
const step = fc.record({ command, advanceMs: fc.nat(8000) });

function comparable(r: KvResult): unknown {
  return JSON.parse(JSON.stringify(r, (_k, v) => (v instanceof Uint8Array ? str(v) : v instanceof Error ? { code: (v as unknown as { code: string }).code, message: v.message } : v)));
}

describe('determinism (property)', () => {
  it('two replicas applying the same commands (one through the codec) agree on every result and hash', () => {
    fc.assert(
      fc.property(fc.array(step, { maxLength: 40 }), (steps) => {
        const a = new KvStore();
        const c = new KvStore();
        let nowMs = 0;
        steps.forEach(({ command: cmd, advanceMs }, i) => {
          nowMs += advanceMs;
          const ra = a.apply(cmd, { index: logIndex(i + 1), nowMs });
          let entry: Uint8Array | undefined;
          try {
            entry = encodeCommand(cmd, nowMs);
          } catch (err) {
            // Invalid commands never reach the log; applied directly they are refused alike.
            expect(ra.type === 'error' && ra.error.code).toBe((err as { code: string }).code);
          }
          const rc = entry ? c.applyEntry(logIndex(i + 1), entry) : c.apply(cmd, { index: logIndex(i + 1), nowMs });
          expect(comparable(rc)).toEqual(comparable(ra));
        });
        expect(c.hash()).toEqual(a.hash());
        expect(c.hashKv()).toEqual(a.hashKv());
        expect(c.serialize()).toEqual(a.serialize());
      }),
      { numRuns: 150 },
    );
  });

  it('serialize/restore at any point and continuing gives the same state', () => {
    fc.assert(
      fc.property(fc.array(step, { maxLength: 40 }), fc.nat(40), (steps, cut) => {
        const a = new KvStore();
        let b2 = new KvStore();
        let nowMs = 0;
        steps.forEach(({ command: cmd, advanceMs }, i) => {
          nowMs += advanceMs;
          if (i === Math.min(cut, steps.length - 1)) b2 = KvStore.restore(b2.serialize());
          const ra = a.apply(cmd, { index: logIndex(i + 1), nowMs });
          const rb = b2.apply(cmd, { index: logIndex(i + 1), nowMs });
          expect(comparable(rb)).toEqual(comparable(ra));
        });
        expect(b2.hash()).toEqual(a.hash());
        // Replaying the whole log onto the restored store changes nothing (idempotent apply).
        const before = b2.hash();
        steps.forEach(({ command: cmd }, i) => {
          expect(b2.apply(cmd, { index: logIndex(i + 1), nowMs }).type).toBe('skipped');
        });
        expect(b2.hash()).toEqual(before);
      }),
      { numRuns: 150 },
    );
  });

  it('invariants hold after any command sequence: revision steps, version rules, leases', () => {
    fc.assert(
      fc.property(fc.array(step, { maxLength: 40 }), (steps) => {
        const s = new KvStore();
        let nowMs = 0;
        steps.forEach(({ command: cmd, advanceMs }, i) => {
          nowMs += advanceMs;
          const before = s.revision;
          const r = s.apply(cmd, { index: logIndex(i + 1), nowMs });
          expect(s.revision - before === 0 || s.revision - before === 1).toBe(true);
          if (r.type === 'put') expect(s.revision).toBe(before + 1);
          if (r.type === 'error' || r.type === 'compact' || r.type === 'leaseGrant' || r.type === 'leaseKeepAlive') {
            expect(s.revision).toBe(before);
          }
        });
        const all = s.range({ key: new Uint8Array(0), rangeEnd: new Uint8Array([0]) });
        const leases = new Set(s.leaseLeases().ids);
        for (const kv of all.kvs) {
          expect(kv.version).toBeGreaterThanOrEqual(1);
          expect(kv.createRevision).toBeLessThanOrEqual(kv.modRevision);
          expect(kv.modRevision).toBeLessThanOrEqual(s.revision);
          if (kv.lease !== 0) {
            expect(leases.has(kv.lease)).toBe(true);
            expect(s.leaseTimeToLive(kv.lease, nowMs, true).keys.map(str)).toContain(str(kv.key));
          }
        }
      }),
      { numRuns: 150 },
    );
  });
});

describe('MVCC against a model (property)', () => {
  it('every read at every uncompacted revision matches a map-per-revision model', () => {
    const op = fc.oneof(
      fc.record({ kind: fc.constant('put' as const), k: fc.constantFrom(...KEYS), v: fc.constantFrom('1', '2', '3') }),
      fc.record({ kind: fc.constant('del' as const), k: fc.constantFrom(...KEYS) }),
      fc.record({ kind: fc.constant('compact' as const), back: fc.nat(4) }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 40 }), (ops) => {
        const s = new KvStore();
        const models = new Map<number, Map<string, string>>([[1, new Map()]]);
        let compacted = 0;
        ops.forEach((o, i) => {
          const ctx = { index: logIndex(i + 1), nowMs: 0 };
          const cur = new Map(models.get(s.revision)!);
          if (o.kind === 'put') {
            s.apply({ type: 'put', request: { key: b(o.k), value: b(o.v) } }, ctx);
            cur.set(o.k, o.v);
          } else if (o.kind === 'del') {
            s.apply({ type: 'deleteRange', request: { key: b(o.k) } }, ctx);
            cur.delete(o.k);
          } else {
            const rev = s.revision - o.back;
            const r = s.apply({ type: 'compact', revision: rev }, ctx);
            if (rev > compacted && rev >= 1) {
              expect(r.type).toBe('compact');
              compacted = rev;
            } else expect(r.type).toBe('error');
          }
          models.set(s.revision, cur);
        });
        for (let rev = Math.max(1, compacted); rev <= s.revision; rev++) {
          const got = s.range({ key: new Uint8Array(0), rangeEnd: new Uint8Array([0]), revision: rev });
          const want = [...models.get(rev)!.entries()].sort(([x], [y]) => (x < y ? -1 : 1));
          expect(got.kvs.map((kv) => [str(kv.key), str(kv.value)])).toEqual(want);
        }
      }),
      { numRuns: 200 },
    );
  });
});
