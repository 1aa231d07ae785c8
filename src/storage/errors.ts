import { CorruptError, ErrorCodes, NinesError } from '../core/errors.js';

/**
 * Raft's own LogUnavailableError (src/raft/errors.ts): raft recognises "compacted" and
 * "unavailable" with `instanceof`, so storage must throw exactly that class.
 */
export { LogUnavailableError } from '../raft/errors.js';

/** The data dir belongs to another cluster or member. */
export class ClusterMismatchError extends NinesError {
  constructor(message: string) {
    super(ErrorCodes.CLUSTER_MISMATCH, message);
    this.name = 'ClusterMismatchError';
  }
}

/** What an operator should do when a data dir is corrupt. */
export const CORRUPT_ADVICE =
  'restore the data dir from a backup/snapshot, or remove the member from the cluster and re-add it with an empty data dir';

/** A CorruptError naming the file and what to do. */
export function corruptFile(path: string, what: string, cause?: unknown): CorruptError {
  const message = `corrupt data file ${path}: ${what}; refusing to start: ${CORRUPT_ADVICE}`;
  return cause === undefined ? new CorruptError(message) : new CorruptError(message, { cause });
}
