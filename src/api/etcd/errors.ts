import { status } from '@grpc/grpc-js';
import { ErrorCodes, isNinesError, LimitExceededError, NinesError } from '../../core/errors.js';
import { KvMessages } from '../../kv/errors.js';

/** A gRPC status as etcd sends it: code plus etcd's exact message (clients match on it). */
export interface EtcdStatus {
  readonly code: status;
  readonly details: string;
}

function e(code: status, details: string): EtcdStatus {
  return { code, details };
}

/**
 * etcd's client-visible errors (`rpctypes`), code and message exactly as etcd sends them:
 * clientv3 turns these strings back into typed errors, so a different message is a
 * different error to the client.
 */
export const EtcdErrors = {
  emptyKey: e(status.INVALID_ARGUMENT, 'etcdserver: key is not provided'),
  keyNotFound: e(status.INVALID_ARGUMENT, 'etcdserver: key not found'),
  valueProvided: e(status.INVALID_ARGUMENT, 'etcdserver: value is provided'),
  leaseProvided: e(status.INVALID_ARGUMENT, 'etcdserver: lease is provided'),
  tooManyOps: e(status.INVALID_ARGUMENT, 'etcdserver: too many operations in txn request'),
  duplicateKey: e(status.INVALID_ARGUMENT, 'etcdserver: duplicate key given in txn request'),
  compacted: e(status.OUT_OF_RANGE, 'etcdserver: mvcc: required revision has been compacted'),
  futureRevision: e(status.OUT_OF_RANGE, 'etcdserver: mvcc: required revision is a future revision'),
  noSpace: e(status.RESOURCE_EXHAUSTED, 'etcdserver: mvcc: database space exceeded'),
  leaseNotFound: e(status.NOT_FOUND, 'etcdserver: requested lease not found'),
  leaseExists: e(status.FAILED_PRECONDITION, 'etcdserver: lease already exists'),
  leaseTtlTooLarge: e(status.OUT_OF_RANGE, 'etcdserver: too large lease TTL'),
  memberExists: e(status.FAILED_PRECONDITION, 'etcdserver: member ID already exist'),
  peerUrlExists: e(status.FAILED_PRECONDITION, 'etcdserver: Peer URLs already exists'),
  memberNotEnoughStarted: e(status.FAILED_PRECONDITION, 'etcdserver: re-configuration failed due to not enough started members'),
  memberBadUrls: e(status.INVALID_ARGUMENT, 'etcdserver: given member URLs are invalid'),
  memberNotFound: e(status.NOT_FOUND, 'etcdserver: member not found'),
  memberNotLearner: e(status.FAILED_PRECONDITION, 'etcdserver: can only promote a learner member'),
  learnerNotReady: e(status.FAILED_PRECONDITION, 'etcdserver: can only promote a learner member which is in sync with leader'),
  tooManyLearners: e(status.FAILED_PRECONDITION, 'etcdserver: too many learner members in cluster'),
  requestTooLarge: e(status.INVALID_ARGUMENT, 'etcdserver: request is too large'),
  tooManyRequests: e(status.RESOURCE_EXHAUSTED, 'etcdserver: too many requests'),
  rootUserNotExist: e(status.FAILED_PRECONDITION, 'etcdserver: root user does not exist'),
  rootRoleNotExist: e(status.FAILED_PRECONDITION, 'etcdserver: root user does not have root role'),
  userAlreadyExist: e(status.FAILED_PRECONDITION, 'etcdserver: user name already exists'),
  userEmpty: e(status.INVALID_ARGUMENT, 'etcdserver: user name is empty'),
  userNotFound: e(status.FAILED_PRECONDITION, 'etcdserver: user name not found'),
  roleAlreadyExist: e(status.FAILED_PRECONDITION, 'etcdserver: role name already exists'),
  roleNotFound: e(status.FAILED_PRECONDITION, 'etcdserver: role name not found'),
  roleEmpty: e(status.INVALID_ARGUMENT, 'etcdserver: role name is empty'),
  authFailed: e(status.INVALID_ARGUMENT, 'etcdserver: authentication failed, invalid user ID or password'),
  permissionDenied: e(status.PERMISSION_DENIED, 'etcdserver: permission denied'),
  roleNotGranted: e(status.FAILED_PRECONDITION, 'etcdserver: role is not granted to the user'),
  permissionNotGranted: e(status.FAILED_PRECONDITION, 'etcdserver: permission is not granted to the role'),
  authNotEnabled: e(status.FAILED_PRECONDITION, 'etcdserver: authentication is not enabled'),
  invalidAuthToken: e(status.UNAUTHENTICATED, 'etcdserver: invalid auth token'),
  invalidAuthMgmt: e(status.INVALID_ARGUMENT, 'etcdserver: invalid auth management'),
  noLeader: e(status.UNAVAILABLE, 'etcdserver: no leader'),
  notLeader: e(status.FAILED_PRECONDITION, 'etcdserver: not leader'),
  notCapable: e(status.UNAVAILABLE, 'etcdserver: not capable'),
  stopped: e(status.UNAVAILABLE, 'etcdserver: server stopped'),
  timeout: e(status.UNAVAILABLE, 'etcdserver: request timed out'),
  corrupt: e(status.DATA_LOSS, 'etcdserver: corrupt cluster'),
  badLeaderTransferee: e(status.FAILED_PRECONDITION, 'etcdserver: bad leader transferee'),
} as const satisfies Record<string, EtcdStatus>;

export type EtcdErrorName = keyof typeof EtcdErrors;

/** A NinesError that carries a specific etcd error (for conditions NinesError codes lack). */
export class EtcdError extends NinesError {
  readonly etcd: EtcdStatus;
  constructor(name: EtcdErrorName) {
    const s = EtcdErrors[name];
    super(codeFor(s.code), s.details.replace(/^etcdserver: /, ''));
    this.name = 'EtcdError';
    this.etcd = s;
  }
}

function codeFor(code: status): NinesError['code'] {
  switch (code) {
    case status.INVALID_ARGUMENT:
      return ErrorCodes.INVALID_ARGUMENT;
    case status.NOT_FOUND:
      return ErrorCodes.NOT_FOUND;
    case status.PERMISSION_DENIED:
    case status.UNAUTHENTICATED:
      return ErrorCodes.PERMISSION_DENIED;
    case status.UNAVAILABLE:
      return ErrorCodes.UNAVAILABLE;
    case status.RESOURCE_EXHAUSTED:
      return ErrorCodes.LIMIT_EXCEEDED;
    default:
      return ErrorCodes.INVALID_ARGUMENT;
  }
}

/** kv/ messages (etcd's, without the prefix) → the etcd error they are. */
const BY_KV_MESSAGE: ReadonlyMap<string, EtcdStatus> = new Map<string, EtcdStatus>([
  [KvMessages.compacted, EtcdErrors.compacted],
  [KvMessages.futureRevision, EtcdErrors.futureRevision],
  [KvMessages.leaseNotFound, EtcdErrors.leaseNotFound],
  [KvMessages.leaseExists, EtcdErrors.leaseExists],
  [KvMessages.leaseTtlTooLarge, EtcdErrors.leaseTtlTooLarge],
  [KvMessages.keyNotFound, EtcdErrors.keyNotFound],
  [KvMessages.emptyKey, EtcdErrors.emptyKey],
  [KvMessages.duplicateKey, EtcdErrors.duplicateKey],
  [KvMessages.tooManyOps, EtcdErrors.tooManyOps],
  [KvMessages.valueProvided, EtcdErrors.valueProvided],
  [KvMessages.leaseProvided, EtcdErrors.leaseProvided],
]);

/** Limits whose breach etcd reports as "request is too large". */
const SIZE_LIMITS = new Set(['requestBytesMax', 'keyBytesMax', 'valueBytesMax', 'commandBytesMax']);

/**
 * The one table from nines errors to etcd's gRPC statuses. Known etcd conditions get
 * etcd's exact code and message; other NinesErrors keep their message under the
 * "etcdserver: " prefix with the closest code; anything else is an internal error whose
 * details are not leaked.
 */
export function toEtcdStatus(err: unknown): EtcdStatus {
  if (err instanceof EtcdError) return err.etcd;
  if (!isNinesError(err)) return e(status.INTERNAL, 'etcdserver: internal error');
  const known = BY_KV_MESSAGE.get(err.message);
  if (known !== undefined) return known;
  const prefixed = err.message.startsWith('etcdserver: ') ? err.message : `etcdserver: ${err.message}`;
  switch (err.code) {
    case ErrorCodes.COMPACTED:
      return EtcdErrors.compacted;
    case ErrorCodes.FUTURE_REVISION:
      return EtcdErrors.futureRevision;
    case ErrorCodes.LEASE_NOT_FOUND:
      return EtcdErrors.leaseNotFound;
    case ErrorCodes.NO_LEADER:
    case ErrorCodes.NOT_LEADER:
      return EtcdErrors.noLeader;
    case ErrorCodes.TIMEOUT:
      return EtcdErrors.timeout;
    case ErrorCodes.STOPPED:
      return EtcdErrors.stopped;
    case ErrorCodes.CORRUPT:
      return EtcdErrors.corrupt;
    case ErrorCodes.PERMISSION_DENIED:
      return EtcdErrors.permissionDenied;
    case ErrorCodes.LIMIT_EXCEEDED:
      if (err instanceof LimitExceededError && SIZE_LIMITS.has(err.limitName)) return EtcdErrors.requestTooLarge;
      return EtcdErrors.tooManyRequests;
    case ErrorCodes.INVALID_ARGUMENT:
      return e(status.INVALID_ARGUMENT, prefixed);
    case ErrorCodes.NOT_FOUND:
      return e(status.NOT_FOUND, prefixed);
    case ErrorCodes.UNAVAILABLE:
    case ErrorCodes.CLUSTER_MISMATCH:
      return e(status.UNAVAILABLE, prefixed);
    case ErrorCodes.INTERNAL:
      return e(status.INTERNAL, prefixed);
  }
}
