import { InvalidArgumentError } from './errors.js';

/**
 * Time, injected. Pure layers take `nowMs` as an argument; the server takes a `Clock`.
 * `nowMs()` is monotonic milliseconds (not wall time).
 */
export interface Clock {
  nowMs(): number;
}

/** The real monotonic clock. */
export class SystemClock implements Clock {
  nowMs(): number {
    return performance.now();
  }
}

/** A clock that moves only when told to: for tests and the simulator. */
export class ManualClock implements Clock {
  #nowMs: number;
  constructor(startMs = 0) {
    this.#nowMs = startMs;
  }
  nowMs(): number {
    return this.#nowMs;
  }
  advance(deltaMs: number): void {
    if (!Number.isFinite(deltaMs) || deltaMs < 0) {
      throw new InvalidArgumentError(`clock advance must be finite and >= 0, got ${deltaMs}`);
    }
    this.#nowMs += deltaMs;
  }
  set(nowMs: number): void {
    if (!Number.isFinite(nowMs) || nowMs < this.#nowMs) {
      throw new InvalidArgumentError(`clock cannot go backwards: ${nowMs} < ${this.#nowMs}`);
    }
    this.#nowMs = nowMs;
  }
}
