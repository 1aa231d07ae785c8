import { CorruptError, InvalidArgumentError, LimitExceededError } from '../core/errors.js';
import { BURN_RATE_WINDOWS_MS } from './alerts.js';
import { BucketRing, chooseBucketWidthMs, slotsFor } from './buckets.js';
import { SloLimits } from './limits.js';
import { REQUEST_OUTCOMES, type RequestOutcome } from './outcome.js';
import { buildSnapshot, type SloSnapshot, snapshotWindowsMs } from './snapshot.js';
import { objectiveCounts, objectiveKey, type SloSpec } from './spec.js';

/**
 * One answered client request, as the server reports it.
 * - `method`: the API method (e.g. `range`, `put`, `txn`), the `method` metric label.
 * - `outcome`: from outcome.ts (`outcomeOfError`, `outcomeOfHttpStatus`, `outcomeOfGrpcCode`).
 * - `latencyMs`: time from receiving the request to answering it (≥ 0).
 * - `atMs`: when it was answered, on a clock that survives restarts (wall-clock epoch ms)
 *   if the history is persisted with `serialize()`; must be ≥ 0.
 * - `count`: how many identical requests this stands for (default 1).
 */
export interface RequestRecord {
  readonly method: string;
  readonly outcome: RequestOutcome;
  readonly latencyMs: number;
  readonly atMs: number;
  readonly count?: number;
}

/**
 * The persisted history: JSON- and msgpack-safe. `keys[j]` identifies what objective
 * column pair j counts (see `objectiveKey`); each bucket row is
 * `[startMs, valid_0, bad_0, valid_1, bad_1, …]`.
 */
export interface SloHistory {
  readonly format: 'nines-slo-history';
  readonly version: 1;
  readonly bucketWidthMs: number;
  readonly keys: readonly string[];
  readonly buckets: readonly (readonly number[])[];
}

export interface SliRecorderOptions {
  /** Force a bucket width (ms); default from `chooseBucketWidthMs(retention)`. */
  readonly bucketWidthMs?: number;
}

/**
 * Rolling SLI counts and the error-budget engine for one SLO spec. Pure: every time is
 * passed in. Feed it with `record()`, read it with `snapshot(nowMs)`, persist it with
 * `serialize()` and `SliRecorder.restore()`.
 *
 * History is kept in buckets of `bucketWidthMs` for max(period, longest window) plus one
 * bucket. A window of length L at `nowMs` counts the buckets that overlap
 * (nowMs − L, nowMs]: exact when nowMs is on a bucket boundary, otherwise it may include
 * up to one bucket width of older requests. Requests older than the ring keeps are dropped
 * and counted in `droppedTooOld`; a request far in the future advances the ring and makes
 * the older history too old, so the caller must pass a sane clock.
 */
export class SliRecorder {
  readonly spec: SloSpec;
  readonly #ring: BucketRing;
  readonly #thresholds: readonly (number | undefined)[];
  readonly #amounts: Float64Array;
  #droppedTooOld = 0;

  constructor(spec: SloSpec, options: SliRecorderOptions = {}) {
    this.spec = spec;
    const retentionMs = Math.max(
      spec.periodMs,
      ...BURN_RATE_WINDOWS_MS,
      ...spec.alerts.map((a) => a.longWindowMs),
    );
    const widthMs = options.bucketWidthMs ?? chooseBucketWidthMs(retentionMs);
    const slots = slotsFor(retentionMs, widthMs);
    if (slots > SloLimits.bucketsMax) throw new LimitExceededError('SloLimits.bucketsMax', slots, SloLimits.bucketsMax);
    this.#ring = new BucketRing(widthMs, slots, 2 * spec.objectives.length);
    this.#thresholds = spec.objectives.map((o) => (o.kind === 'latency' ? o.latencyThresholdMs : undefined));
    this.#amounts = new Float64Array(2 * spec.objectives.length);
  }

  get bucketWidthMs(): number {
    return this.#ring.widthMs;
  }

  /** Requests dropped because they were older than the history keeps. */
  get droppedTooOld(): number {
    return this.#droppedTooOld;
  }

  /**
   * Count one answered request (or `count` identical ones). Returns false when it was
   * too old to keep. Throws InvalidArgumentError on a malformed record.
   */
  record(r: RequestRecord): boolean {
    const count = r.count ?? 1;
    if (typeof r.method !== 'string' || r.method.length === 0 || r.method.length > SloLimits.nameCharsMax) {
      throw new InvalidArgumentError(`record: method must be 1 to ${SloLimits.nameCharsMax} characters`);
    }
    if (!REQUEST_OUTCOMES.includes(r.outcome)) {
      throw new InvalidArgumentError(`record: outcome must be good, bad or client_error, got "${String(r.outcome)}"`);
    }
    if (!(Number.isFinite(r.latencyMs) && r.latencyMs >= 0)) {
      throw new InvalidArgumentError(`record: latencyMs must be finite and >= 0, got ${r.latencyMs}`);
    }
    if (!(Number.isFinite(r.atMs) && r.atMs >= 0)) {
      throw new InvalidArgumentError(`record: atMs must be finite and >= 0, got ${r.atMs}`);
    }
    if (!Number.isSafeInteger(count) || count < 1 || count > SloLimits.recordCountMax) {
      throw new InvalidArgumentError(`record: count must be an integer from 1 to ${SloLimits.recordCountMax}`);
    }
    const objectives = this.spec.objectives;
    for (let j = 0; j < objectives.length; j++) {
      const o = objectives[j]!;
      if (!objectiveCounts(o, r.method)) {
        this.#amounts[2 * j] = 0;
        this.#amounts[2 * j + 1] = 0;
        continue;
      }
      const threshold = this.#thresholds[j];
      const bad = r.outcome === 'bad' || (threshold !== undefined && r.latencyMs > threshold);
      this.#amounts[2 * j] = count;
      this.#amounts[2 * j + 1] = bad ? count : 0;
    }
    const kept = this.#ring.add(this.#ring.bucketOf(r.atMs), this.#amounts);
    if (!kept) this.#droppedTooOld += count;
    return kept;
  }

  /**
   * SLI, budget, burn rates and alerts of every objective at `nowMs`. `nowMs` should not
   * be before the newest record (windows are measured back from it).
   */
  snapshot(nowMs: number): SloSnapshot {
    if (!(Number.isFinite(nowMs) && nowMs >= 0)) {
      throw new InvalidArgumentError(`snapshot: nowMs must be finite and >= 0, got ${nowMs}`);
    }
    const sums = this.#windowSums(nowMs, snapshotWindowsMs(this.spec));
    return buildSnapshot(this.spec, nowMs, this.#ring.widthMs, (j, windowMs) => {
      const row = sums.get(windowMs)!;
      return { valid: row[2 * j]!, bad: row[2 * j + 1]! };
    });
  }

  /**
   * Column sums over each window length, in one backward pass over the buckets from the
   * one holding `nowMs` to the oldest any window touches.
   */
  #windowSums(nowMs: number, lengths: readonly number[]): Map<number, Float64Array> {
    const ring = this.#ring;
    const nowBucket = ring.bucketOf(nowMs);
    const byStart = [...lengths]
      .map((len) => ({ len, start: Math.max(0, ring.bucketOf(nowMs - len)) }))
      .sort((a, b) => b.start - a.start);
    const result = new Map<number, Float64Array>();
    const acc = new Float64Array(ring.columns);
    let b = nowBucket;
    for (const { len, start } of byStart) {
      // Bounded: start >= nowBucket - (longest window ÷ width) - 1, and the ring holds that.
      for (; b >= start; b--) {
        if (!ring.has(b)) continue;
        for (let c = 0; c < ring.columns; c++) acc[c]! += ring.get(b, c);
      }
      result.set(len, Float64Array.from(acc));
    }
    return result;
  }

  /** The kept history, for persisting. Restore it with `SliRecorder.restore`. */
  serialize(): SloHistory {
    const w = this.#ring.widthMs;
    const buckets = this.#ring.entries().map(([b, ...counts]) => [b! * w, ...counts]);
    return {
      format: 'nines-slo-history',
      version: 1,
      bucketWidthMs: w,
      keys: this.spec.objectives.map(objectiveKey),
      buckets,
    };
  }

  /**
   * A recorder for `spec` holding the history in `data`, which may come from a recorder
   * with another spec: objectives are matched by `objectiveKey` (same kind, threshold and
   * methods; name and target may differ), objectives without a match start empty, and
   * buckets are re-bucketed to the new width by their start time (exact when the new
   * width is a multiple of the old one). History beyond the new retention is dropped.
   * Throws CorruptError on malformed data.
   */
  static restore(spec: SloSpec, data: unknown, options: SliRecorderOptions = {}): SliRecorder {
    const history = checkHistory(data);
    const recorder = new SliRecorder(spec, options);
    const columnOf = spec.objectives.map((o) => history.keys.indexOf(objectiveKey(o)));
    const amounts = new Float64Array(2 * spec.objectives.length);
    const rows = [...history.buckets].sort((a, b) => a[0]! - b[0]!);
    for (const row of rows) {
      columnOf.forEach((k, j) => {
        amounts[2 * j] = k < 0 ? 0 : row[1 + 2 * k]!;
        amounts[2 * j + 1] = k < 0 ? 0 : row[2 + 2 * k]!;
      });
      recorder.#ring.add(recorder.#ring.bucketOf(row[0]!), amounts);
    }
    return recorder;
  }
}

function checkHistory(data: unknown): SloHistory {
  const fail = (why: string): never => {
    throw new CorruptError(`SLO history: ${why}`);
  };
  if (typeof data !== 'object' || data === null) return fail('not an object');
  const h = data as Partial<Record<keyof SloHistory, unknown>>;
  if (h.format !== 'nines-slo-history') fail('format is not "nines-slo-history"');
  if (h.version !== 1) fail(`unsupported version ${String(h.version)}`);
  if (!Number.isSafeInteger(h.bucketWidthMs) || (h.bucketWidthMs as number) < 1) fail('bad bucketWidthMs');
  if (!Array.isArray(h.keys) || h.keys.length > SloLimits.objectivesMax || !h.keys.every((k) => typeof k === 'string')) {
    fail('bad keys');
  }
  const keys = h.keys as string[];
  if (!Array.isArray(h.buckets) || h.buckets.length > SloLimits.bucketsMax) fail('bad buckets');
  const width = 1 + 2 * keys.length;
  for (const row of h.buckets as unknown[]) {
    if (!Array.isArray(row) || row.length !== width) fail(`a bucket row must have ${width} numbers`);
    for (const x of row as unknown[]) {
      if (typeof x !== 'number' || !Number.isFinite(x) || x < 0) fail('bucket values must be finite numbers >= 0');
    }
    const r = row as number[];
    for (let k = 0; k < keys.length; k++) {
      if (r[2 + 2 * k]! > r[1 + 2 * k]!) fail('a bucket has more bad than valid requests');
    }
  }
  return h as SloHistory;
}
