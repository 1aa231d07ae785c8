import { CorruptError, InvalidArgumentError } from '../core/errors.js';
import type { RequestOutcome } from './outcome.js';
import { type SloHistory, SliRecorder } from './recorder.js';
import type { SloSnapshot } from './snapshot.js';
import type { SloSpec } from './spec.js';
import { type SloHistoryInfo, type SloStatusDoc, sloStatusDoc } from './status-doc.js';

/** Wall-clock time (epoch ms): SLO history must mean the same after a restart. */
export interface WallClock {
  nowMs(): number;
}

/**
 * Where a node keeps its SLO history (the server implements it over a file in the data
 * dir). `load` returns what was last saved, or undefined when nothing was; `save` must
 * replace it atomically (a crash leaves the old or the new history, never half).
 */
export interface SloHistoryStore {
  load(): unknown;
  save(history: SloHistory): Promise<void>;
}

/**
 * Monitoring requests that are not counted in the SLIs: `GET /v1/status` and
 * `GET /v1/slo` are answered from local state and polled by dashboards and `nines slo
 * status`; counting them would pad the SLI with trivially good events.
 */
export const SLI_EXCLUDED_METHODS: readonly string[] = ['status', 'slo'];

/** History saved at most this often while requests keep coming (and always at shutdown). */
export const DEFAULT_SLO_PERSIST_INTERVAL_MS = 30_000;
/** A snapshot is reused for this long (one scrape reads many gauges). */
const SNAPSHOT_REUSE_MS = 500;

export interface NodeSloOptions {
  readonly member: string;
  readonly spec: SloSpec;
  readonly clock: WallClock;
  readonly store?: SloHistoryStore;
  /** Default `DEFAULT_SLO_PERSIST_INTERVAL_MS`. */
  readonly persistIntervalMs?: number;
  /** Told when saved history could not be used (it is then started afresh). */
  readonly onWarning?: (message: string) => void;
}

/**
 * The SLO state of one running node: an `SliRecorder` fed with every answered client
 * request (timestamped by the injected wall clock), its history loaded from and saved to
 * a store, and the `GET /v1/slo` document. No I/O of its own: the server owns the timer
 * that calls `persistIfDue()` and calls `flush()` at shutdown.
 */
export class NodeSlo {
  readonly member: string;
  readonly spec: SloSpec;
  readonly #clock: WallClock;
  readonly #store: SloHistoryStore | undefined;
  readonly #persistIntervalMs: number;
  #recorder: SliRecorder;
  #dirty = false;
  #lastPersistAtMs: number | null = null;
  #saving: Promise<void> | undefined;
  #cached: SloSnapshot | undefined;

  private constructor(o: NodeSloOptions, recorder: SliRecorder) {
    this.member = o.member;
    this.spec = o.spec;
    this.#clock = o.clock;
    this.#store = o.store;
    this.#persistIntervalMs = o.persistIntervalMs ?? DEFAULT_SLO_PERSIST_INTERVAL_MS;
    if (!(this.#persistIntervalMs > 0)) {
      throw new InvalidArgumentError(`SLO persist interval must be > 0 ms, got ${this.#persistIntervalMs}`);
    }
    this.#recorder = recorder;
  }

  /** Open with the history the store holds (for `spec`, possibly saved under another spec). */
  static open(o: NodeSloOptions): NodeSlo {
    let recorder: SliRecorder | undefined;
    const saved = o.store?.load();
    if (saved !== undefined) {
      try {
        recorder = SliRecorder.restore(o.spec, saved);
      } catch (err) {
        if (!(err instanceof CorruptError)) throw err;
        o.onWarning?.(`SLO history unreadable, starting afresh: ${err.message}`);
      }
    }
    return new NodeSlo(o, recorder ?? new SliRecorder(o.spec));
  }

  /** Whether requests of this method count in the SLIs. */
  counts(method: string): boolean {
    return !SLI_EXCLUDED_METHODS.includes(method);
  }

  /** Record one answered request now. Returns false if the method is not counted. */
  record(method: string, outcome: RequestOutcome, latencyMs: number): boolean {
    if (!this.counts(method)) return false;
    this.#recorder.record({ method, outcome, latencyMs: Math.max(0, latencyMs), atMs: this.#clock.nowMs() });
    this.#dirty = true;
    this.#cached = undefined;
    return true;
  }

  /** The snapshot now (reused for `SNAPSHOT_REUSE_MS` if nothing was recorded since). */
  snapshot(): SloSnapshot {
    const now = this.#clock.nowMs();
    const c = this.#cached;
    if (c !== undefined && now >= c.atMs && now - c.atMs < SNAPSHOT_REUSE_MS) return c;
    const s = this.#recorder.snapshot(now);
    this.#cached = s;
    return s;
  }

  historyInfo(): SloHistoryInfo {
    const buckets = this.#recorder.serialize().buckets;
    return {
      bucketWidthMs: this.#recorder.bucketWidthMs,
      oldestMs: buckets.length === 0 ? null : buckets[0]![0]!,
      persistedAtMs: this.#lastPersistAtMs,
      droppedTooOld: this.#recorder.droppedTooOld,
    };
  }

  /** The `GET /v1/slo` document. */
  statusDoc(): SloStatusDoc {
    return sloStatusDoc(this.member, this.spec, this.snapshot(), this.historyInfo());
  }

  /** Save the history if it changed and the last save is older than the persist interval. */
  persistIfDue(): Promise<void> {
    const now = this.#clock.nowMs();
    if (!this.#dirty || (this.#lastPersistAtMs !== null && now - this.#lastPersistAtMs < this.#persistIntervalMs)) {
      return Promise.resolve();
    }
    return this.#save();
  }

  /** Save the history now if it changed (waits for a save in flight first). */
  async flush(): Promise<void> {
    if (this.#saving !== undefined) await this.#saving;
    if (this.#dirty) await this.#save();
  }

  #save(): Promise<void> {
    const store = this.#store;
    if (store === undefined) {
      this.#dirty = false;
      return Promise.resolve();
    }
    if (this.#saving !== undefined) return this.#saving;
    const history = this.#recorder.serialize();
    const at = this.#clock.nowMs();
    this.#dirty = false;
    this.#saving = store
      .save(history)
      .then(
        () => {
          this.#lastPersistAtMs = at;
        },
        (err: unknown) => {
          this.#dirty = true;
          throw err;
        },
      )
      .finally(() => {
        this.#saving = undefined;
      });
    return this.#saving;
  }
}
