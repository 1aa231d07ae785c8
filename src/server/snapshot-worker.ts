/**
 * The worker thread of `SnapshotReplica` (snapshot-replica.ts): a second `KvStore` that applies
 * the same entries as the node's store, in the same order, and serializes itself when asked,
 * so that the node's event loop never runs the O(store) snapshot encoding.
 *
 * Protocol (parent → worker, handled in order):
 * - `{ kind: 'reset', kv }`: replace the replica with `KvStore.restore(kv)` (empty: a new store).
 * - `{ kind: 'apply', bytes, lengths, indexes }`: apply entry i (`bytes` cut by `lengths`, at
 *   log index `indexes[i]`), in order.
 * - `{ kind: 'build', id, controlJson }`: answer `{ id, ok: true, data, kvBytes }` with the node
 *   snapshot (`encodeNodeSnapshot`) of the replica and the length of its kv part, or
 *   `{ id, ok: false, error }` (also for every build after a failed reset or apply).
 * - `{ kind: 'measure', id }`: as `build`, but only `kvBytes` is meaningful (`data` is empty):
 *   the size of the replica's `KvStore.serialize` now (after a compaction, for the quota).
 */
import { readlinkSync } from 'node:fs';
import { setPriority } from 'node:os';
import { parentPort } from 'node:worker_threads';
import type { LogIndex } from '../core/ids.js';
import { KvStore } from '../kv/store.js';
import { encodeNodeSnapshot } from './node-snapshot.js';

export type ReplicaRequest =
  | { readonly kind: 'reset'; readonly kv: Uint8Array }
  | { readonly kind: 'apply'; readonly bytes: Uint8Array; readonly lengths: Uint32Array; readonly indexes: Float64Array }
  | { readonly kind: 'measure'; readonly id: number }
  | {
      readonly kind: 'build';
      readonly id: number;
      /** The control state as JSON text (a structured clone would drop `toJSON` methods). */
      readonly controlJson: string;
    };

export type ReplicaAnswer =
  | { readonly id: number; readonly ok: true; readonly data: Uint8Array; readonly kvBytes: number }
  | { readonly id: number; readonly ok: false; readonly error: string };

/**
 * Nice value of this thread: snapshots are background work, so on a busy host the node's own
 * event loops (and those of other members on the same host) go first; on an idle host the
 * worker still runs at full speed.
 */
const WORKER_NICE = 10;

/**
 * Lower this thread's CPU priority. Linux only (a thread's id, from /proc/thread-self, is a
 * valid target of setpriority); elsewhere, or if refused, the thread keeps the process's.
 */
function lowerPriority(): void {
  try {
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
    if (Number.isSafeInteger(tid) && tid > 0) setPriority(tid, WORKER_NICE);
  } catch {
    // not Linux, or not allowed: run at the process's priority
  }
}

lowerPriority();

let store = new KvStore();
/** Set when a reset or an apply failed: the replica is unusable until the next good reset. */
let broken: string | undefined;

function apply(req: Extract<ReplicaRequest, { kind: 'apply' }>): void {
  if (broken !== undefined) return;
  try {
    let at = 0;
    for (let i = 0; i < req.lengths.length; i++) {
      const length = req.lengths[i] ?? 0;
      store.applyEntry(req.indexes[i] as LogIndex, req.bytes.subarray(at, at + length));
      at += length;
    }
  } catch (err) {
    broken = `replica apply failed: ${err instanceof Error ? err.message : String(err)}`;
  }
}

function build(req: Extract<ReplicaRequest, { kind: 'build' }>): ReplicaAnswer {
  if (broken !== undefined) return { id: req.id, ok: false, error: broken };
  const kv = store.serialize();
  const control = JSON.parse(req.controlJson) as Record<string, unknown>;
  return { id: req.id, ok: true, data: encodeNodeSnapshot(kv, control), kvBytes: kv.length };
}

function measure(id: number): ReplicaAnswer {
  if (broken !== undefined) return { id, ok: false, error: broken };
  return { id, ok: true, data: new Uint8Array(0), kvBytes: store.serialize().length };
}

parentPort?.on('message', (req: ReplicaRequest) => {
  if (req.kind === 'reset') {
    try {
      store = req.kv.length > 0 ? KvStore.restore(req.kv) : new KvStore();
      broken = undefined;
    } catch (err) {
      broken = `replica reset failed: ${err instanceof Error ? err.message : String(err)}`;
    }
    return;
  }
  if (req.kind === 'apply') {
    apply(req);
    return;
  }
  let answer: ReplicaAnswer;
  try {
    answer = req.kind === 'build' ? build(req) : measure(req.id);
  } catch (err) {
    answer = { id: req.id, ok: false, error: err instanceof Error ? err.message : String(err) };
  }
  parentPort?.postMessage(answer, answer.ok ? [answer.data.buffer as ArrayBuffer] : []);
});
