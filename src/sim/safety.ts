import type { NodeId } from '../core/ids.js';
import type { Entry } from '../raft/types.js';
import { SimLimits } from './limits.js';

/** The properties the simulator checks; a violation names one. */
export const VIOLATION_KINDS = [
  'election-safety',
  'log-matching',
  'leader-completeness',
  'state-machine-safety',
  'linearizability',
  'lost-write',
  'divergent-state',
  'liveness',
  'invariant',
  'event-limit',
] as const;
export type ViolationKind = (typeof VIOLATION_KINDS)[number];

export interface Violation {
  readonly kind: ViolationKind;
  /** Virtual time at which it was found. */
  readonly atMs: number;
  readonly message: string;
}

/** FNV-1a over an entry's type and data: equal entries give equal digests. */
export function entryDigest(e: Entry): number {
  let h = e.type === 'normal' ? 0x811c9dc5 : 0x01000193;
  const d = e.data;
  for (let i = 0; i < d.length; i++) {
    h ^= d[i]!;
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** A (index, term) pair as one number key (terms stay far below 10^6 in a run). */
function posKey(index: number, term: number): number {
  return index * 1_000_000 + term;
}

/**
 * Raft's safety properties (Raft paper, figure 3), checked incrementally as the world runs:
 * - election safety: at most one leader per term;
 * - log matching: two entries with the same index and term carry the same command and follow
 *   entries of the same term (so, by induction, the logs match up to there);
 * - leader completeness: a new leader's log holds every entry known committed;
 * - state machine safety: every node applies the same entry at a given index.
 * Violations are collected (the first `SimLimits.violationsMax`), not thrown.
 */
export class SafetyChecker {
  readonly violations: Violation[] = [];
  readonly #leaderOfTerm = new Map<number, NodeId>();
  readonly #entries = new Map<number, { digest: number; prevTerm: number }>();
  /**
   * index → term and digest of the entry applied there (applied implies committed), and
   * `commitTerm`: the applying node's term at its first application, an upper bound on the
   * term in which the entry was committed (the committing leader applies first, or a node
   * that heard of the commit from a leader of that term or later).
   */
  readonly #committed = new Map<number, { term: number; digest: number; commitTerm: number }>();
  #committedMax = 0;
  /** index → id of the client command first applied there. */
  readonly #commandAt = new Map<number, number>();

  report(kind: ViolationKind, atMs: number, message: string): void {
    if (this.violations.length < SimLimits.violationsMax) this.violations.push({ kind, atMs, message });
  }

  get ok(): boolean {
    return this.violations.length === 0;
  }

  /** Highest index applied anywhere. */
  get committedMax(): number {
    return this.#committedMax;
  }

  /** `node` is leader of `term`. */
  onLeader(atMs: number, node: NodeId, term: number): void {
    const prev = this.#leaderOfTerm.get(term);
    if (prev === undefined) this.#leaderOfTerm.set(term, node);
    else if (prev !== node) this.report('election-safety', atMs, `two leaders in term ${term}: ${prev} and ${node}`);
  }

  /** Leaders seen, as `term:node` (for reports). */
  get leaderTerms(): number {
    return this.#leaderOfTerm.size;
  }

  /**
   * `node` made `entries` (contiguous) part of its log; `prevTerm` is the term of the entry
   * just before the first one (undefined when unknown, e.g. compacted).
   */
  onEntries(atMs: number, node: NodeId, entries: readonly Entry[], prevTerm: number | undefined): void {
    let prev = prevTerm;
    for (const e of entries) {
      const key = posKey(e.index, e.term);
      const digest = entryDigest(e);
      const seen = this.#entries.get(key);
      if (seen === undefined) {
        this.#entries.set(key, { digest, prevTerm: prev ?? -1 });
      } else {
        if (seen.digest !== digest) {
          this.report('log-matching', atMs, `node ${node}: entry ${e.index}@t${e.term} differs from another node's`);
        } else if (prev !== undefined && seen.prevTerm >= 0 && seen.prevTerm !== prev) {
          this.report(
            'log-matching',
            atMs,
            `node ${node}: entry ${e.index}@t${e.term} follows term ${prev}, elsewhere term ${seen.prevTerm}`,
          );
        } else if (seen.prevTerm < 0 && prev !== undefined) {
          seen.prevTerm = prev;
        }
      }
      prev = e.term;
    }
  }

  /** `node`, at term `nodeTerm`, applies `entry`. */
  onApplied(atMs: number, node: NodeId, nodeTerm: number, entry: Entry): void {
    const digest = entryDigest(entry);
    const seen = this.#committed.get(entry.index);
    if (seen === undefined) {
      this.#committed.set(entry.index, { term: entry.term, digest, commitTerm: nodeTerm });
      if (entry.index > this.#committedMax) this.#committedMax = entry.index;
    } else if (seen.term !== entry.term || seen.digest !== digest) {
      this.report(
        'state-machine-safety',
        atMs,
        `node ${node} applied ${entry.index}@t${entry.term}, another node applied ${entry.index}@t${seen.term}` +
          (seen.term === entry.term ? ' with a different command' : ''),
      );
    }
  }

  /** A node applied client command `id` at `index` (the first application is canonical). */
  onAppliedCommand(index: number, id: number): void {
    if (!this.#commandAt.has(index)) this.#commandAt.set(index, id);
  }

  /** The client command applied at `index`, if any. */
  commandAt(index: number): number | undefined {
    return this.#commandAt.get(index);
  }

  /**
   * `node` just became leader of `term`; `termAt(i)` answers its log's term at i (undefined
   * when compacted away), `lastIndex` its last index. Every entry committed in an earlier
   * term (known by its `commitTerm` bound) must be in its log with the same term.
   */
  checkLeaderCompleteness(
    atMs: number,
    node: NodeId,
    term: number,
    lastIndex: number,
    termAt: (index: number) => number | undefined,
  ): void {
    for (const [index, c] of this.#committed) {
      if (c.commitTerm >= term) continue;
      if (index > lastIndex) {
        this.report(
          'leader-completeness',
          atMs,
          `leader ${node} of term ${term} lacks committed entry ${index}@t${c.term} (its log ends at ${lastIndex})`,
        );
        return;
      }
      const t = termAt(index);
      if (t !== undefined && t !== c.term) {
        this.report(
          'leader-completeness',
          atMs,
          `leader ${node} of term ${term} has ${index}@t${t} where ${index}@t${c.term} was committed`,
        );
        return;
      }
    }
  }
}
