import { assert } from '../core/errors.js';
import type { Random } from '../core/random.js';
import { type CompletionType, HistoryBuilder } from './history.js';
import type { CasPair, Operation, OpF, Scalar } from './types.js';

/** One Jepsen-style event, as in a JSON-lines history file. */
export interface HistoryEvent {
  readonly process: number;
  readonly type: 'invoke' | CompletionType;
  readonly f: OpF;
  readonly key: string;
  readonly value?: Scalar | CasPair;
  readonly time: number;
}

export interface GenerateOptions {
  readonly ops: number;
  readonly processes: number;
  readonly keys: number;
  /** Fraction of ops whose client gives up (`info`); half of those still take effect. */
  readonly infoRate?: number;
  /** Include cas operations (for the cas-register model). */
  readonly cas?: boolean;
  /** Longest op latency; each op takes effect at a random point inside its interval. */
  readonly latencyMsMax?: number;
}

interface Planned {
  readonly process: number;
  readonly f: OpF;
  readonly key: string;
  readonly input: Scalar | CasPair;
  readonly callMs: number;
  readonly returnMs: number;
  readonly effectMs: number;
  readonly info: boolean;
  readonly takesEffect: boolean;
  output: Scalar;
  type: CompletionType;
}

/**
 * Simulate a correct (linearizable) concurrent register store: each process runs ops one after
 * another with random latencies and gaps; each op takes effect atomically at a random instant
 * inside its interval; reads see the store at that instant. Written values are unique per key,
 * so a stale read is always detectable. Deterministic for a given `random`.
 * A process whose op ended `info` keeps invoking (a new logical process to the checker).
 */
export function generateLinearizableHistory(random: Random, options: GenerateOptions): HistoryEvent[] {
  const { ops, processes, keys } = options;
  assert(ops >= 0 && processes >= 1 && keys >= 1, 'generate: ops >= 0, processes >= 1, keys >= 1');
  const infoRate = options.infoRate ?? 0;
  const latencyMsMax = options.latencyMsMax ?? 10;
  const clocks = new Array<number>(processes).fill(0);
  const nextValue = new Map<string, number>();
  const planned: Planned[] = [];
  for (let i = 0; i < ops; i++) {
    const process = random.int(0, processes - 1);
    const key = `k${random.int(0, keys - 1)}`;
    const roll = random.float();
    const f: OpF = roll < 0.5 ? 'read' : options.cas && roll < 0.75 ? 'cas' : 'write';
    const callMs = clocks[process]! + random.int(0, latencyMsMax);
    const returnMs = callMs + random.int(1, latencyMsMax);
    clocks[process] = returnMs;
    const effectMs = callMs + random.float() * (returnMs - callMs);
    const fresh = (nextValue.get(key) ?? 0) + 1;
    let input: Scalar | CasPair = null;
    if (f === 'write') {
      input = fresh;
      nextValue.set(key, fresh);
    } else if (f === 'cas') {
      // Expect a recent value so that some cas succeed.
      input = [random.int(Math.max(0, fresh - 3), fresh - 1) || null, fresh];
      nextValue.set(key, fresh);
    }
    const info = f !== 'read' && random.float() < infoRate;
    const takesEffect = !info || random.float() < 0.5;
    planned.push({ process, f, key, input, callMs, returnMs, effectMs, info, takesEffect, output: null, type: 'ok' });
  }
  const byEffect = [...planned].sort((a, b) => a.effectMs - b.effectMs);
  const store = new Map<string, Scalar>();
  for (const p of byEffect) {
    const current = store.get(p.key) ?? null;
    if (p.f === 'read') p.output = current;
    else if (p.f === 'write' && p.takesEffect) store.set(p.key, p.input as Scalar);
    else if (p.f === 'cas') {
      const [expected, next] = p.input as CasPair;
      const applies = p.takesEffect && current === expected;
      if (applies) store.set(p.key, next);
      if (!applies && !p.info) p.type = 'fail';
    }
    if (p.info) p.type = 'info';
  }
  const events: { event: HistoryEvent; order: number }[] = [];
  planned.forEach((p, i) => {
    const invoke: HistoryEvent =
      p.f === 'read'
        ? { process: p.process, type: 'invoke', f: p.f, key: p.key, time: p.callMs }
        : { process: p.process, type: 'invoke', f: p.f, key: p.key, value: p.input, time: p.callMs };
    const done: HistoryEvent =
      p.f === 'read' && p.type === 'ok'
        ? { process: p.process, type: p.type, f: p.f, key: p.key, value: p.output, time: p.returnMs }
        : { process: p.process, type: p.type, f: p.f, key: p.key, time: p.returnMs };
    events.push({ event: invoke, order: 2 * i }, { event: done, order: 2 * i + 1 });
  });
  events.sort((a, b) => a.event.time - b.event.time || a.order - b.order);
  return events.map((e) => e.event);
}

/** Replay events through a `HistoryBuilder`. */
export function eventsToOperations(events: readonly HistoryEvent[]): Operation[] {
  const builder = new HistoryBuilder();
  for (const e of events) {
    if (e.type === 'invoke') builder.invoke(e.process, e.f, e.key, e.value ?? null, e.time);
    else builder.complete(e.process, e.type, e.time, e.value);
  }
  return builder.build();
}

/** Render events as a JSON-lines history file. */
export function toJsonLines(events: readonly HistoryEvent[]): string {
  return events.map((e) => JSON.stringify(e)).join('\n') + (events.length > 0 ? '\n' : '');
}

/**
 * Make one read stale: a read R returns the value of a write W although another determinate
 * write or successful cas W2 on the same key ran entirely after W and before R. With unique
 * values per key (as generated above) the result is never linearizable. Returns null when the
 * history has no such triple.
 */
export function injectStaleRead(ops: readonly Operation[], random: Random): Operation[] | null {
  const writersByKey = new Map<string, Operation[]>();
  const reads: number[] = [];
  ops.forEach((op, i) => {
    if (op.f === 'read') {
      reads.push(i);
      return;
    }
    if (!Number.isFinite(op.returnMs)) return;
    const list = writersByKey.get(op.key);
    if (list) list.push(op);
    else writersByKey.set(op.key, [op]);
  });
  const start = reads.length === 0 ? 0 : random.int(0, reads.length - 1);
  for (let k = 0; k < reads.length; k++) {
    const readIndex = reads[(start + k) % reads.length]!;
    const r = ops[readIndex]!;
    const before = (writersByKey.get(r.key) ?? []).filter((w) => w.returnMs < r.callMs);
    // W2: the completed-before-R writer invoked last; W: a write that completed before W2 began.
    let w2: Operation | undefined;
    for (const w of before) if (w2 === undefined || w.callMs > w2.callMs) w2 = w;
    if (w2 === undefined) continue;
    const w = before.find((x) => x.f === 'write' && x.returnMs < w2.callMs && x.input !== (r.f === 'read' ? r.output : null));
    if (w === undefined || w.f !== 'write') continue;
    const value = w.input;
    return ops.map((op, i) => (i === readIndex && op.f === 'read' ? { ...op, output: value } : op));
  }
  return null;
}
