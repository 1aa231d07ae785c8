import { assert, CorruptError } from '../core/errors.js';
import type { LogIndex, Term } from '../core/ids.js';
import { LogUnavailableError } from './errors.js';
import type { RaftStorage } from './storage.js';
import type { Entry, Snapshot } from './types.js';
import { Unstable } from './unstable.js';
import { limitSize } from './util.js';

/**
 * The raft log: durable entries (read through RaftStorage) plus the unstable tail.
 * Invariants: applied <= committed <= lastIndex(); firstIndex() - 1 <= applied... is not
 * required (a snapshot may jump ahead of applied until the app installs it).
 */
export class RaftLog {
  readonly storage: RaftStorage;
  readonly unstable: Unstable;
  /** Highest index known to be committed. */
  committed: LogIndex;
  /** Highest index the application has applied. */
  applied: LogIndex;

  constructor(storage: RaftStorage) {
    this.storage = storage;
    const first = storage.firstIndex();
    const last = storage.lastIndex();
    this.unstable = new Unstable((last + 1) as LogIndex);
    this.committed = (first - 1) as LogIndex;
    this.applied = (first - 1) as LogIndex;
  }

  firstIndex(): LogIndex {
    return this.unstable.maybeFirstIndex() ?? this.storage.firstIndex();
  }

  lastIndex(): LogIndex {
    return this.unstable.maybeLastIndex() ?? this.storage.lastIndex();
  }

  /** The term at `i`, or undefined if `i` is compacted or beyond the log. */
  term(i: LogIndex): Term | undefined {
    const dummy = this.firstIndex() - 1;
    if (i < dummy || i > this.lastIndex()) return undefined;
    const t = this.unstable.maybeTerm(i);
    if (t !== undefined) return t;
    try {
      return this.storage.term(i);
    } catch (err) {
      if (err instanceof LogUnavailableError) return undefined;
      throw err;
    }
  }

  lastTerm(): Term {
    const t = this.term(this.lastIndex());
    assert(t !== undefined, 'term of the last index must be available');
    return t;
  }

  matchTerm(i: LogIndex, t: Term): boolean {
    const ours = this.term(i);
    return ours !== undefined && ours === t;
  }

  /** The candidate's log (lastIndex, lastTerm) is at least as up to date as ours. */
  isUpToDate(lasti: LogIndex, t: Term): boolean {
    const ours = this.lastTerm();
    return t > ours || (t === ours && lasti >= this.lastIndex());
  }

  /**
   * AppendEntries on a follower. Returns the last new index if (index, logTerm) matches,
   * or undefined (reject). With `keepConflicts` (a planted test bug) a conflicting suffix is
   * not truncated.
   */
  maybeAppend(index: LogIndex, logTerm: Term, committed: LogIndex, ents: readonly Entry[], keepConflicts = false): LogIndex | undefined {
    if (!this.matchTerm(index, logTerm)) return undefined;
    const lastNew = (index + ents.length) as LogIndex;
    const ci = this.findConflict(ents);
    if (ci !== 0) {
      if (!(ci > this.committed)) assert(false, `entry ${ci} conflicts with committed entry (committed ${this.committed})`);
      let rest = ents.slice(ci - (index + 1));
      if (keepConflicts) {
        const last = this.lastIndex();
        rest = rest.filter((e) => e.index > last);
      }
      this.append(rest);
    }
    this.commitTo(Math.min(committed, lastNew) as LogIndex);
    return lastNew;
  }

  append(ents: readonly Entry[]): LogIndex {
    const first = ents[0];
    if (first === undefined) return this.lastIndex();
    if (!(first.index - 1 >= this.committed)) assert(false, `append after ${first.index - 1} would overwrite committed ${this.committed}`);
    this.unstable.truncateAndAppend(ents);
    return this.lastIndex();
  }

  /** First index in `ents` whose term differs from ours (or which we lack); 0 if none. */
  findConflict(ents: readonly Entry[]): LogIndex {
    for (const e of ents) {
      if (!this.matchTerm(e.index, e.term)) return e.index;
    }
    return 0 as LogIndex;
  }

  /**
   * The largest index <= `index` whose term is <= `t`, with its term (fast backtracking);
   * stops at a compacted index with term 0.
   */
  findConflictByTerm(index: LogIndex, t: Term): { index: LogIndex; term: Term } {
    for (let i = index; i > 0; i--) {
      const ours = this.term(i as LogIndex);
      if (ours === undefined) return { index: i as LogIndex, term: 0 as Term };
      if (ours <= t) return { index: i as LogIndex, term: ours };
    }
    return { index: 0 as LogIndex, term: 0 as Term };
  }

  commitTo(c: LogIndex): void {
    if (c <= this.committed) return;
    if (c > this.lastIndex()) throw new CorruptError(`commit ${c} is beyond the last index ${this.lastIndex()}`);
    this.committed = c;
  }

  /** Commit `maxIndex` if its entry is from `t` (only current-term entries commit by counting). */
  maybeCommit(maxIndex: LogIndex, t: Term, anyTerm = false): boolean {
    if (maxIndex > this.committed && (anyTerm || this.term(maxIndex) === t)) {
      this.commitTo(maxIndex);
      return true;
    }
    return false;
  }

  appliedTo(i: LogIndex): void {
    if (i === 0) return;
    if (!(i <= this.committed && i >= this.applied)) assert(false, `applied(${i}) out of range [${this.applied}, ${this.committed}]`);
    this.applied = i;
  }

  stableTo(i: LogIndex, t: Term): void {
    this.unstable.stableTo(i, t);
  }

  stableSnapTo(i: LogIndex): void {
    this.unstable.stableSnapTo(i);
  }

  unstableEntries(): Entry[] {
    return this.unstable.entries;
  }

  /** Committed entries not yet applied, capped at `maxBytes`; none while a snapshot is pending. */
  nextCommittedEntries(maxBytes: number): Entry[] {
    if (this.unstable.snapshot !== undefined) return [];
    const lo = Math.max(this.applied + 1, this.firstIndex()) as LogIndex;
    if (this.committed + 1 <= lo) return [];
    return this.slice(lo, (this.committed + 1) as LogIndex, maxBytes);
  }

  hasNextCommittedEntries(): boolean {
    if (this.unstable.snapshot !== undefined) return false;
    return this.committed > Math.max(this.applied, this.firstIndex() - 1);
  }

  /** Entries from `i` to the end, limited to `maxBytes` (at least one); undefined if compacted. */
  entries(i: LogIndex, maxBytes: number): Entry[] | undefined {
    if (i > this.lastIndex()) return [];
    if (i < this.firstIndex()) return undefined;
    try {
      return this.slice(i, (this.lastIndex() + 1) as LogIndex, maxBytes);
    } catch (err) {
      if (err instanceof LogUnavailableError) return undefined;
      throw err;
    }
  }

  /** [lo, hi) limited to maxBytes (at least one entry). Throws LogUnavailableError if compacted. */
  slice(lo: LogIndex, hi: LogIndex, maxBytes: number): Entry[] {
    if (!(lo <= hi)) assert(false, `slice lo ${lo} > hi ${hi}`);
    if (lo < this.firstIndex()) throw new LogUnavailableError(true, `index ${lo} is compacted`);
    if (!(hi <= this.lastIndex() + 1)) assert(false, `slice hi ${hi} beyond last index ${this.lastIndex()}`);
    if (lo === hi) return [];
    let out: Entry[] = [];
    const off = this.unstable.offset;
    if (lo < off) {
      const stored = this.storage.entries(lo, Math.min(hi, off) as LogIndex, maxBytes);
      if (stored.length < Math.min(hi, off) - lo) return stored;
      out = stored;
    }
    if (hi > off) {
      const tail = this.unstable.slice(Math.max(lo, off) as LogIndex, hi);
      out = out.length > 0 ? out.concat(tail) : tail;
    }
    return limitSize(out, maxBytes);
  }

  snapshot(): Snapshot {
    return this.unstable.snapshot ?? this.storage.snapshot();
  }

  /** Replace the log with an incoming snapshot. */
  restore(s: Snapshot): void {
    this.committed = s.metadata.index;
    this.unstable.restore(s);
  }

  /** Highest index known durable here (storage, minus any suffix the unstable tail replaces). */
  persistedLastIndex(): LogIndex {
    if (this.unstable.snapshot !== undefined) return Math.min(this.storage.lastIndex(), this.unstable.snapshot.metadata.index - 1) as LogIndex;
    return Math.min(this.storage.lastIndex(), this.unstable.offset - 1) as LogIndex;
  }
}
