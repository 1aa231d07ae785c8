import { type ErrorCode, ErrorCodes, isNinesError } from '../core/errors.js';

/**
 * The availability outcome of one answered request, as exported in the
 * `nines_requests_total{outcome}` label:
 * - `good`: answered without a server-side failure;
 * - `bad`: a server-side failure (unavailable, timed out, internal, no leader …);
 * - `client_error`: the client asked for something wrong (invalid argument, not found,
 *   permission denied …). Not a failure: it counts as a valid, good event for availability.
 * Latency is judged separately, per objective, from the request's latency.
 */
export type RequestOutcome = 'good' | 'bad' | 'client_error';

export const REQUEST_OUTCOMES: readonly RequestOutcome[] = ['good', 'bad', 'client_error'];

/** Every NinesError code, classified. A `Record` so a new code cannot be forgotten. */
const OUTCOME_BY_CODE: Record<ErrorCode, RequestOutcome> = {
  [ErrorCodes.INVALID_ARGUMENT]: 'client_error',
  [ErrorCodes.NOT_FOUND]: 'client_error',
  // The node could not serve the request: from the client's side, unavailable.
  [ErrorCodes.NOT_LEADER]: 'bad',
  [ErrorCodes.NO_LEADER]: 'bad',
  [ErrorCodes.TIMEOUT]: 'bad',
  [ErrorCodes.COMPACTED]: 'client_error',
  [ErrorCodes.FUTURE_REVISION]: 'client_error',
  [ErrorCodes.LEASE_NOT_FOUND]: 'client_error',
  // Limits are checked at the edge on what the client sent (e.g. a too-large request).
  [ErrorCodes.LIMIT_EXCEEDED]: 'client_error',
  [ErrorCodes.CORRUPT]: 'bad',
  [ErrorCodes.UNAVAILABLE]: 'bad',
  [ErrorCodes.PERMISSION_DENIED]: 'client_error',
  [ErrorCodes.CLUSTER_MISMATCH]: 'client_error',
  [ErrorCodes.STOPPED]: 'bad',
  [ErrorCodes.INTERNAL]: 'bad',
};

/** The outcome of a request that failed with this NinesError code. */
export function outcomeOfCode(code: ErrorCode): RequestOutcome {
  return OUTCOME_BY_CODE[code];
}

/**
 * The outcome of a request given what it threw: `undefined`/`null` (no error) is good, a
 * NinesError is classified by its code, anything else is an internal failure (bad).
 */
export function outcomeOfError(err: unknown): RequestOutcome {
  if (err === undefined || err === null) return 'good';
  if (isNinesError(err)) return outcomeOfCode(err.code);
  return 'bad';
}

/**
 * The outcome of an HTTP response status: 1xx–3xx good; 429 (load shed) and 5xx bad;
 * other 4xx client errors. A status outside 100–599 is bad (the server sent garbage).
 */
export function outcomeOfHttpStatus(status: number): RequestOutcome {
  if (!Number.isInteger(status) || status < 100 || status > 599) return 'bad';
  if (status < 400) return 'good';
  if (status === 429) return 'bad';
  if (status < 500) return 'client_error';
  return 'bad';
}

/** gRPC status codes (grpc/doc/statuscodes.md). */
export const GrpcCodes = {
  OK: 0,
  CANCELLED: 1,
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  ABORTED: 10,
  OUT_OF_RANGE: 11,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  DATA_LOSS: 15,
  UNAUTHENTICATED: 16,
} as const;

const GRPC_CLIENT_ERRORS: ReadonlySet<number> = new Set([
  GrpcCodes.CANCELLED,
  GrpcCodes.INVALID_ARGUMENT,
  GrpcCodes.NOT_FOUND,
  GrpcCodes.ALREADY_EXISTS,
  GrpcCodes.PERMISSION_DENIED,
  GrpcCodes.FAILED_PRECONDITION,
  GrpcCodes.OUT_OF_RANGE,
  GrpcCodes.UNIMPLEMENTED,
  GrpcCodes.UNAUTHENTICATED,
]);

/**
 * The outcome of a gRPC status code: OK good; the caller's mistakes (cancelled, invalid
 * argument, not found, already exists, permission denied, failed precondition, out of
 * range, unimplemented, unauthenticated) client errors; everything else (unknown,
 * deadline exceeded, resource exhausted, aborted, internal, unavailable, data loss, and
 * unknown codes) bad.
 */
export function outcomeOfGrpcCode(code: number): RequestOutcome {
  if (code === GrpcCodes.OK) return 'good';
  if (GRPC_CLIENT_ERRORS.has(code)) return 'client_error';
  return 'bad';
}
