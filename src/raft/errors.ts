import { ErrorCodes, NinesError } from '../core/errors.js';
import { NO_NODE, type NodeId } from '../core/ids.js';

/**
 * Thrown by `RaftStorage.term`/`entries` when the asked index is outside the stored log:
 * `compacted` (code NINES_ERR_COMPACTED) below firstIndex()-1, otherwise unavailable
 * (code NINES_ERR_NOT_FOUND) above lastIndex().
 */
export class LogUnavailableError extends NinesError {
  readonly compacted: boolean;
  constructor(compacted: boolean, message: string) {
    super(compacted ? ErrorCodes.COMPACTED : ErrorCodes.NOT_FOUND, message);
    this.name = 'LogUnavailableError';
    this.compacted = compacted;
  }
}

/**
 * This node cannot take the request because it is not the leader and cannot forward it.
 * `leaderHint` is the leader this node knows of, or NO_NODE (0) when it knows none.
 */
export class NotLeaderError extends NinesError {
  readonly leaderHint: NodeId;
  constructor(message: string, leaderHint: NodeId = NO_NODE) {
    super(ErrorCodes.NOT_LEADER, leaderHint === NO_NODE ? message : `${message} (leader is ${leaderHint})`);
    this.name = 'NotLeaderError';
    this.leaderHint = leaderHint;
  }
}

/** The leader cannot take the request right now (transfer in progress, conf change pending). */
export class ProposalDroppedError extends NinesError {
  constructor(message: string) {
    super(ErrorCodes.UNAVAILABLE, message);
    this.name = 'ProposalDroppedError';
  }
}
