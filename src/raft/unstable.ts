import { assert } from '../core/errors.js';
import type { LogIndex, Term } from '../core/ids.js';
import type { Entry, Snapshot } from './types.js';

/**
 * The part of the log not yet persisted (etcd-io/raft's `unstable`): an optional incoming
 * snapshot and the entries after it. `entries[i]` has index `offset + i`.
 * Invariant: if there is a snapshot, offset = snapshot index + 1.
 */
export class Unstable {
  snapshot: Snapshot | undefined = undefined;
  entries: Entry[] = [];
  offset: LogIndex;

  constructor(offset: LogIndex) {
    this.offset = offset;
  }

  maybeFirstIndex(): LogIndex | undefined {
    return this.snapshot === undefined ? undefined : ((this.snapshot.metadata.index + 1) as LogIndex);
  }

  maybeLastIndex(): LogIndex | undefined {
    if (this.entries.length > 0) return (this.offset + this.entries.length - 1) as LogIndex;
    return this.snapshot?.metadata.index;
  }

  maybeTerm(i: LogIndex): Term | undefined {
    if (i < this.offset) {
      if (this.snapshot !== undefined && this.snapshot.metadata.index === i) return this.snapshot.metadata.term;
      return undefined;
    }
    const last = this.maybeLastIndex();
    if (last === undefined || i > last) return undefined;
    return this.entries[i - this.offset]!.term;
  }

  /** Entries up to (i, t) are now durable. */
  stableTo(i: LogIndex, t: Term): void {
    const gt = this.maybeTerm(i);
    if (gt === undefined || gt !== t || i < this.offset) return;
    this.entries = this.entries.slice(i + 1 - this.offset);
    this.offset = (i + 1) as LogIndex;
  }

  stableSnapTo(i: LogIndex): void {
    if (this.snapshot !== undefined && this.snapshot.metadata.index === i) this.snapshot = undefined;
  }

  restore(s: Snapshot): void {
    this.offset = (s.metadata.index + 1) as LogIndex;
    this.entries = [];
    this.snapshot = s;
  }

  truncateAndAppend(ents: readonly Entry[]): void {
    const first = ents[0];
    if (first === undefined) return;
    const after = first.index;
    if (after === this.offset + this.entries.length) {
      for (const e of ents) this.entries.push(e);
    } else if (after <= this.offset) {
      // Replace everything unstable; storage entries at >= after are overwritten on persist.
      this.offset = after;
      this.entries = [...ents];
    } else {
      this.entries = this.slice(this.offset, after);
      for (const e of ents) this.entries.push(e);
    }
  }

  slice(lo: LogIndex, hi: LogIndex): Entry[] {
    if (!(lo <= hi && lo >= this.offset && hi <= this.offset + this.entries.length)) assert(false, `unstable slice [${lo},${hi}) out of bounds`);
    return this.entries.slice(lo - this.offset, hi - this.offset);
  }
}
