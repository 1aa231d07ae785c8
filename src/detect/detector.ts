/**
 * The failure-detector contract. Pure: time is always passed in, never read.
 *
 * - `heartbeat(arrivalMs)`: a message from the monitored process arrived at `arrivalMs`.
 *   Arrival times never go backwards (a smaller one is an InvalidArgumentError).
 * - `suspicion(nowMs)`: how strongly the process is suspected at `nowMs` (>= the last
 *   arrival). Boolean detectors answer 0 or Infinity; accrual detectors a level (φ).
 *   0 before the first heartbeat: nobody is suspected before they were ever heard.
 *   While no heartbeat arrives, suspicion never decreases as `nowMs` grows.
 * - `suspected(nowMs)`: `suspicion(nowMs)` is at or above the detector's threshold.
 * - `reset()`: forget everything (as new).
 */
export interface FailureDetector {
  readonly name: string;
  heartbeat(arrivalMs: number): void;
  suspicion(nowMs: number): number;
  suspected(nowMs: number): boolean;
  reset(): void;
}

/** Builds a fresh detector (one per monitored peer). */
export type DetectorFactory = () => FailureDetector;
