import { InvalidArgumentError } from '../core/errors.js';
import { Limits } from '../core/limits.js';
import { LimitExceededError } from '../core/errors.js';
import type { StallInterval } from './stall.js';

/**
 * One incarnation of the monitored process: it is up from `startMs`, crashes at `crashMs`
 * (null: it never crashed within the trace) and the epoch ends at `endMs`, when a restarted
 * incarnation (a new epoch, a fresh detector) may begin. Heartbeats sent before the crash may
 * still arrive after it (they were in flight).
 */
export interface TraceEpoch {
  readonly startMs: number;
  readonly crashMs: number | null;
  readonly endMs: number;
}

/** A heartbeat trace as seen by the monitor. */
export interface Trace {
  readonly name: string;
  /** The sender's heartbeat interval (informational; detectors are not told it). */
  readonly intervalMs: number;
  /** Arrival times, non-decreasing, each inside one epoch. */
  readonly arrivalsMs: Float64Array;
  /** Disjoint, in time order. */
  readonly epochs: readonly TraceEpoch[];
  /** The monitor's own stalls (sorted, disjoint); empty if none. */
  readonly stalls: readonly StallInterval[];
}

/**
 * Checks a trace's invariants and the event limit; the error names what is wrong
 * (`where` is prefixed, e.g. a file name).
 */
export function validateTrace(trace: Trace, where = trace.name): Trace {
  const fail = (message: string): never => {
    throw new InvalidArgumentError(`${where}: ${message}`);
  };
  if (trace.arrivalsMs.length > Limits.traceEventsMax) {
    throw new LimitExceededError('traceEventsMax', trace.arrivalsMs.length, Limits.traceEventsMax);
  }
  if (!(Number.isFinite(trace.intervalMs) && trace.intervalMs > 0)) fail(`intervalMs must be > 0, got ${trace.intervalMs}`);
  if (trace.epochs.length === 0) fail('a trace needs at least one epoch');
  let previousEndMs = 0;
  trace.epochs.forEach((e, i) => {
    const ok = [e.startMs, e.endMs].every((t) => Number.isFinite(t) && t >= 0);
    if (!ok || e.endMs < e.startMs) fail(`epoch ${i}: need 0 <= startMs <= endMs, got [${e.startMs}, ${e.endMs}]`);
    if (e.startMs < previousEndMs) fail(`epoch ${i} starts at ${e.startMs}, before the previous epoch ends (${previousEndMs})`);
    if (e.crashMs !== null && !(e.crashMs >= e.startMs && e.crashMs <= e.endMs)) {
      fail(`epoch ${i}: crashMs ${e.crashMs} is outside [${e.startMs}, ${e.endMs}]`);
    }
    previousEndMs = e.endMs;
  });
  let epochIndex = 0;
  for (let i = 0; i < trace.arrivalsMs.length; i++) {
    const t = trace.arrivalsMs[i]!;
    if (!Number.isFinite(t) || t < 0) fail(`arrival ${i} is not a finite time >= 0: ${t}`);
    if (i > 0 && t < trace.arrivalsMs[i - 1]!) fail(`arrival ${i} (${t} ms) goes backwards from ${trace.arrivalsMs[i - 1]} ms`);
    while (epochIndex < trace.epochs.length && t >= trace.epochs[epochIndex]!.endMs) epochIndex++;
    const e = trace.epochs[epochIndex];
    if (e === undefined || t < e.startMs) fail(`arrival ${i} (${t} ms) is outside every epoch`);
  }
  trace.stalls.forEach((s, i) => {
    if (!(Number.isFinite(s.startMs) && Number.isFinite(s.endMs) && s.startMs >= 0 && s.endMs >= s.startMs)) {
      fail(`stall ${i}: need 0 <= startMs <= endMs, got [${s.startMs}, ${s.endMs}]`);
    }
    if (i > 0 && s.startMs < trace.stalls[i - 1]!.endMs) fail(`stall ${i} overlaps the previous one`);
  });
  return trace;
}

/** Index of the first arrival >= tMs (binary search). */
export function lowerBound(arrivalsMs: Float64Array, tMs: number): number {
  let lo = 0;
  let hi = arrivalsMs.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (arrivalsMs[mid]! < tMs) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
