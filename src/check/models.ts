import { InvalidArgumentError } from '../core/errors.js';
import { isIndeterminate, type Operation, type OpF, type Scalar } from './types.js';

/** The outcome of applying one operation to a model state. */
export type StepResult<S> = { readonly ok: true; readonly next: S } | { readonly ok: false };

const REJECT: StepResult<never> = { ok: false };

/**
 * A sequential specification. `step` must be pure; `equal` and `hash` must agree
 * (`equal(a, b)` implies `hash(a) === hash(b)`) since states are memoised by them.
 */
export interface Model<S> {
  readonly name: string;
  /** The operation kinds the model accepts. */
  readonly fs: ReadonlySet<OpF>;
  init(): S;
  step(state: S, op: Operation): StepResult<S>;
  equal(a: S, b: S): boolean;
  /** A 32-bit integer hash. */
  hash(state: S): number;
  /**
   * True when `op` leaves every state unchanged (a read). The search linearises such an op as
   * soon as it is allowed and never reorders it, which is sound only under this contract.
   */
  isReadOnly(op: Operation): boolean;
  /** A JSON-friendly rendering for reports. */
  show(state: S): unknown;
}

/** The models `nines check --model` accepts. */
export type ModelName = 'register' | 'cas-register' | 'kv';
export const MODEL_NAMES: readonly ModelName[] = ['register', 'cas-register', 'kv'];

/**
 * A single register with read and write, initially `null` (absent). An indeterminate write may
 * be linearised anywhere after its call, or never.
 */
export const registerModel: Model<Scalar> = {
  name: 'register',
  fs: new Set<OpF>(['read', 'write']),
  init: () => null,
  step(state, op) {
    switch (op.f) {
      case 'read':
        return state === op.output ? { ok: true, next: state } : REJECT;
      case 'write':
        return { ok: true, next: op.input };
      case 'cas':
        throw new InvalidArgumentError('the register model has no cas: use the cas-register model');
    }
  },
  equal: (a, b) => a === b,
  hash: hashScalar,
  isReadOnly: (op) => op.f === 'read',
  show: (s) => s,
};

/**
 * A register with read, write and compare-and-set. A successful cas requires the expected
 * value; an indeterminate cas either took effect (state was `expected`) or changed nothing.
 */
export const casRegisterModel: Model<Scalar> = {
  name: 'cas-register',
  fs: new Set<OpF>(['read', 'write', 'cas']),
  init: () => null,
  step(state, op) {
    switch (op.f) {
      case 'read':
        return state === op.output ? { ok: true, next: state } : REJECT;
      case 'write':
        return { ok: true, next: op.input };
      case 'cas': {
        if (state === op.input[0]) return { ok: true, next: op.input[1] };
        return isIndeterminate(op) ? { ok: true, next: state } : REJECT;
      }
    }
  },
  equal: (a, b) => a === b,
  hash: hashScalar,
  isReadOnly: (op) => op.f === 'read',
  show: (s) => s,
};

/**
 * A multi-key store: a map from key to cas-register. It is P-compositional: a history is
 * linearizable for it iff each key's sub-history is linearizable for `casRegisterModel`, which
 * is how the checker uses it. The whole-map form exists to test that equivalence.
 */
export const kvModel: Model<ReadonlyMap<string, Scalar>> = {
  name: 'kv',
  fs: casRegisterModel.fs,
  init: () => new Map(),
  step(state, op) {
    const current = state.get(op.key) ?? null;
    const r = casRegisterModel.step(current, op);
    if (!r.ok) return REJECT;
    if (r.next === current) return { ok: true, next: state };
    const next = new Map(state);
    if (r.next === null) next.delete(op.key);
    else next.set(op.key, r.next);
    return { ok: true, next };
  },
  equal(a, b) {
    if (a.size !== b.size) return false;
    for (const [k, v] of a) if (!b.has(k) || b.get(k) !== v) return false;
    return true;
  },
  hash(state) {
    let h = 0;
    for (const [k, v] of state) h = (h + mix32(hashString(k) ^ Math.imul(hashScalar(v), 0x9e3779b1))) | 0;
    return h;
  },
  isReadOnly: (op) => op.f === 'read',
  show: (s) => Object.fromEntries(s),
};

/** The model used for each key's sub-history under a `ModelName`. */
export function perKeyModel(name: ModelName): Model<Scalar> {
  switch (name) {
    case 'register':
      return registerModel;
    case 'cas-register':
    case 'kv':
      return casRegisterModel;
  }
}

export function parseModelName(text: string): ModelName {
  if ((MODEL_NAMES as readonly string[]).includes(text)) return text as ModelName;
  throw new InvalidArgumentError(`unknown model "${text}": expected one of ${MODEL_NAMES.join(', ')}`);
}

/** A finaliser that spreads bits (murmur3's fmix32). */
export function mix32(x: number): number {
  x ^= x >>> 16;
  x = Math.imul(x, 0x85ebca6b);
  x ^= x >>> 13;
  x = Math.imul(x, 0xc2b2ae35);
  x ^= x >>> 16;
  return x | 0;
}

/** FNV-1a over UTF-16 code units. */
export function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h | 0;
}

/** A 32-bit hash of a scalar; distinct types hash differently (1 vs "1"). */
export function hashScalar(v: Scalar): number {
  if (v === null) return 0x6e756c6c;
  switch (typeof v) {
    case 'boolean':
      return v ? 0x74727565 : 0x66616c73;
    case 'number': {
      if (Number.isInteger(v) && Math.abs(v) < 2 ** 31) return mix32(v ^ 0x2545f491);
      return mix32(hashString(String(v)) ^ 0x5bd1e995);
    }
    case 'string':
      return mix32(hashString(v));
  }
}
