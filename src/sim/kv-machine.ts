import { CorruptError } from '../core/errors.js';
import { assert } from '../core/errors.js';

/**
 * The simulator's replicated state machine: a deterministic map from string keys to integer
 * values with put and compare-and-set. (The full MVCC store lives in `kv/`.) Commands travel
 * through raft as JSON bytes; reads are served locally after a ReadIndex and never enter the log.
 */

/** A command in the log. `id` is the request's unique id, used to answer the client. */
export type KvCommand =
  | { readonly id: number; readonly op: 'put'; readonly key: string; readonly value: number }
  | { readonly id: number; readonly op: 'cas'; readonly key: string; readonly expected: number | null; readonly value: number };

/** The outcome of applying one command. */
export interface KvResult {
  readonly id: number;
  /** put: always true; cas: whether the comparison held (and the value was set). */
  readonly ok: boolean;
  /** The id was applied before; this application changed nothing. */
  readonly duplicate?: true;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export function encodeCommand(cmd: KvCommand): Uint8Array {
  return encoder.encode(JSON.stringify(cmd));
}

export function decodeCommand(data: Uint8Array): KvCommand {
  let parsed: unknown;
  try {
    parsed = JSON.parse(decoder.decode(data));
  } catch (err) {
    throw new CorruptError('undecodable command in the log', { cause: err });
  }
  const c = parsed as Partial<Record<string, unknown>>;
  if (typeof c.id !== 'number' || typeof c.key !== 'string' || typeof c.value !== 'number') {
    throw new CorruptError(`malformed command ${JSON.stringify(parsed)}`);
  }
  if (c.op === 'put') return { id: c.id, op: 'put', key: c.key, value: c.value };
  if (c.op === 'cas' && (c.expected === null || typeof c.expected === 'number')) {
    return { id: c.id, op: 'cas', key: c.key, expected: c.expected, value: c.value };
  }
  throw new CorruptError(`malformed command ${JSON.stringify(parsed)}`);
}

/**
 * Commands apply at most once: a request id seen before returns its first result and changes
 * nothing (client sessions, Raft dissertation §6.3) — a forwarded proposal that the network
 * duplicated must not write twice.
 */
export class KvMachine {
  readonly #values = new Map<string, number>();
  readonly #results = new Map<number, boolean>();
  #appliedIndex = 0;

  /** The last log index applied (0 when nothing was). */
  get appliedIndex(): number {
    return this.#appliedIndex;
  }

  get(key: string): number | null {
    return this.#values.get(key) ?? null;
  }

  /** Mark `index` applied without a command (a no-op or configuration entry). */
  skip(index: number): void {
    assert(index > this.#appliedIndex, `apply out of order: ${index} after ${this.#appliedIndex}`);
    this.#appliedIndex = index;
  }

  /** Apply the command at log `index` (indexes strictly increase). */
  apply(index: number, cmd: KvCommand): KvResult {
    this.skip(index);
    const earlier = this.#results.get(cmd.id);
    if (earlier !== undefined) return { id: cmd.id, ok: earlier, duplicate: true };
    let ok = true;
    if (cmd.op === 'put') this.#values.set(cmd.key, cmd.value);
    else if (this.get(cmd.key) === cmd.expected) this.#values.set(cmd.key, cmd.value);
    else ok = false;
    this.#results.set(cmd.id, ok);
    return { id: cmd.id, ok };
  }

  /** A canonical text of the state (sorted keys): equal states give equal digests. */
  digest(): string {
    const keys = [...this.#values.keys()].sort();
    return keys.map((k) => `${k}=${this.#values.get(k)}`).join(',');
  }

  /** Serialize for a raft snapshot. */
  snapshot(): Uint8Array {
    const keys = [...this.#values.keys()].sort();
    return encoder.encode(
      JSON.stringify({
        index: this.#appliedIndex,
        kv: keys.map((k) => [k, this.#values.get(k)]),
        results: [...this.#results],
      }),
    );
  }

  /** Rebuild from snapshot data (empty data = the empty machine at `index`). */
  static fromSnapshot(data: Uint8Array, index: number): KvMachine {
    const m = new KvMachine();
    m.#appliedIndex = index;
    if (data.length === 0) return m;
    let parsed: { index?: unknown; kv?: unknown; results?: unknown };
    try {
      parsed = JSON.parse(decoder.decode(data)) as typeof parsed;
    } catch (err) {
      throw new CorruptError('undecodable state machine snapshot', { cause: err });
    }
    if (!Array.isArray(parsed.kv)) throw new CorruptError('state machine snapshot without kv');
    for (const pair of parsed.kv as unknown[]) {
      if (!Array.isArray(pair) || typeof pair[0] !== 'string' || typeof pair[1] !== 'number') {
        throw new CorruptError(`bad snapshot pair ${JSON.stringify(pair)}`);
      }
      m.#values.set(pair[0], pair[1]);
    }
    if (!Array.isArray(parsed.results)) throw new CorruptError('state machine snapshot without results');
    for (const pair of parsed.results as unknown[]) {
      if (!Array.isArray(pair) || typeof pair[0] !== 'number' || typeof pair[1] !== 'boolean') {
        throw new CorruptError(`bad snapshot result ${JSON.stringify(pair)}`);
      }
      m.#results.set(pair[0], pair[1]);
    }
    return m;
  }
}
