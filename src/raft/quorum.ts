import type { LogIndex, NodeId } from '../core/ids.js';

/** Votes needed among `n` voters: a majority, ⌊n/2⌋+1. */
export function quorumSize(n: number): number {
  return Math.floor(n / 2) + 1;
}

/** The highest index replicated on a majority of `voters`, given each voter's match. */
export function committedIndex(voters: readonly NodeId[], match: (id: NodeId) => LogIndex): LogIndex {
  if (voters.length === 0) return Number.MAX_SAFE_INTEGER as LogIndex;
  const matches = voters.map(match).sort((a, b) => b - a);
  return matches[quorumSize(voters.length) - 1]!;
}

export type VoteResult = 'won' | 'lost' | 'pending';

/** Outcome of an election given the votes received so far (true = granted). */
export function voteResult(voters: readonly NodeId[], votes: ReadonlyMap<NodeId, boolean>): VoteResult {
  const q = quorumSize(voters.length);
  let granted = 0;
  let rejected = 0;
  for (const v of voters) {
    const vote = votes.get(v);
    if (vote === true) granted++;
    else if (vote === false) rejected++;
  }
  if (granted >= q) return 'won';
  if (voters.length - rejected < q) return 'lost';
  return 'pending';
}

/**
 * The latest time t such that a majority of `voters` have `time(id) >= t` (the quorum's
 * "oldest recent" time; leases and CheckQuorum use it).
 */
export function quorumTime(voters: readonly NodeId[], time: (id: NodeId) => number): number {
  if (voters.length === 0) return Number.POSITIVE_INFINITY;
  const times = voters.map(time).sort((a, b) => b - a);
  return times[quorumSize(voters.length) - 1]!;
}
