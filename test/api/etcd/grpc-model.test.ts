import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { logIndex } from '../../../src/core/ids.js';
import { KvStore } from '../../../src/kv/store.js';
import type { KvCommand } from '../../../src/kv/commands.js';
import { call, clients, type Reply } from './grpc-client.js';
import { type Served, serveMemory } from './serve-memory.js';

type Op =
  | { t: 'put'; key: string; value: string }
  | { t: 'del'; key: string; end: string }
  | { t: 'txn'; key: string; version: number; put: string; value: string };

const key = fc.constantFrom('a', 'b', 'c', 'ab', 'b\u00ff', 'z');
const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ t: fc.constant('put' as const), key, value: fc.string({ maxLength: 4 }) }),
  fc.record({ t: fc.constant('del' as const), key, end: fc.constantFrom('', 'c', '\0') }),
  fc.record({ t: fc.constant('txn' as const), key, version: fc.nat(3), put: key, value: fc.string({ maxLength: 3 }) }),
);

const enc = (s: string) => Buffer.from(s, 'latin1');

/**
 * Model check: the same operations through gRPC (server over a memory backend) and directly
 * on a KvStore leave the same key space, and every Range through gRPC equals the model's.
 */
describe('gRPC edge against a KvStore model', () => {
  let s: Served;
  let c: ReturnType<typeof clients>;
  beforeAll(async () => {
    s = await serveMemory();
    c = clients(s.endpoint);
  });
  afterAll(async () => {
    c.close();
    await s.stop();
  });

  test('random put/delete/txn sequences', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 12 }), async (ops) => {
        // Start both from empty: clear the server's keys first.
        await call(c.KV, 'DeleteRange', { key: Buffer.from([0]), range_end: Buffer.from([0]) });
        const model = new KvStore();
        let index = 0;
        const apply = (cmd: KvCommand) => model.apply(cmd, { index: logIndex(++index), nowMs: 0 });
        for (const o of ops) {
          if (o.t === 'put') {
            await call(c.KV, 'Put', { key: enc(o.key), value: enc(o.value) });
            apply({ type: 'put', request: { key: enc(o.key), value: enc(o.value) } });
          } else if (o.t === 'del') {
            const end = o.end === '' ? {} : { range_end: enc(o.end) };
            const r = await call(c.KV, 'DeleteRange', { key: enc(o.key), ...end });
            const m = apply({ type: 'deleteRange', request: { key: enc(o.key), ...(o.end === '' ? {} : { rangeEnd: enc(o.end) }) } });
            expect(Number(r.deleted)).toBe(m.type === 'deleteRange' ? m.response.deleted : -1);
          } else {
            const r = await call(c.KV, 'Txn', {
              compare: [{ key: enc(o.key), target: 'VERSION', result: 'EQUAL', version: o.version }],
              success: [{ request_put: { key: enc(o.put), value: enc(o.value) } }],
              failure: [{ request_range: { key: enc(o.key) } }],
            });
            const m = apply({
              type: 'txn',
              request: {
                compare: [{ key: enc(o.key), target: 'version', result: 'equal', version: o.version }],
                success: [{ type: 'put', request: { key: enc(o.put), value: enc(o.value) } }],
                failure: [{ type: 'range', request: { key: enc(o.key) } }],
              },
            });
            expect(r.succeeded).toBe(m.type === 'txn' ? m.response.succeeded : undefined);
          }
        }
        const got = await call(c.KV, 'Range', { key: Buffer.from([0]), range_end: Buffer.from([0]) });
        const want = model.range({ key: new Uint8Array([0]), rangeEnd: new Uint8Array([0]) });
        const kvs = (got.kvs as Reply[]).map((kv) => [(kv.key as unknown as Buffer).toString('latin1'), (kv.value as unknown as Buffer).toString('latin1'), Number(kv.version)]);
        expect(kvs).toEqual(want.kvs.map((kv) => [Buffer.from(kv.key).toString('latin1'), Buffer.from(kv.value).toString('latin1'), kv.version]));
      }),
      { numRuns: 25 },
    );
  });
});
