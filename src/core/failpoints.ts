import { InvalidArgumentError } from './errors.js';

/**
 * Failpoints: faults a test switches on inside a real member process, through the environment
 * (the idea of etcd's gofail; no code of it). A real disk cannot be made slow on demand here
 * (no device-mapper `delay` target in the test kernel), so the slow-disk tests say instead
 *
 *     NINES_FAILPOINTS='storageBeforeSync=sleep(1500)'
 *
 * Terms: a comma-separated list of `name=sleep(MS)`. An unknown name, a malformed term or a
 * sleep outside [0, FAILPOINT_SLEEP_MS_MAX] is refused at start with a message saying what is
 * accepted: a typo must not silently test nothing.
 *
 * A member started with the variable set (even to the empty string) also takes new terms at
 * run time, `PUT /debug/failpoints` on its HTTP listener (gofail's HTTP endpoint, in spirit),
 * so a test can make a disk slow after the cluster has formed. Without the variable there is
 * no such route and no failpoint costs more than one `undefined` check.
 */
export const FAILPOINT_NAMES = {
  /** Before each synced write of a raft Ready (WAL fdatasync): a slow disk. */
  storageBeforeSync: 'storageBeforeSync',
} as const;
export type FailpointName = keyof typeof FAILPOINT_NAMES;

/** The environment variable read by `failpointsFromEnv`. */
export const FAILPOINTS_ENV = 'NINES_FAILPOINTS';
/** Longest sleep a failpoint may ask for: 10 minutes. */
export const FAILPOINT_SLEEP_MS_MAX = 600_000;
/** Longest NINES_FAILPOINTS value read. */
const FAILPOINTS_SPEC_CHARS_MAX = 4096;

/** Active failpoints: name → action. Empty in production. */
export class Failpoints {
  #sleeps: ReadonlyMap<FailpointName, number>;

  constructor(sleeps: ReadonlyMap<FailpointName, number> = new Map()) {
    this.#sleeps = sleeps;
  }

  /** Take the terms of `other` in place of these (a run-time change). */
  replaceWith(other: Failpoints): void {
    this.#sleeps = other.#sleeps;
  }

  /** No failpoint is set (the production case). */
  get empty(): boolean {
    return this.#sleeps.size === 0;
  }

  /** The sleep set at `name` in ms, or undefined. */
  sleepMs(name: FailpointName): number | undefined {
    return this.#sleeps.get(name);
  }

  /** Evaluate the failpoint: resolves after its sleep (at once when it is not set). */
  async hit(name: FailpointName): Promise<void> {
    const ms = this.#sleeps.get(name);
    if (ms === undefined || ms === 0) return;
    await new Promise<void>((resolve) => setTimeout(resolve, ms));
  }

  /** The active terms, as they would be written in NINES_FAILPOINTS. */
  toString(): string {
    return [...this.#sleeps].map(([name, ms]) => `${name}=sleep(${ms})`).join(',');
  }
}

const TERM = /^\s*([A-Za-z][A-Za-z0-9]*)\s*=\s*sleep\(\s*(\d+)\s*\)\s*$/;

/** Parse a NINES_FAILPOINTS value; throws InvalidArgumentError naming the bad term. */
export function parseFailpoints(spec: string): Failpoints {
  if (spec.length > FAILPOINTS_SPEC_CHARS_MAX) {
    throw new InvalidArgumentError(`${FAILPOINTS_ENV} is ${spec.length} characters long; at most ${FAILPOINTS_SPEC_CHARS_MAX}`);
  }
  const sleeps = new Map<FailpointName, number>();
  for (const term of spec.split(',')) {
    if (term.trim() === '') continue;
    const m = TERM.exec(term);
    if (m === null) {
      throw new InvalidArgumentError(`${FAILPOINTS_ENV}: cannot read "${term.trim()}"; write name=sleep(MS), e.g. storageBeforeSync=sleep(1500)`);
    }
    const name = m[1]!;
    if (!Object.hasOwn(FAILPOINT_NAMES, name)) {
      throw new InvalidArgumentError(`${FAILPOINTS_ENV}: unknown failpoint "${name}"; known: ${Object.keys(FAILPOINT_NAMES).join(', ')}`);
    }
    const ms = Number(m[2]);
    if (!Number.isSafeInteger(ms) || ms > FAILPOINT_SLEEP_MS_MAX) {
      throw new InvalidArgumentError(`${FAILPOINTS_ENV}: ${name} sleeps ${m[2]} ms; at most ${FAILPOINT_SLEEP_MS_MAX}`);
    }
    if (sleeps.has(name as FailpointName)) throw new InvalidArgumentError(`${FAILPOINTS_ENV}: ${name} is set twice`);
    sleeps.set(name as FailpointName, ms);
  }
  return new Failpoints(sleeps);
}

/**
 * The failpoints set in the environment; undefined when the variable is unset (production:
 * failpoints are off and cannot be switched on at run time).
 */
export function failpointsFromEnv(env: NodeJS.ProcessEnv = process.env): Failpoints | undefined {
  const spec = env[FAILPOINTS_ENV];
  return spec === undefined ? undefined : parseFailpoints(spec);
}
