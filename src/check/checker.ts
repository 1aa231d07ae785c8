import { InvalidArgumentError } from '../core/errors.js';
import { Budget, type BudgetOptions } from './budget.js';
import { explainFailure, type Failure } from './explain.js';
import { CheckLimits } from './limits.js';
import { type Model, type ModelName, perKeyModel } from './models.js';
import { pruneIndeterminate } from './prune.js';
import { searchLinearization } from './search.js';
import type { Operation } from './types.js';

export interface CheckOptions extends BudgetOptions {
  /** Default `cas-register`. Every model is checked key by key (P-compositionality). */
  readonly model?: ModelName;
}

/** The verdict on a history. */
export interface CheckResult {
  readonly valid: true | false | 'unknown';
  readonly model: ModelName;
  /** Distinct keys in the history. */
  readonly keysTotal: number;
  /** Keys whose sub-history was decided (linearizable, or the one found not to be). */
  readonly keysChecked: number;
  /** Operations in the decided keys' sub-histories (failed ops and info reads are not counted). */
  readonly opsChecked: number;
  /** Operations in the history. */
  readonly opsTotal: number;
  /** Search steps taken. */
  readonly steps: number;
  /** Present when `valid === false`: the first key (in sorted order) found not linearizable. */
  readonly failure?: Failure;
  /** Present when `valid === 'unknown'`: keys left undecided (at most `CheckLimits.unknownKeysShownMax`). */
  readonly unknownKeys?: readonly string[];
}

/**
 * Decide whether `ops` is linearizable. Splits the history by key, simplifies each key's
 * indeterminate ops (`pruneIndeterminate`), checks each key's sub-history against the per-key model (sorted key order) and stops at the first key that is
 * not linearizable. The budget (steps and/or deadline on the injected clock) is shared by all
 * keys; when it runs out the verdict is `unknown`, unless a key was already found invalid.
 * Throws `InvalidArgumentError` when an op's kind is not in the model (e.g. cas on `register`).
 */
export function checkHistory(ops: readonly Operation[], options: CheckOptions = {}): CheckResult {
  const modelName = options.model ?? 'cas-register';
  const model = perKeyModel(modelName);
  checkKinds(ops, model, modelName);
  const budget = new Budget(options);
  const byKey = partitionByKey(ops);
  const originals = new Map(ops.map((op) => [op.id, op]));
  const keys = [...byKey.keys()].sort();
  let keysChecked = 0;
  let opsChecked = 0;
  const unknownKeys: string[] = [];
  for (const key of keys) {
    const all = byKey.get(key)!;
    const sub = pruneIndeterminate(all);
    const outcome = searchLinearization(sub, model, budget);
    if (outcome.kind === 'unknown') {
      unknownKeys.push(key);
      continue;
    }
    keysChecked++;
    opsChecked += all.length;
    if (outcome.kind === 'illegal') {
      return {
        valid: false,
        model: modelName,
        keysTotal: keys.length,
        keysChecked,
        opsChecked,
        opsTotal: ops.length,
        steps: budget.steps,
        failure: explainFailure(key, sub, model, outcome.longestPrefix, (op) => originals.get(op.id) ?? op),
      };
    }
  }
  const base = {
    model: modelName,
    keysTotal: keys.length,
    keysChecked,
    opsChecked,
    opsTotal: ops.length,
    steps: budget.steps,
  };
  if (unknownKeys.length > 0) {
    return { ...base, valid: 'unknown', unknownKeys: unknownKeys.slice(0, CheckLimits.unknownKeysShownMax) };
  }
  return { ...base, valid: true };
}

/** Split a history into per-key sub-histories, keeping each key's ops in their original order. */
export function partitionByKey(ops: readonly Operation[]): Map<string, Operation[]> {
  const byKey = new Map<string, Operation[]>();
  for (const op of ops) {
    const list = byKey.get(op.key);
    if (list) list.push(op);
    else byKey.set(op.key, [op]);
  }
  return byKey;
}

/**
 * Check a history against any model without splitting it by key (e.g. `kvModel` over all keys
 * at once). Exponentially slower than `checkHistory` on multi-key histories; for tests and
 * models that are not P-compositional.
 */
export function checkWhole<S>(
  ops: readonly Operation[],
  model: Model<S>,
  options: BudgetOptions = {},
): 'linearizable' | 'illegal' | 'unknown' {
  checkKinds(ops, model, model.name);
  return searchLinearization(ops, model, new Budget(options)).kind;
}

function checkKinds<S>(ops: readonly Operation[], model: Model<S>, name: string): void {
  for (const op of ops) {
    if (!model.fs.has(op.f)) {
      const where = op.line === undefined ? `operation ${op.id}` : `line ${op.line}`;
      throw new InvalidArgumentError(
        `${where}: the ${name} model has no ${op.f} operation (use --model cas-register or kv for cas)`,
      );
    }
  }
}
