import { ErrorCodes, NinesError } from '../core/errors.js';

interface Waiter<T> {
  resolve(value: T): void;
  reject(err: unknown): void;
  timer: NodeJS.Timeout;
}

/**
 * Clients waiting for something keyed by id (a proposal's sequence number), bounded by
 * `max` (past it: 503 UNAVAILABLE, nothing proposed) and each by `timeoutMs` (then 504
 * TIMEOUT: the outcome is unknown, the write may still be applied later).
 */
export class Waiters<K, T> {
  readonly #waiting = new Map<K, Waiter<T>>();
  readonly #max: number;
  readonly #limitName: string;
  readonly #timeoutMs: number;
  readonly #what: string;

  constructor(options: { max: number; limitName: string; timeoutMs: number; what: string }) {
    this.#max = options.max;
    this.#limitName = options.limitName;
    this.#timeoutMs = options.timeoutMs;
    this.#what = options.what;
  }

  get size(): number {
    return this.#waiting.size;
  }

  /** Throws UNAVAILABLE when full: check before doing anything the client waits for. */
  checkRoom(): void {
    if (this.#waiting.size >= this.#max) {
      throw new NinesError(ErrorCodes.UNAVAILABLE, `too many ${this.#what} waiting (${this.#limitName} ${this.#max}); retry later`);
    }
  }

  /** Wait for `key`; `onTimeout` runs when the timeout fires (e.g. to count a failure). */
  wait(key: K, onTimeout?: () => void): Promise<T> {
    this.checkRoom();
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiting.delete(key);
        onTimeout?.();
        reject(
          new NinesError(
            ErrorCodes.TIMEOUT,
            `${this.#what} not completed within ${this.#timeoutMs} ms (leader change or overload); its outcome is unknown`,
          ),
        );
      }, this.#timeoutMs);
      this.#waiting.set(key, { resolve, reject, timer });
    });
  }

  has(key: K): boolean {
    return this.#waiting.has(key);
  }

  resolve(key: K, value: T): boolean {
    const w = this.#waiting.get(key);
    if (w === undefined) return false;
    this.#waiting.delete(key);
    clearTimeout(w.timer);
    w.resolve(value);
    return true;
  }

  reject(key: K, err: unknown): boolean {
    const w = this.#waiting.get(key);
    if (w === undefined) return false;
    this.#waiting.delete(key);
    clearTimeout(w.timer);
    w.reject(err);
    return true;
  }

  rejectAll(err: unknown): void {
    for (const key of [...this.#waiting.keys()]) this.reject(key, err);
  }
}
