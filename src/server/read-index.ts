import { ErrorCodes, NinesError } from '../core/errors.js';

interface ReadWaiter {
  resolve(): void;
  reject(err: unknown): void;
  timer: NodeJS.Timeout;
  settled: boolean;
}

/**
 * Linearizable reads by ReadIndex, batched: reads that arrive while one ReadIndex round is
 * being prepared share it. A read is released once raft has answered its round with a read
 * index and this node has applied up to that index. Bounded by `max` waiting reads; each
 * times out after `timeoutMs` (504).
 */
export class ReadIndexQueue {
  #queued: ReadWaiter[] = [];
  readonly #inflight = new Map<string, ReadWaiter[]>();
  /** Rounds answered, waiting for apply; kept sorted by index. */
  #answered: { index: number; waiters: ReadWaiter[] }[] = [];
  #nextRound = 1;
  #waiting = 0;
  readonly #max: number;
  readonly #timeoutMs: number;
  readonly #boot: number;

  constructor(options: { max: number; timeoutMs: number; boot: number }) {
    this.#max = options.max;
    this.#timeoutMs = options.timeoutMs;
    this.#boot = options.boot;
  }

  get size(): number {
    return this.#waiting;
  }

  /** A read that resolves when it may be served from the local store. */
  wait(): Promise<void> {
    if (this.#waiting >= this.#max) {
      throw new NinesError(ErrorCodes.UNAVAILABLE, `too many reads waiting (pendingReadsMax ${this.#max}); retry later`);
    }
    this.#waiting++;
    return new Promise<void>((resolve, reject) => {
      const w: ReadWaiter = {
        resolve: () => {
          if (w.settled) return;
          w.settled = true;
          clearTimeout(w.timer);
          this.#waiting--;
          resolve();
        },
        reject: (err) => {
          if (w.settled) return;
          w.settled = true;
          clearTimeout(w.timer);
          this.#waiting--;
          reject(err);
        },
        timer: setTimeout(() => {
          w.reject(new NinesError(ErrorCodes.TIMEOUT, `linearizable read not confirmed within ${this.#timeoutMs} ms (no quorum reachable?)`));
        }, this.#timeoutMs),
        settled: false,
      };
      this.#queued.push(w);
    });
  }

  /** The context of a new round for the queued reads, or undefined if none are queued. */
  takeRound(): Uint8Array | undefined {
    this.#sweep();
    const live = this.#queued.filter((w) => !w.settled);
    this.#queued = [];
    if (live.length === 0) return undefined;
    const context = new Uint8Array(8);
    const view = new DataView(context.buffer);
    view.setUint32(0, this.#boot >>> 0);
    view.setUint32(4, this.#nextRound++ >>> 0);
    this.#inflight.set(key(context), live);
    return context;
  }

  /** The round with `context` could not be started: fail its reads. */
  failRound(context: Uint8Array, err: unknown): void {
    const waiters = this.#inflight.get(key(context)) ?? [];
    this.#inflight.delete(key(context));
    for (const w of waiters) w.reject(err);
  }

  /** Raft answered a round: its reads may proceed once `applied >= index`. */
  onReadState(context: Uint8Array, index: number, applied: number): void {
    const waiters = this.#inflight.get(key(context));
    if (waiters === undefined) return; // another node's round, or timed out
    this.#inflight.delete(key(context));
    if (applied >= index) {
      for (const w of waiters) w.resolve();
      return;
    }
    this.#answered.push({ index, waiters });
    this.#answered.sort((a, b) => a.index - b.index);
  }

  onApplied(applied: number): void {
    while (this.#answered.length > 0 && this.#answered[0]!.index <= applied) {
      for (const w of this.#answered.shift()!.waiters) w.resolve();
    }
  }

  rejectAll(err: unknown): void {
    for (const w of this.#queued) w.reject(err);
    for (const ws of this.#inflight.values()) for (const w of ws) w.reject(err);
    for (const a of this.#answered) for (const w of a.waiters) w.reject(err);
    this.#queued = [];
    this.#inflight.clear();
    this.#answered = [];
  }

  /** Drop rounds whose reads all timed out (raft dropped them, e.g. across a leader change). */
  #sweep(): void {
    for (const [k, ws] of this.#inflight) if (ws.every((w) => w.settled)) this.#inflight.delete(k);
  }
}

function key(context: Uint8Array): string {
  return Buffer.from(context.buffer, context.byteOffset, context.byteLength).toString('hex');
}
