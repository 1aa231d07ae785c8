import { assert } from '../core/errors.js';
import type { DeadlineDetector } from './deadline.js';
import { lowerBound, type Trace } from './trace.js';

/**
 * Chen, Toueg & Aguilera's quality-of-service metrics of a detector on a trace, computed
 * exactly at state transitions: after each heartbeat the detector's deadline (the time it
 * would start suspecting if nothing else arrived) is compared with the next arrival.
 *
 * - detection time T_D: crash → start of the suspicion that lasts (0 if already suspected);
 * - a mistake: a transition to suspicion while the peer is up; its duration T_M lasts until
 *   the next heartbeat (or the crash); recurrence T_MR: time between consecutive mistakes;
 * - λ_M: mistakes per hour of up time; P_A: fraction of up time the peer was trusted.
 * Each epoch starts a fresh detector (`reset()`): a restarted process is a new incarnation.
 */
export interface QosResult {
  readonly crashes: number;
  /** One per crash; Infinity if the crash would never be detected. */
  readonly detectionTimesMs: readonly number[];
  /** Mean T_D; NaN without crashes. */
  readonly meanDetectionTimeMs: number;
  readonly maxDetectionTimeMs: number;
  /**
   * Per crash, the deadline after the last heartbeat minus the crash time, unclipped (negative:
   * suspected before the crash). T_D = max(0, this). Lets a bench solve for the margin that
   * gives a wanted T_D when the deadline is "state + margin".
   */
  readonly deadlineMinusCrashMs: readonly number[];
  readonly mistakes: number;
  readonly upTimeMs: number;
  /** λ_M, mistakes per hour of up time. */
  readonly mistakeRatePerHour: number;
  /** Mean T_M; NaN without mistakes. */
  readonly meanMistakeDurationMs: number;
  /** Mean T_MR over consecutive mistakes in the same epoch; NaN with fewer than two. */
  readonly meanMistakeRecurrenceMs: number;
  /** P_A = 1 − (time wrongly suspected) / (up time). */
  readonly queryAccuracy: number;
  /** Detection times at the crash probes (empty without probes). */
  readonly probeDetectionTimesMs: readonly number[];
  /** Per probe, deadline minus probe time, unclipped (like deadlineMinusCrashMs). */
  readonly probeDeadlineMinusCrashMs: readonly number[];
  /** Start times of the mistakes (only with `recordMistakes`). */
  readonly mistakeStartsMs?: readonly number[];
}

export interface ReplayOptions {
  /** Keep every mistake's start time in the result. Default false. */
  recordMistakes?: boolean;
  /**
   * Extra "virtual crash" times (sorted): for a probe at p inside an up period, after the first
   * heartbeat, the detection time had the sender crashed at p is max(0, d − p), d being the
   * deadline after the last arrival before p (heartbeats still in flight at p are ignored).
   * They add detection-time samples without cutting the trace; see `probeDetectionTimesMs`.
   */
  crashProbesMs?: readonly number[];
}

const MS_PER_HOUR = 3_600_000;

export function replayTrace(trace: Trace, detector: DeadlineDetector, options: ReplayOptions = {}): QosResult {
  const arrivals = trace.arrivalsMs;
  const detectionTimesMs: number[] = [];
  const deadlineMinusCrashMs: number[] = [];
  const probes = options.crashProbesMs ?? [];
  const probeDetectionTimesMs: number[] = [];
  const probeDeadlineMinusCrashMs: number[] = [];
  let probe = 0;
  const takeProbes = (untilMs: number, deadlineMs: number, upEndMs: number): void => {
    while (probe < probes.length && probes[probe]! < untilMs) {
      const p = probes[probe++]!;
      if (p >= upEndMs || !Number.isFinite(deadlineMs)) continue;
      probeDeadlineMinusCrashMs.push(deadlineMs - p);
      probeDetectionTimesMs.push(Math.max(0, deadlineMs - p));
    }
  };
  const mistakeStartsMs: number[] | undefined = options.recordMistakes ? [] : undefined;
  let mistakes = 0;
  let mistakeTimeMs = 0;
  let recurrenceSumMs = 0;
  let recurrences = 0;
  let upTimeMs = 0;

  for (const epoch of trace.epochs) {
    detector.reset();
    const upEndMs = epoch.crashMs ?? epoch.endMs;
    upTimeMs += upEndMs - epoch.startMs;
    let previousMistakeMs = Number.NaN;
    const recordMistake = (startMs: number, endMs: number): void => {
      mistakes++;
      mistakeTimeMs += endMs - startMs;
      mistakeStartsMs?.push(startMs);
      if (!Number.isNaN(previousMistakeMs)) {
        recurrenceSumMs += startMs - previousMistakeMs;
        recurrences++;
      }
      previousMistakeMs = startMs;
    };
    let deadlineMs = Number.POSITIVE_INFINITY;
    while (probe < probes.length && probes[probe]! < epoch.startMs) probe++;
    const end = lowerBound(arrivals, epoch.endMs);
    for (let i = lowerBound(arrivals, epoch.startMs); i < end; i++) {
      const arrivalMs = arrivals[i]!;
      takeProbes(arrivalMs, deadlineMs, upEndMs);
      // Suspected on [deadline, arrival): a mistake if it began while the peer was up.
      if (deadlineMs < arrivalMs && deadlineMs < upEndMs) recordMistake(deadlineMs, Math.min(arrivalMs, upEndMs));
      detector.heartbeat(arrivalMs);
      deadlineMs = detector.suspectAtMs();
      assert(deadlineMs >= arrivalMs, 'a deadline is never before the last arrival');
    }
    takeProbes(epoch.endMs, deadlineMs, upEndMs);
    if (deadlineMs < upEndMs) recordMistake(deadlineMs, upEndMs);
    if (epoch.crashMs !== null) {
      deadlineMinusCrashMs.push(deadlineMs - epoch.crashMs);
      detectionTimesMs.push(Math.max(0, deadlineMs - epoch.crashMs));
    }
  }

  const crashes = detectionTimesMs.length;
  const sumTd = detectionTimesMs.reduce((a, b) => a + b, 0);
  const result: QosResult = {
    crashes,
    detectionTimesMs,
    deadlineMinusCrashMs,
    meanDetectionTimeMs: crashes === 0 ? Number.NaN : sumTd / crashes,
    maxDetectionTimeMs: crashes === 0 ? Number.NaN : Math.max(...detectionTimesMs),
    mistakes,
    upTimeMs,
    mistakeRatePerHour: upTimeMs > 0 ? (mistakes / upTimeMs) * MS_PER_HOUR : 0,
    meanMistakeDurationMs: mistakes === 0 ? Number.NaN : mistakeTimeMs / mistakes,
    meanMistakeRecurrenceMs: recurrences === 0 ? Number.NaN : recurrenceSumMs / recurrences,
    queryAccuracy: upTimeMs > 0 ? 1 - mistakeTimeMs / upTimeMs : 1,
    probeDetectionTimesMs,
    probeDeadlineMinusCrashMs,
  };
  return mistakeStartsMs === undefined ? result : { ...result, mistakeStartsMs };
}
