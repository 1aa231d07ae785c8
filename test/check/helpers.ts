import { HistoryBuilder } from '../../src/check/history.js';
import type { CasPair, Operation, OpF, Scalar } from '../../src/check/types.js';

/** One op for a test history: [process, f, value, output?, callMs, returnMs | 'info', key?]. */
export interface T {
  p: number;
  f: OpF;
  v?: Scalar | CasPair;
  out?: Scalar;
  call: number;
  ret: number | 'info' | 'fail';
  key?: string;
}

/** Build a history from whole operations (the programmatic API). */
export function history(ops: readonly T[]): Operation[] {
  const b = new HistoryBuilder();
  for (const o of ops) {
    b.add({
      process: o.p,
      f: o.f,
      key: o.key ?? 'x',
      ...(o.v === undefined ? {} : { value: o.v }),
      ...(o.out === undefined ? {} : { output: o.out }),
      type: o.ret === 'info' ? 'info' : o.ret === 'fail' ? 'fail' : 'ok',
      callMs: o.call,
      returnMs: typeof o.ret === 'number' ? o.ret : o.call,
    });
  }
  return b.build();
}
