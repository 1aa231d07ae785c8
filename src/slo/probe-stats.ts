import { assert, LimitExceededError } from '../core/errors.js';
import { ProbeLimits } from './probe-limits.js';

export type ProbeOp = 'write' | 'read';

/**
 * One probe attempt: a logical operation, possibly tried on several endpoints (failover)
 * within one per-request timeout. Times are from one monotonic clock, in ms.
 */
export interface ProbeAttempt {
  readonly op: ProbeOp;
  readonly startMs: number;
  readonly endMs: number;
  readonly ok: boolean;
  /** The error code of a failed attempt (e.g. NINES_ERR_NO_LEADER, TIMEOUT, STALE_READ). */
  readonly error?: string;
  /** The endpoint that answered last (the one that succeeded, for a good attempt). */
  readonly endpoint?: string;
}

export interface OpCounts {
  readonly attempts: number;
  readonly successes: number;
}

/** The end-of-run figures of a probe. */
export interface ProbeSummary {
  readonly attempts: number;
  readonly successes: number;
  readonly failures: number;
  /** successes ÷ attempts; null with no attempts. */
  readonly availability: number | null;
  /** Latency of the successful attempts, nearest-rank percentiles; null with none. */
  readonly latencyP50Ms: number | null;
  readonly latencyP99Ms: number | null;
  readonly latencyMaxMs: number | null;
  /**
   * Outages: maximal runs of consecutive failed attempts. One lasts from the start of its
   * first failed attempt to the end of the next successful attempt (the moment the prober
   * saw the service back), or to the end of its last failed attempt if none followed.
   */
  readonly outages: number;
  readonly longestOutageMs: number;
  /** Reads that answered but returned an older value than an acknowledged write. */
  readonly staleReads: number;
  /** Times the answering endpoint changed between successful attempts. */
  readonly failovers: number;
  readonly byOp: Readonly<Record<ProbeOp, OpCounts>>;
  /** Failed attempts by error code. */
  readonly errors: Readonly<Record<string, number>>;
}

/** Nearest-rank percentile (p in (0, 1]) of ascending `sorted`: the ⌈p·n⌉-th value. */
export function nearestRank(sorted: readonly number[], p: number): number | null {
  assert(p > 0 && p <= 1, 'percentile must be in (0, 1]');
  if (sorted.length === 0) return null;
  return sorted[Math.max(0, Math.ceil(p * sorted.length) - 1)]!;
}

/**
 * The running tally of a probe. Pure: attempts are added in the order they were made.
 * Bounded: at most `ProbeLimits.attemptsMax` attempts (latencies of successes are kept).
 */
export class ProbeStats {
  #attempts = 0;
  #successes = 0;
  readonly #latenciesMs: number[] = [];
  readonly #byOp: Record<ProbeOp, { attempts: number; successes: number }> = {
    write: { attempts: 0, successes: 0 },
    read: { attempts: 0, successes: 0 },
  };
  readonly #errors = new Map<string, number>();
  #staleReads = 0;
  #failovers = 0;
  #lastGoodEndpoint: string | undefined;
  #outages = 0;
  #longestOutageMs = 0;
  /** Start of the current run of failures, if the last attempt failed. */
  #outageStartMs: number | undefined;
  #lastFailEndMs = 0;

  get attempts(): number {
    return this.#attempts;
  }

  get successes(): number {
    return this.#successes;
  }

  add(a: ProbeAttempt): void {
    if (this.#attempts >= ProbeLimits.attemptsMax) {
      throw new LimitExceededError('ProbeLimits.attemptsMax', this.#attempts + 1, ProbeLimits.attemptsMax);
    }
    assert(Number.isFinite(a.startMs) && a.endMs >= a.startMs, 'an attempt ends after it starts');
    this.#attempts++;
    const op = this.#byOp[a.op];
    op.attempts++;
    if (a.ok) {
      this.#successes++;
      op.successes++;
      this.#latenciesMs.push(a.endMs - a.startMs);
      if (a.endpoint !== undefined) {
        if (this.#lastGoodEndpoint !== undefined && a.endpoint !== this.#lastGoodEndpoint) this.#failovers++;
        this.#lastGoodEndpoint = a.endpoint;
      }
      if (this.#outageStartMs !== undefined) {
        this.#closeOutage(a.endMs);
      }
      return;
    }
    const code = a.error ?? 'UNKNOWN';
    this.#errors.set(code, (this.#errors.get(code) ?? 0) + 1);
    if (code === 'STALE_READ') this.#staleReads++;
    if (this.#outageStartMs === undefined) {
      this.#outageStartMs = a.startMs;
      this.#outages++;
    }
    this.#lastFailEndMs = a.endMs;
  }

  #closeOutage(endMs: number): void {
    const start = this.#outageStartMs!;
    this.#longestOutageMs = Math.max(this.#longestOutageMs, endMs - start);
    this.#outageStartMs = undefined;
  }

  summary(): ProbeSummary {
    const sorted = [...this.#latenciesMs].sort((x, y) => x - y);
    const open = this.#outageStartMs === undefined ? 0 : this.#lastFailEndMs - this.#outageStartMs;
    return {
      attempts: this.#attempts,
      successes: this.#successes,
      failures: this.#attempts - this.#successes,
      availability: this.#attempts === 0 ? null : this.#successes / this.#attempts,
      latencyP50Ms: nearestRank(sorted, 0.5),
      latencyP99Ms: nearestRank(sorted, 0.99),
      latencyMaxMs: sorted.length === 0 ? null : sorted[sorted.length - 1]!,
      outages: this.#outages,
      longestOutageMs: Math.max(this.#longestOutageMs, open),
      staleReads: this.#staleReads,
      failovers: this.#failovers,
      byOp: { write: { ...this.#byOp.write }, read: { ...this.#byOp.read } },
      errors: Object.fromEntries([...this.#errors].sort((a, b) => b[1] - a[1])),
    };
  }
}
