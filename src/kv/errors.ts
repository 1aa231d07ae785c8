import { ErrorCodes, InvalidArgumentError, NinesError } from '../core/errors.js';

/**
 * The errors `kv/` produces, with etcd's messages (the gRPC edge prefixes "etcdserver: " as
 * etcd does). Codes are the stable `NinesError` codes from `core/errors.ts`.
 */

export const KvMessages = {
  compacted: 'mvcc: required revision has been compacted',
  futureRevision: 'mvcc: required revision is a future revision',
  leaseNotFound: 'requested lease not found',
  leaseExists: 'lease already exists',
  leaseTtlTooLarge: 'too large lease TTL',
  keyNotFound: 'key not found',
  emptyKey: 'key is not provided',
  duplicateKey: 'duplicate key given in txn request',
  tooManyOps: 'too many operations in txn request',
  valueProvided: 'value is provided',
  leaseProvided: 'lease is provided',
} as const;

export function compactedError(): NinesError {
  return new NinesError(ErrorCodes.COMPACTED, KvMessages.compacted);
}

export function futureRevisionError(): NinesError {
  return new NinesError(ErrorCodes.FUTURE_REVISION, KvMessages.futureRevision);
}

export function leaseNotFoundError(): NinesError {
  return new NinesError(ErrorCodes.LEASE_NOT_FOUND, KvMessages.leaseNotFound);
}

export function keyNotFoundError(): NinesError {
  return new NinesError(ErrorCodes.NOT_FOUND, KvMessages.keyNotFound);
}

export function invalid(message: string): InvalidArgumentError {
  return new InvalidArgumentError(message);
}
