import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { LogIndex } from '../../src/core/ids.js';
import { encodeCommand } from '../../src/kv/codec.js';
import type { KvCommand } from '../../src/kv/commands.js';
import { KvStore } from '../../src/kv/store.js';
import { decodeNodeSnapshot, encodeNodeSnapshot } from '../../src/server/node-snapshot.js';
import { SnapshotReplica } from '../../src/server/snapshot-replica.js';

/** The compiled worker (tests run src/ through vitest; the worker thread needs plain JS). */
const WORKER_URL = new URL('../../dist/src/server/snapshot-worker.js', import.meta.url);

const enc = new TextEncoder();
const T0_MS = 1_700_000_000_000;

/** A small random command: puts, deletes and transactions over a few keys, some refused (a missing lease). */
const command: fc.Arbitrary<KvCommand> = fc.oneof(
  fc.record({ k: fc.integer({ min: 0, max: 9 }), v: fc.string({ maxLength: 8 }) }).map(({ k, v }) => ({
    type: 'put' as const,
    request: { key: enc.encode(`k${k}`), value: enc.encode(v) },
  })),
  fc.integer({ min: 0, max: 9 }).map((k) => ({ type: 'deleteRange' as const, request: { key: enc.encode(`k${k}`) } })),
  fc.integer({ min: 1, max: 3 }).map((id) => ({ type: 'put' as const, request: { key: enc.encode('leased'), value: enc.encode('x'), lease: id } })),
  fc.integer({ min: 1, max: 3 }).map((id) => ({ type: 'leaseGrant' as const, id, ttlSec: 60 })),
);

/** Entries as the node applies them: commands, and empty entries (leader no-ops, control entries). */
const entries = fc.array(fc.option(command, { freq: 4, nil: undefined }), { minLength: 1, maxLength: 40 });

describe('SnapshotReplica', () => {
  it('is absent where the compiled worker is missing', () => {
    expect(SnapshotReplica.start(new URL('./no-such-worker.js', import.meta.url))).toBeUndefined();
  });

  it('builds the same snapshot as encoding the node store on the event loop', async () => {
    expect(existsSync(fileURLToPath(WORKER_URL)), 'run `npx tsc -p tsconfig.json` first').toBe(true);
    const replica = SnapshotReplica.start(WORKER_URL);
    expect(replica).toBeDefined();
    if (replica === undefined) return;
    try {
      await fc.assert(
        fc.asyncProperty(entries, entries, async (first, second) => {
          // The node's store starts from a snapshot of `first`, then applies `second` in two builds.
          const base = new KvStore();
          let index = 0;
          for (const c of first) base.applyEntry(++index as LogIndex, c === undefined ? new Uint8Array(0) : encodeCommand(c, T0_MS + index));
          const kv = KvStore.restore(base.serialize());
          replica.reset(base.serialize());
          // As the node's member table: an object whose JSON form comes from `toJSON`.
          const control = { members: { toJSON: () => [{ id: 1, name: 'n1' }] }, alarms: [] };
          const half = Math.floor(second.length / 2);
          for (const [part, slice] of [second.slice(0, half), second.slice(half)].entries()) {
            for (const c of slice) {
              const data = c === undefined ? new Uint8Array(0) : encodeCommand(c, T0_MS + index);
              kv.applyEntry(++index as LogIndex, data);
              replica.record(index, data);
              if (index % 3 === 0) replica.flush(true);
            }
            expect(replica.usable).toBe(true);
            const built = await replica.build({ ...control, part });
            const expected = encodeNodeSnapshot(kv.serialize(), { ...control, part });
            expect(Buffer.from(built.data).equals(Buffer.from(expected))).toBe(true);
            expect(built.kvBytes).toBe(decodeNodeSnapshot(built.data).kv.length);
            expect(replica.recorded).toBe(0);
          }
        }),
        { numRuns: 30 },
      );
    } finally {
      await replica.stop();
    }
  });

  it('measures the replica store after a compaction as the node store measures', async () => {
    const replica = SnapshotReplica.start(WORKER_URL);
    expect(replica).toBeDefined();
    if (replica === undefined) return;
    try {
      const kv = new KvStore();
      replica.reset(new Uint8Array(0));
      const commands: KvCommand[] = [];
      for (let i = 0; i < 50; i++) commands.push({ type: 'put', request: { key: enc.encode(`k${i % 5}`), value: enc.encode('v'.repeat(i)) } });
      commands.push({ type: 'compact', revision: 40 });
      let index = 0;
      for (const c of commands) {
        const data = encodeCommand(c, T0_MS + index);
        kv.applyEntry(++index as LogIndex, data);
        replica.record(index, data);
      }
      const before = new KvStore();
      for (let i = 0; i < 50; i++) before.applyEntry((i + 1) as LogIndex, encodeCommand(commands[i]!, T0_MS + i));
      const measured = await replica.measure();
      expect(measured).toBe(kv.serialize().length);
      expect(measured).toBeLessThan(before.serialize().length);
    } finally {
      await replica.stop();
    }
  });

  it('rejects pending builds and becomes unusable when stopped', async () => {
    const replica = SnapshotReplica.start(WORKER_URL);
    expect(replica).toBeDefined();
    if (replica === undefined) return;
    replica.reset(new Uint8Array(0));
    replica.record(1, encodeCommand({ type: 'put', request: { key: enc.encode('a'), value: enc.encode('b') } }, T0_MS));
    const pending = replica.build({}).then(
      () => 'built',
      (err: unknown) => (err as Error).message,
    );
    await replica.stop();
    // Either the worker answered first or the stop rejected it; afterwards nothing builds.
    expect(['built', 'the snapshot replica was stopped']).toContain(await pending);
    expect(replica.usable).toBe(false);
    replica.reset(new Uint8Array(0));
    expect(replica.usable).toBe(false);
  });
});
