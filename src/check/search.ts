import { assert } from '../core/errors.js';
import type { Budget } from './budget.js';
import { type Model, mix32 } from './models.js';
import type { Operation } from './types.js';

/** The outcome of searching one sub-history. */
export type SearchOutcome =
  | {
      readonly kind: 'linearizable';
      /** Indices (into the searched ops) of the linearised ops, in order (indeterminate ones may be missing). */
      readonly order: readonly number[];
    }
  | {
      readonly kind: 'illegal';
      /** Indices (into the searched ops) of the longest linearisable prefix found, in order. */
      readonly longestPrefix: readonly number[];
    }
  | { readonly kind: 'unknown' };

/** A call or return event in the doubly linked list the search walks. */
interface Entry {
  readonly op: number;
  readonly time: number;
  /** For a call: its return entry, or null when the op is indeterminate (returns at +∞). */
  readonly ret: Entry | null;
  readonly isCall: boolean;
  prev: Entry | null;
  next: Entry | null;
}

interface Frame<S> {
  readonly entry: Entry;
  /** The state before the entry's op was linearised. */
  readonly state: S;
  /** A read-only op linearised eagerly: its level has no alternatives to try. */
  readonly forced: boolean;
}

interface CacheItem<S> {
  readonly low: number;
  readonly high: number;
  readonly words: Uint32Array;
  readonly state: S;
}

/**
 * Decide whether `ops` (one object's sub-history) is linearizable for `model`: Wing & Gong's
 * search with Lowe's memoisation of (linearised set, state), as in Porcupine. Events form a
 * linked list ordered by time (a call before a return at equal times, so touching intervals
 * count as concurrent); the search linearises the first call it can, lifting the op out of
 * the list, and backtracks when it meets the return of an op not yet linearised.
 * Indeterminate ops have no return entry: they may be linearised at any later point or never,
 * so the search succeeds once every determinate op is linearised. A read the model accepts
 * at the start of a level is linearised eagerly (see `Model.isReadOnly`).
 * Pure; stops with `unknown` when `budget` runs out.
 */
export function searchLinearization<S>(ops: readonly Operation[], model: Model<S>, budget: Budget): SearchOutcome {
  // Number ops by call time so that the linearised set is mostly a dense prefix: the cache
  // then stores only the window of the bitset between the first gap and the last set bit.
  const byCall = ops.map((_, i) => i).sort((a, b) => ops[a]!.callMs - ops[b]!.callMs || a - b);
  const sorted = byCall.map((i) => ops[i]!);
  const n = sorted.length;
  const head = buildList(sorted);
  const set = new LinearisedSet(n);
  const cache = new Map<number, CacheItem<S>[]>();
  const stack: Frame<S>[] = [];
  let required = 0;
  for (const op of sorted) if (Number.isFinite(op.returnMs)) required++;

  let state = model.init();
  let linearisedRequired = 0;
  let longest: number[] = [];
  let entry = head.next;
  let levelStart = true;
  const original = (frames: readonly Frame<S>[]): number[] => frames.map((f) => byCall[f.entry.op]!);

  /** Linearise `e`'s op into `next` unless (set, next) was seen; false on a cache hit. */
  const tryPush = (e: Entry, next: S, forced: boolean): boolean => {
    set.add(e.op);
    const key = mix32(set.hash + Math.imul(model.hash(next), 0x27d4eb2f));
    if (cacheHas(cache, key, set, next, model)) {
      set.remove(e.op);
      return false;
    }
    const bucket = cache.get(key);
    const item = { ...set.snapshot(), state: next };
    if (bucket) bucket.push(item);
    else cache.set(key, [item]);
    stack.push({ entry: e, state, forced });
    state = next;
    if (e.ret !== null) linearisedRequired++;
    lift(e);
    entry = head.next;
    levelStart = true;
    return true;
  };

  /** Undo choices up to the last level with alternatives left; false when none is left. */
  const backtrack = (): boolean => {
    if (stack.length > longest.length) longest = original(stack);
    for (;;) {
      const top = stack.pop();
      if (top === undefined) return false;
      set.remove(top.entry.op);
      if (top.entry.ret !== null) linearisedRequired--;
      state = top.state;
      unlift(top.entry);
      if (!top.forced) {
        entry = top.entry.next;
        levelStart = false;
        return true;
      }
    }
  };

  while (linearisedRequired < required) {
    if (budget.tick()) return { kind: 'unknown' };
    if (levelStart) {
      // A read-only op that is allowed now can be linearised first without loss: every op
      // still pending returns after it was called, and it changes no state. If that fails,
      // so does this level.
      levelStart = false;
      const read = findAllowedReadOnly(head, sorted, model, state);
      if (read !== null) {
        if (!tryPush(read, state, true) && !backtrack()) return { kind: 'illegal', longestPrefix: longest };
        continue;
      }
    }
    assert(entry !== null, 'an unlinearised determinate op keeps a return entry in the list');
    if (entry.isCall) {
      const r = model.step(state, sorted[entry.op]!);
      if (r.ok && tryPush(entry, r.next, false)) continue;
      entry = entry.next;
    } else if (!backtrack()) {
      // The return of an op not yet linearised, with no choice left to undo.
      return { kind: 'illegal', longestPrefix: longest };
    }
  }
  return { kind: 'linearizable', order: original(stack) };
}

/** The first read-only call, before the first return entry, that the model allows in `state`. */
function findAllowedReadOnly<S>(head: Entry, ops: readonly Operation[], model: Model<S>, state: S): Entry | null {
  for (let e = head.next; e?.isCall; e = e.next) {
    const op = ops[e.op]!;
    if (model.isReadOnly(op) && model.step(state, op).ok) return e;
  }
  return null;
}

/**
 * The set of linearised ops: a bitset with a Zobrist hash, and a canonical compact form for
 * the cache: `low` is the first word that is not all ones, `high` the last non-zero word,
 * and `words` the words between them (both inclusive). Equal sets have equal compact forms.
 */
class LinearisedSet {
  readonly #bits: Uint32Array;
  readonly #zobrist: Int32Array;
  hash = 0;
  low = 0;
  high = -1;

  constructor(n: number) {
    this.#bits = new Uint32Array((n + 31) >>> 5);
    this.#zobrist = new Int32Array(n);
    for (let i = 0; i < n; i++) this.#zobrist[i] = mix32(Math.imul(i + 1, 0x9e3779b9) ^ 0x7f4a7c15);
  }

  add(i: number): void {
    const w = i >>> 5;
    const bits = this.#bits;
    assert((bits[w]! & (1 << (i & 31))) === 0, 'an op is linearised at most once');
    bits[w]! |= 1 << (i & 31);
    this.hash ^= this.#zobrist[i]!;
    if (w > this.high) this.high = w;
    while (this.low < bits.length && bits[this.low] === 0xffffffff) this.low++;
  }

  remove(i: number): void {
    const w = i >>> 5;
    const bits = this.#bits;
    assert((bits[w]! & (1 << (i & 31))) !== 0, 'only a linearised op is removed');
    bits[w]! &= ~(1 << (i & 31));
    this.hash ^= this.#zobrist[i]!;
    if (w < this.low) this.low = w;
    while (this.high >= 0 && bits[this.high] === 0) this.high--;
  }

  snapshot(): { low: number; high: number; words: Uint32Array } {
    return { low: this.low, high: this.high, words: this.#bits.slice(this.low, this.high + 1) };
  }

  /** Whether this set equals a snapshot. */
  equals(item: { readonly low: number; readonly high: number; readonly words: Uint32Array }): boolean {
    if (item.low !== this.low || item.high !== this.high) return false;
    const bits = this.#bits;
    const words = item.words;
    for (let i = 0; i < words.length; i++) if (words[i] !== bits[this.low + i]) return false;
    return true;
  }
}

function cacheHas<S>(
  cache: Map<number, CacheItem<S>[]>,
  key: number,
  set: LinearisedSet,
  state: S,
  model: Model<S>,
): boolean {
  const bucket = cache.get(key);
  if (bucket === undefined) return false;
  for (const item of bucket) {
    if (model.equal(item.state, state) && set.equals(item)) return true;
  }
  return false;
}

/** Build the sorted event list behind a sentinel head. */
function buildList(ops: readonly Operation[]): Entry {
  const entries: Entry[] = [];
  ops.forEach((op, i) => {
    assert(op.returnMs >= op.callMs, 'an operation returns no earlier than its call');
    const ret: Entry | null = Number.isFinite(op.returnMs)
      ? { op: i, time: op.returnMs, ret: null, isCall: false, prev: null, next: null }
      : null;
    entries.push({ op: i, time: op.callMs, ret, isCall: true, prev: null, next: null });
    if (ret) entries.push(ret);
  });
  entries.sort((a, b) => a.time - b.time || Number(b.isCall) - Number(a.isCall) || a.op - b.op);
  const head: Entry = { op: -1, time: Number.NEGATIVE_INFINITY, ret: null, isCall: false, prev: null, next: null };
  let prev = head;
  for (const e of entries) {
    prev.next = e;
    e.prev = prev;
    prev = e;
  }
  return head;
}

/** Remove a call entry and its return entry from the list. */
function lift(call: Entry): void {
  unlink(call);
  if (call.ret) unlink(call.ret);
}

/** Undo `lift`, restoring the exact positions (entries are relinked in reverse order). */
function unlift(call: Entry): void {
  if (call.ret) relink(call.ret);
  relink(call);
}

function unlink(e: Entry): void {
  e.prev!.next = e.next;
  if (e.next) e.next.prev = e.prev;
}

function relink(e: Entry): void {
  e.prev!.next = e;
  if (e.next) e.next.prev = e;
}
