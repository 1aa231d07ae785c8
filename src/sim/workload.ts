import type { Random } from '../core/random.js';
import type { OpOutcome, OpSource, OpSpec } from './client.js';

/** The key names of a run: k0, k1, … */
export function keyNames(count: number): string[] {
  return Array.from({ length: count }, (_, i) => `k${i}`);
}

/** Unique write values for a run (unique values make histories fast to check). */
export class ValueCounter {
  #next = 1;
  take(): number {
    return this.#next++;
  }
}

export interface WorkloadParams {
  readonly keys: number;
  readonly readRatio: number;
  readonly casRatio: number;
}

/**
 * The safety-phase workload of one client: random reads, writes and compare-and-sets over a
 * few keys, while `active()` holds. A cas expects the value this client last saw for the key
 * (so some succeed and some fail).
 */
export class RandomWorkload implements OpSource {
  readonly #random: Random;
  readonly #params: WorkloadParams;
  readonly #values: ValueCounter;
  readonly #active: () => boolean;
  readonly #keys: string[];
  readonly #lastSeen = new Map<string, number | null>();

  constructor(params: WorkloadParams, random: Random, values: ValueCounter, active: () => boolean) {
    this.#params = params;
    this.#random = random;
    this.#values = values;
    this.#active = active;
    this.#keys = keyNames(params.keys);
  }

  next(): OpSpec | null {
    if (!this.#active()) return null;
    const r = this.#random.float();
    const key = this.#keys[this.#random.int(0, this.#keys.length - 1)]!;
    const p = this.#params;
    if (r < p.readRatio) return { f: 'read', key, value: 0, expected: null };
    if (r < p.readRatio + p.casRatio) {
      return { f: 'cas', key, value: this.#values.take(), expected: this.#lastSeen.get(key) ?? null };
    }
    return { f: 'write', key, value: this.#values.take(), expected: null };
  }

  done(spec: OpSpec, outcome: OpOutcome): void {
    if (outcome.type !== 'ok') return;
    this.#lastSeen.set(spec.key, spec.f === 'read' ? outcome.value : spec.value);
  }
}

/**
 * The liveness probe: once the cluster is healed, write a final value, then read every key,
 * retrying each step until it succeeds. `finished` and `finalIndex` tell the world when the
 * cluster has shown progress and up to which log index every node must converge.
 */
export class ProbeScript implements OpSource {
  readonly #steps: OpSpec[];
  #at = 0;
  #started = false;
  finalIndex = 0;
  attempts = 0;

  constructor(keys: number, values: ValueCounter) {
    const names = keyNames(keys);
    this.#steps = [
      { f: 'write', key: names[0]!, value: values.take(), expected: null },
      ...names.map((key) => ({ f: 'read', key, value: 0, expected: null }) as const),
    ];
  }

  /** Begin (the world calls this when the liveness phase starts). */
  begin(): void {
    this.#started = true;
  }

  get finished(): boolean {
    return this.#at >= this.#steps.length;
  }

  next(): OpSpec | null {
    if (!this.#started || this.finished) return null;
    this.attempts++;
    return this.#steps[this.#at]!;
  }

  done(_spec: OpSpec, outcome: OpOutcome): void {
    if (outcome.type !== 'ok') return;
    this.finalIndex = Math.max(this.finalIndex, outcome.index);
    this.#at++;
  }
}
