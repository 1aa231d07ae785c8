import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { assert } from '../core/errors.js';
import { ServerLimits } from './limits.js';
import type { ReplicaAnswer, ReplicaRequest } from './snapshot-worker.js';

/** A node snapshot built off the event loop. */
export interface BuiltSnapshot {
  /** `encodeNodeSnapshot(kv, control)` at the requested index. */
  readonly data: Uint8Array;
  /** Length of its kv part (`KvStore.serialize`), for the quota estimate. */
  readonly kvBytes: number;
}

interface Pending {
  readonly resolve: (built: BuiltSnapshot) => void;
  readonly reject: (err: Error) => void;
}

/** Initial size of the buffer entries are recorded into (it grows by doubling). */
const RECORD_BUFFER_BYTES = 64 * 1024;

/** Where the compiled worker script sits (beside this file in dist/). */
const WORKER_URL = new URL('./snapshot-worker.js', import.meta.url);

/**
 * Builds raft snapshots without blocking the node's event loop. Encoding a `KvStore` is
 * O(keys + history) and synchronous (hundreds of ms for tens of MB: long enough for followers
 * to elect a new leader while the leader is stuck in it), so a worker thread keeps a replica
 * store: the node records every `applyEntry` it makes (index and bytes, in order); `build`
 * ships the entries recorded since the last build to the worker, which applies them and
 * encodes the snapshot there.
 *
 * Contract:
 * - `reset(kv)` whenever the node's store is replaced (open, installed snapshot, a snapshot
 *   built on the event loop): the replica restarts from those bytes.
 * - `record(index, data)` for every `KvStore.applyEntry(index, data)` of the node, in order;
 *   `flush()` after a batch. At most `snapshotReplicaEntriesMax` entries /
 *   `snapshotReplicaBytesMax` bytes are held between flushes; beyond either the replica stops
 *   being `usable` until the next reset.
 * - `build(control)` (flushes, then) snapshots the replica at the last recorded index;
 *   `measure()` only sizes its store (after a compaction). Both are answered in order.
 * - The replica sees only replicated state: leader-local lease views (`promote`, local
 *   renewals) are not in its snapshots, as in a snapshot of a member restarted from its log.
 * - When the worker fails, every pending build rejects and the replica stays unusable; the
 *   node then snapshots on its event loop as before.
 */
export class SnapshotReplica {
  readonly #worker: Worker;
  readonly #pending = new Map<number, Pending>();
  /** Recorded entries, back to back in `#buffer[0, #used)`, with their lengths and indexes. */
  #buffer = new Uint8Array(RECORD_BUFFER_BYTES);
  #used = 0;
  #lengths: number[] = [];
  #indexes: number[] = [];
  #valid = false;
  #dead: Error | undefined;
  #nextId = 1;

  private constructor(worker: Worker) {
    this.#worker = worker;
    worker.unref();
    worker.on('message', (answer: ReplicaAnswer) => this.#onAnswer(answer));
    worker.on('error', (err) => this.#die(err));
    worker.on('exit', (code) => this.#die(new Error(`snapshot worker exited with code ${code}`)));
  }

  /**
   * A replica with its worker, or undefined where the compiled worker script is absent (code
   * run from src/ by tests). `workerUrl` (tests): the compiled snapshot-worker.js to run.
   */
  static start(workerUrl: URL = WORKER_URL): SnapshotReplica | undefined {
    if (!existsSync(fileURLToPath(workerUrl))) return undefined;
    return new SnapshotReplica(new Worker(workerUrl));
  }

  /** The next `build` can run off the event loop. */
  get usable(): boolean {
    return this.#valid && this.#dead === undefined;
  }

  /** Entries recorded since the last reset or shipment. */
  get recorded(): number {
    return this.#lengths.length;
  }

  /** The node's store was replaced by the store of `kv` (`KvStore.serialize` bytes; empty: a new store). */
  reset(kv: Uint8Array): void {
    this.#clear();
    if (this.#dead !== undefined) return;
    // A copy (Buffer#slice would be a view): transferring detaches it.
    const request: ReplicaRequest = { kind: 'reset', kv: new Uint8Array(kv) };
    this.#worker.postMessage(request, [request.kv.buffer as ArrayBuffer]);
    this.#valid = true;
  }

  /** The node applied `data` at `index` to its store (copied into one growing buffer). */
  record(index: number, data: Uint8Array): void {
    if (!this.usable) return;
    const need = this.#used + data.length;
    if (this.#lengths.length >= ServerLimits.snapshotReplicaEntriesMax || need > ServerLimits.snapshotReplicaBytesMax) {
      this.#valid = false;
      this.#clear();
      return;
    }
    if (need > this.#buffer.length) {
      const grown = new Uint8Array(Math.min(ServerLimits.snapshotReplicaBytesMax, Math.max(need, 2 * this.#buffer.length)));
      grown.set(this.#buffer.subarray(0, this.#used));
      this.#buffer = grown;
    }
    this.#buffer.set(data, this.#used);
    this.#used = need;
    this.#lengths.push(data.length);
    this.#indexes.push(index);
  }

  /**
   * Ship the recorded entries to the worker once at least `snapshotReplicaShipEntriesMin` are
   * recorded (`force`: any), so the worker applies them in a few large batches.
   */
  flush(force = false): void {
    const count = this.#lengths.length;
    if (!this.usable || count === 0 || (!force && count < ServerLimits.snapshotReplicaShipEntriesMin)) return;
    const bytes = this.#buffer;
    const request: ReplicaRequest = {
      kind: 'apply',
      bytes: bytes.subarray(0, this.#used),
      lengths: Uint32Array.from(this.#lengths),
      indexes: Float64Array.from(this.#indexes),
    };
    this.#buffer = new Uint8Array(bytes.length);
    this.#used = 0;
    this.#lengths = [];
    this.#indexes = [];
    this.#worker.postMessage(request, [bytes.buffer, request.lengths.buffer as ArrayBuffer, request.indexes.buffer as ArrayBuffer]);
  }

  #clear(): void {
    this.#buffer = new Uint8Array(RECORD_BUFFER_BYTES);
    this.#used = 0;
    this.#lengths = [];
    this.#indexes = [];
  }

  /** Snapshot the replica at the last recorded entry, with the node's `control` state at that entry. */
  build(control: Record<string, unknown>): Promise<BuiltSnapshot> {
    assert(this.usable, 'SnapshotReplica.build: the replica is not usable (check `usable` first)');
    this.flush(true);
    const id = this.#nextId++;
    const request: ReplicaRequest = { kind: 'build', id, controlJson: JSON.stringify(control) };
    const done = new Promise<BuiltSnapshot>((resolve, reject) => this.#pending.set(id, { resolve, reject }));
    this.#worker.postMessage(request);
    return done;
  }

  /** The length of the replica's `KvStore.serialize()` at the last recorded entry (encoded in the worker). */
  async measure(): Promise<number> {
    assert(this.usable, 'SnapshotReplica.measure: the replica is not usable (check `usable` first)');
    this.flush(true);
    const id = this.#nextId++;
    const done = new Promise<BuiltSnapshot>((resolve, reject) => this.#pending.set(id, { resolve, reject }));
    const request: ReplicaRequest = { kind: 'measure', id };
    this.#worker.postMessage(request);
    return (await done).kvBytes;
  }

  /** Stop the worker; pending builds reject. */
  async stop(): Promise<void> {
    this.#die(new Error('the snapshot replica was stopped'));
    await this.#worker.terminate();
  }

  #onAnswer(answer: ReplicaAnswer): void {
    const p = this.#pending.get(answer.id);
    if (p === undefined) return;
    this.#pending.delete(answer.id);
    if (answer.ok) p.resolve({ data: answer.data, kvBytes: answer.kvBytes });
    else {
      // The replica may now differ from the node's store: only a reset makes it usable again.
      this.#valid = false;
      p.reject(new Error(answer.error));
    }
  }

  #die(err: Error): void {
    if (this.#dead !== undefined) return;
    this.#dead = err;
    this.#valid = false;
    for (const p of this.#pending.values()) p.reject(err);
    this.#pending.clear();
  }
}
