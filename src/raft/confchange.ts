import { InvalidArgumentError } from '../core/errors.js';
import type { NodeId } from '../core/ids.js';
import type { ConfState } from './types.js';

/**
 * A single-server membership change (see docs/decisions/0002-membership-changes.md).
 * - addVoter: add a new voter, or promote a learner.
 * - addLearner: add a new learner, or demote a voter.
 * - removeNode: remove a voter or learner.
 * - promoteLearner: turn an existing learner into a voter.
 */
export type ConfChangeType = 'addVoter' | 'addLearner' | 'removeNode' | 'promoteLearner';

export interface ConfChange {
  readonly type: ConfChangeType;
  readonly nodeId: NodeId;
}

const CONF_CHANGE_TYPES: readonly ConfChangeType[] = ['addVoter', 'addLearner', 'removeNode', 'promoteLearner'];

/** Bytes of a ConfChange, as stored in an entry of type `confChange`. */
export function encodeConfChange(cc: ConfChange): Uint8Array {
  return new TextEncoder().encode(JSON.stringify({ type: cc.type, nodeId: cc.nodeId }));
}

/** Inverse of encodeConfChange; throws InvalidArgumentError on malformed bytes. */
export function decodeConfChange(bytes: Uint8Array): ConfChange {
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder().decode(bytes));
  } catch (err) {
    throw new InvalidArgumentError('conf change entry is not valid JSON', { cause: err });
  }
  const obj = parsed as { type?: unknown; nodeId?: unknown } | null;
  if (
    obj === null ||
    typeof obj !== 'object' ||
    !CONF_CHANGE_TYPES.includes(obj.type as ConfChangeType) ||
    typeof obj.nodeId !== 'number' ||
    !Number.isSafeInteger(obj.nodeId) ||
    obj.nodeId <= 0
  ) {
    throw new InvalidArgumentError(`malformed conf change: ${JSON.stringify(parsed)}`);
  }
  return { type: obj.type as ConfChangeType, nodeId: obj.nodeId as NodeId };
}

/** Why `cc` cannot be applied to `cs`, or undefined if it can. */
export function confChangeProblem(cs: ConfState, cc: ConfChange): string | undefined {
  const isVoter = cs.voters.includes(cc.nodeId);
  const isLearner = cs.learners.includes(cc.nodeId);
  switch (cc.type) {
    case 'addVoter':
      return isVoter ? `node ${cc.nodeId} is already a voter` : undefined;
    case 'addLearner':
      if (isLearner) return `node ${cc.nodeId} is already a learner`;
      if (isVoter && cs.voters.length === 1) return `cannot demote ${cc.nodeId}: it is the only voter`;
      return undefined;
    case 'removeNode':
      if (!isVoter && !isLearner) return `node ${cc.nodeId} is not a member`;
      if (isVoter && cs.voters.length === 1) return `cannot remove ${cc.nodeId}: it is the only voter`;
      return undefined;
    case 'promoteLearner':
      return isLearner ? undefined : `node ${cc.nodeId} is not a learner`;
    default: {
      const never: never = cc.type;
      return `unknown conf change type ${String(never)}`;
    }
  }
}

/** The configuration after `cc` (assumes confChangeProblem(cs, cc) is undefined). */
export function applyToConfState(cs: ConfState, cc: ConfChange): ConfState {
  const voters = cs.voters.filter((v) => v !== cc.nodeId);
  const learners = cs.learners.filter((l) => l !== cc.nodeId);
  switch (cc.type) {
    case 'addVoter':
    case 'promoteLearner':
      voters.push(cc.nodeId);
      break;
    case 'addLearner':
      learners.push(cc.nodeId);
      break;
    case 'removeNode':
      break;
    default: {
      const never: never = cc.type;
      throw new InvalidArgumentError(`unknown conf change type ${String(never)}`);
    }
  }
  voters.sort((a, b) => a - b);
  learners.sort((a, b) => a - b);
  return { voters, learners, votersOutgoing: [] };
}
