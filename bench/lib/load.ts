import { performance } from 'node:perf_hooks';
import { asLoadError, type PutTarget } from './http-put.js';
import { BenchLimits } from './limits.js';
import { benchKey } from './put-request.js';
import { type LatencySummary, summarizeLatencies, throughputPerSec } from './stats.js';

/**
 * A closed-loop load phase: `inflight` loops, each issuing one put after the other, until
 * the phase's time is up or it has issued `requestsMax` requests (whichever comes first).
 * Keys cycle through a fixed key space; every put writes the same value.
 */
export interface PhaseOptions {
  readonly inflight: number;
  readonly durationMs: number;
  readonly requestsMax: number;
  readonly keys: number;
  /** Offset into the key space, so consecutive phases do not start on the same key. */
  readonly keyOffset: number;
  readonly value: string;
  /** Stops the phase early (Ctrl-C). */
  readonly signal?: AbortSignal;
}

export interface PhaseResult {
  readonly inflight: number;
  readonly durationMs: number;
  /** From the first request to the last answer (≥ durationMs when time bounded the phase). */
  readonly elapsedMs: number;
  readonly ok: number;
  readonly errors: number;
  /** Error counts by kind ("http 503 …", "ECONNRESET", "timeout"). */
  readonly errorKinds: Readonly<Record<string, number>>;
  /** First error message of each kind (for the report). */
  readonly errorSamples: Readonly<Record<string, string>>;
  /** Latency of successful puts. */
  readonly latency: LatencySummary;
  /** Successful puts per second over elapsedMs. */
  readonly throughputPerSec: number;
  /** Highest revision acknowledged (a sanity check that puts really were applied). */
  readonly revisionMax: number;
}

export async function runPhase(target: PutTarget, options: PhaseOptions): Promise<PhaseResult> {
  if (!(options.inflight >= 1 && options.inflight <= BenchLimits.inflightMax)) {
    throw new RangeError(`in-flight count must be 1..${BenchLimits.inflightMax}, got ${options.inflight}`);
  }
  const requestsMax = Math.min(options.requestsMax, BenchLimits.requestsPerPhaseMax);
  const latenciesMs: number[] = [];
  const errorKinds: Record<string, number> = {};
  const errorSamples: Record<string, string> = {};
  let issued = 0;
  let errors = 0;
  let revisionMax = 0;
  const started = performance.now();
  const deadline = started + options.durationMs;

  const loop = async (): Promise<void> => {
    while (issued < requestsMax && performance.now() < deadline && options.signal?.aborted !== true) {
      const i = issued++;
      const t0 = performance.now();
      try {
        const revision = await target.put(benchKey(options.keyOffset + i, options.keys), options.value);
        latenciesMs.push(performance.now() - t0);
        if (revision > revisionMax) revisionMax = revision;
      } catch (err) {
        const e = asLoadError(err);
        errors++;
        errorKinds[e.kind] = (errorKinds[e.kind] ?? 0) + 1;
        errorSamples[e.kind] ??= e.message;
      }
    }
  };
  await Promise.all(Array.from({ length: options.inflight }, loop));
  const elapsedMs = performance.now() - started;
  return {
    inflight: options.inflight,
    durationMs: options.durationMs,
    elapsedMs,
    ok: latenciesMs.length,
    errors,
    errorKinds,
    errorSamples,
    latency: summarizeLatencies(latenciesMs),
    throughputPerSec: throughputPerSec(latenciesMs.length, elapsedMs),
    revisionMax,
  };
}
