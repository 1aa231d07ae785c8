import { type ErrorCode, ErrorCodes, isNinesError, NinesError } from '../../core/errors.js';

/**
 * How each stable NinesError code is answered over HTTP. A `Record`, so a new code cannot
 * be forgotten. Bodies are always `{"code": "...", "message": "..."}`.
 */
const STATUS_BY_CODE: Record<ErrorCode, number> = {
  [ErrorCodes.INVALID_ARGUMENT]: 400,
  [ErrorCodes.NOT_FOUND]: 404,
  [ErrorCodes.NOT_LEADER]: 503,
  [ErrorCodes.NO_LEADER]: 503,
  [ErrorCodes.TIMEOUT]: 504,
  [ErrorCodes.COMPACTED]: 410,
  [ErrorCodes.FUTURE_REVISION]: 400,
  [ErrorCodes.LEASE_NOT_FOUND]: 404,
  [ErrorCodes.LIMIT_EXCEEDED]: 413,
  [ErrorCodes.CORRUPT]: 500,
  [ErrorCodes.UNAVAILABLE]: 503,
  [ErrorCodes.PERMISSION_DENIED]: 403,
  [ErrorCodes.CLUSTER_MISMATCH]: 409,
  [ErrorCodes.STOPPED]: 503,
  [ErrorCodes.INTERNAL]: 500,
};

export function httpStatusOf(code: ErrorCode): number {
  return STATUS_BY_CODE[code];
}

/** An HTTP-only error: a route or method that does not exist (status set explicitly). */
export class HttpError extends NinesError {
  readonly status: number;
  constructor(status: number, code: ErrorCode, message: string) {
    super(code, message);
    this.name = 'HttpError';
    this.status = status;
  }
}

export interface ErrorResponse {
  readonly status: number;
  readonly body: { code: ErrorCode; message: string };
}

/** Any thrown value as an HTTP error response; unknown errors are internal (500). */
export function errorResponse(err: unknown): ErrorResponse {
  if (err instanceof HttpError) return { status: err.status, body: { code: err.code, message: err.message } };
  if (isNinesError(err)) return { status: httpStatusOf(err.code), body: { code: err.code, message: err.message } };
  const message = err instanceof Error ? err.message : String(err);
  return { status: 500, body: { code: ErrorCodes.INTERNAL, message: `internal error: ${message}` } };
}
