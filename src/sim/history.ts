import { HistoryBuilder } from '../check/history.js';
import type { Operation } from '../check/types.js';

/** One client operation as recorded by the simulator (Jepsen's invoke + completion, merged). */
export interface SimOp {
  readonly process: number;
  readonly f: 'read' | 'write' | 'cas';
  readonly key: string;
  /** write: the value; cas: [expected, new]; read: null. */
  readonly value: number | null | readonly [number | null, number];
  readonly invokeMs: number;
  type: 'ok' | 'fail' | 'info' | 'pending';
  completeMs: number;
  /** A read's result. */
  output: number | null;
}

/**
 * The client history of a run, in virtual time. Converted for `check/` at the end, dropping
 * indeterminate writes and cas whose value nobody ever observed: with unique values such an
 * operation can always be linearised as "never happened" without changing any other
 * operation's result, so dropping it keeps the verdict and saves the checker an exponential
 * search over maybe-applied writes.
 */
export class SimHistory {
  readonly ops: SimOp[] = [];
  readonly #inFlight = new Map<number, SimOp>();

  invoke(process: number, f: SimOp['f'], key: string, value: SimOp['value'], atMs: number): void {
    const op: SimOp = { process, f, key, value, invokeMs: atMs, type: 'pending', completeMs: atMs, output: null };
    this.ops.push(op);
    this.#inFlight.set(process, op);
  }

  complete(process: number, type: 'ok' | 'fail' | 'info', atMs: number, output: number | null = null): void {
    const op = this.#inFlight.get(process);
    if (op === undefined) return;
    this.#inFlight.delete(process);
    op.type = type;
    op.completeMs = atMs;
    op.output = output;
  }

  counts(): { invoked: number; ok: number; fail: number; info: number } {
    let ok = 0;
    let fail = 0;
    for (const op of this.ops) {
      if (op.type === 'ok') ok++;
      else if (op.type === 'fail') fail++;
    }
    return { invoked: this.ops.length, ok, fail, info: this.ops.length - ok - fail };
  }

  /** The history for `checkHistory` (pending operations become indeterminate). */
  toOperations(): { ops: Operation[]; droppedUnobserved: number } {
    const observed = new Set<string>();
    for (const op of this.ops) {
      if (op.type !== 'ok') continue;
      if (op.f === 'read' && op.output !== null) observed.add(`${op.key}\u0000${op.output}`);
      if (op.f === 'cas' && Array.isArray(op.value) && op.value[0] !== null) observed.add(`${op.key}\u0000${op.value[0]}`);
    }
    const builder = new HistoryBuilder();
    let droppedUnobserved = 0;
    for (const op of this.ops) {
      const indeterminate = op.type === 'info' || op.type === 'pending';
      if (indeterminate && op.f !== 'read') {
        const written = op.f === 'write' ? op.value : (op.value as readonly [number | null, number])[1];
        if (!observed.has(`${op.key}\u0000${String(written)}`)) {
          droppedUnobserved++;
          continue;
        }
      }
      builder.add({
        process: op.process,
        f: op.f,
        key: op.key,
        value: op.value,
        output: op.output,
        type: op.type === 'pending' ? 'info' : op.type,
        callMs: op.invokeMs,
        returnMs: op.completeMs,
      });
    }
    return { ops: builder.build(), droppedUnobserved };
  }
}
