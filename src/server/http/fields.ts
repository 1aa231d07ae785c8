import { InvalidArgumentError, LimitExceededError } from '../../core/errors.js';

const encoder = new TextEncoder();

/**
 * Reads the fields of one JSON object, naming each bad field by its path in the error
 * (`success[0].put.key must be a string`). `done()` refuses fields nobody read, so a typo
 * (`"vaule"`) is an error rather than silently ignored.
 */
export class JsonFields {
  readonly #obj: Record<string, unknown>;
  readonly #path: string;
  readonly #read = new Set<string>();

  constructor(value: unknown, path: string) {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      throw new InvalidArgumentError(`${path} must be a JSON object`);
    }
    this.#obj = value as Record<string, unknown>;
    this.#path = path;
  }

  #name(field: string): string {
    return this.#path === '' ? field : `${this.#path}.${field}`;
  }

  #get(field: string): unknown {
    this.#read.add(field);
    return Object.hasOwn(this.#obj, field) ? this.#obj[field] : undefined;
  }

  has(field: string): boolean {
    return Object.hasOwn(this.#obj, field) && this.#obj[field] !== undefined && this.#obj[field] !== null;
  }

  /** A string field as UTF-8 bytes, at most `bytesMax` bytes. */
  bytes(field: string, opts: { required: boolean; bytesMax: number; limitName: string; nonEmpty?: boolean }): Uint8Array | undefined {
    const v = this.#get(field);
    if (v === undefined || v === null) {
      if (opts.required) throw new InvalidArgumentError(`${this.#name(field)} is required`);
      return undefined;
    }
    if (typeof v !== 'string') throw new InvalidArgumentError(`${this.#name(field)} must be a string`);
    const b = encoder.encode(v);
    if (b.length > opts.bytesMax) throw new LimitExceededError(`${this.#name(field)} bytes (${opts.limitName})`, b.length, opts.bytesMax);
    if (opts.nonEmpty === true && b.length === 0) throw new InvalidArgumentError(`${this.#name(field)} must not be empty`);
    return b;
  }

  /** An integer field (a JSON number or a decimal string, for 64-bit ids). */
  int(field: string, opts: { min: number; max?: number }): number | undefined {
    const v = this.#get(field);
    if (v === undefined || v === null) return undefined;
    return parseIntValue(v, this.#name(field), opts.min, opts.max ?? Number.MAX_SAFE_INTEGER);
  }

  bool(field: string): boolean | undefined {
    const v = this.#get(field);
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'boolean') throw new InvalidArgumentError(`${this.#name(field)} must be true or false`);
    return v;
  }

  /** One of `choices`. */
  choice<T extends string>(field: string, choices: readonly T[]): T | undefined {
    const v = this.#get(field);
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'string' || !(choices as readonly string[]).includes(v)) {
      throw new InvalidArgumentError(`${this.#name(field)} must be one of ${choices.map((c) => `"${c}"`).join(', ')}`);
    }
    return v as T;
  }

  /** An array field, at most `itemsMax` items. */
  array(field: string, itemsMax: number, limitName: string): unknown[] | undefined {
    const v = this.#get(field);
    if (v === undefined || v === null) return undefined;
    if (!Array.isArray(v)) throw new InvalidArgumentError(`${this.#name(field)} must be an array`);
    if (v.length > itemsMax) throw new LimitExceededError(`${this.#name(field)} items (${limitName})`, v.length, itemsMax);
    return v;
  }

  /** A nested object field's reader. */
  object(field: string): JsonFields | undefined {
    const v = this.#get(field);
    if (v === undefined || v === null) return undefined;
    return new JsonFields(v, this.#name(field));
  }

  path(field: string): string {
    return this.#name(field);
  }

  /** Refuse any field that was not read. */
  done(): void {
    for (const key of Object.keys(this.#obj)) {
      if (!this.#read.has(key)) throw new InvalidArgumentError(`${this.#name(key)} is not a known field`);
    }
  }
}

/** An integer from a JSON number or decimal string, in [min, max], naming `what` on error. */
export function parseIntValue(v: unknown, what: string, min: number, max: number): number {
  let n = Number.NaN;
  if (typeof v === 'number') n = v;
  else if (typeof v === 'string' && /^-?\d+$/.test(v.trim())) n = Number(v.trim());
  if (!Number.isSafeInteger(n)) throw new InvalidArgumentError(`${what} must be an integer, got ${JSON.stringify(v)}`);
  if (n < min || n > max) throw new InvalidArgumentError(`${what} must be from ${min} to ${max}, got ${n}`);
  return n;
}
