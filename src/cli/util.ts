import { InvalidArgumentError, isNinesError } from '../core/errors.js';

/** Print a value as one JSON document on stdout. */
export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** Parse an integer option, naming the flag in the error. */
export function intOption(flag: string, min: number, max = Number.MAX_SAFE_INTEGER) {
  return (text: string): number => {
    const n = Number(text);
    if (!Number.isSafeInteger(n) || n < min || n > max) {
      throw new InvalidArgumentError(`${flag} must be an integer from ${min} to ${max}, got "${text}"`);
    }
    return n;
  };
}

/** Parse a finite number option, naming the flag in the error. */
export function numberOption(flag: string, min = Number.NEGATIVE_INFINITY, max = Number.POSITIVE_INFINITY) {
  return (text: string): number => {
    const n = Number(text);
    if (text.trim() === '' || !Number.isFinite(n) || n < min || n > max) {
      throw new InvalidArgumentError(`${flag} must be a number from ${min} to ${max}, got "${text}"`);
    }
    return n;
  };
}

/**
 * Run a command's action: a NinesError becomes "nines: <message>" on stderr and exit code 2
 * (or the one given), never a stack trace. Anything else is a bug and shows its stack.
 */
export function action<A extends unknown[]>(fn: (...args: A) => Promise<void> | void) {
  return async (...args: A): Promise<void> => {
    try {
      await fn(...args);
    } catch (err) {
      if (isNinesError(err)) {
        process.stderr.write(`nines: ${err.message} (${err.code})\n`);
        process.exitCode = 2;
        return;
      }
      throw err;
    }
  };
}
