/**
 * One error hierarchy with stable codes users can match on (`err.code`).
 * The edges (HTTP, gRPC, CLI) map codes to statuses; the message is for people.
 */
export const ErrorCodes = {
  INVALID_ARGUMENT: 'NINES_ERR_INVALID_ARGUMENT',
  NOT_FOUND: 'NINES_ERR_NOT_FOUND',
  NOT_LEADER: 'NINES_ERR_NOT_LEADER',
  NO_LEADER: 'NINES_ERR_NO_LEADER',
  TIMEOUT: 'NINES_ERR_TIMEOUT',
  COMPACTED: 'NINES_ERR_COMPACTED',
  FUTURE_REVISION: 'NINES_ERR_FUTURE_REVISION',
  LEASE_NOT_FOUND: 'NINES_ERR_LEASE_NOT_FOUND',
  LIMIT_EXCEEDED: 'NINES_ERR_LIMIT_EXCEEDED',
  CORRUPT: 'NINES_ERR_CORRUPT',
  UNAVAILABLE: 'NINES_ERR_UNAVAILABLE',
  PERMISSION_DENIED: 'NINES_ERR_PERMISSION_DENIED',
  CLUSTER_MISMATCH: 'NINES_ERR_CLUSTER_MISMATCH',
  STOPPED: 'NINES_ERR_STOPPED',
  INTERNAL: 'NINES_ERR_INTERNAL',
} as const;
export type ErrorCode = (typeof ErrorCodes)[keyof typeof ErrorCodes];

export class NinesError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'NinesError';
    this.code = code;
  }
}

export class InvalidArgumentError extends NinesError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(ErrorCodes.INVALID_ARGUMENT, message, options);
    this.name = 'InvalidArgumentError';
  }
}

export class LimitExceededError extends NinesError {
  readonly limitName: string;
  constructor(limitName: string, actual: number, max: number) {
    super(ErrorCodes.LIMIT_EXCEEDED, `${limitName} exceeded: ${actual} > ${max}`);
    this.name = 'LimitExceededError';
    this.limitName = limitName;
  }
}

export class CorruptError extends NinesError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(ErrorCodes.CORRUPT, message, options);
    this.name = 'CorruptError';
  }
}

/** A broken invariant: a bug in nines, never a user input problem. */
export class AssertionFailure extends Error {
  constructor(message: string) {
    super(`invariant violated: ${message}`);
    this.name = 'AssertionFailure';
  }
}

export function assert(condition: unknown, message: string): asserts condition {
  if (!condition) throw new AssertionFailure(message);
}

export function isNinesError(err: unknown): err is NinesError {
  return err instanceof NinesError;
}
