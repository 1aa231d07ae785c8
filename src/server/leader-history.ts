import { NO_NODE, type NodeId } from '../core/ids.js';
import { ServerLimits } from './limits.js';
import { formatId } from './member-id.js';
import type { LeaderChange } from './service.js';

/** The last `ServerLimits.leaderChangesKept` leader changes this member saw, newest first. */
export class LeaderHistory {
  readonly #changes: LeaderChange[] = [];

  record(leader: NodeId, leaderName: string, term: number, at: Date): void {
    this.#changes.push({ at: at.toISOString(), term, leader: leader === NO_NODE ? '' : formatId(leader), leaderName });
    if (this.#changes.length > ServerLimits.leaderChangesKept) this.#changes.shift();
  }

  list(): LeaderChange[] {
    return [...this.#changes].reverse();
  }
}
