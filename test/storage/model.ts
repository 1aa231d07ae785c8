import type { LogIndex, NodeId, Term } from '../../src/core/ids.js';
import { LogUnavailableError } from '../../src/raft/errors.js';
import type { RaftStorage } from '../../src/raft/storage.js';
import type { ConfState, Entry, HardState, Snapshot } from '../../src/raft/types.js';

/**
 * The simplest possible RaftStorage, used as the model in property tests: a dummy entry at
 * position 0 (etcd MemoryStorage style) holding the compacted index and term.
 */
export class ModelStorage implements RaftStorage {
  hardState: HardState = { term: 0 as Term, vote: 0 as NodeId, commit: 0 as LogIndex };
  snap: Snapshot = {
    metadata: { index: 0 as LogIndex, term: 0 as Term, confState: { voters: [], learners: [], votersOutgoing: [] } },
    data: new Uint8Array(0),
  };
  /** ents[0] is the dummy: {index: compacted index, term: its term}. */
  ents: Entry[] = [{ index: 0 as LogIndex, term: 0 as Term, type: 'normal', data: new Uint8Array(0) }];

  initialState(): { hardState: HardState; confState: ConfState } {
    return { hardState: this.hardState, confState: this.snap.metadata.confState };
  }
  firstIndex(): LogIndex {
    return (this.ents[0]!.index + 1) as LogIndex;
  }
  lastIndex(): LogIndex {
    return this.ents[this.ents.length - 1]!.index;
  }
  term(index: LogIndex): Term {
    const offset = this.ents[0]!.index;
    if (index < offset) throw new LogUnavailableError(true, `compacted ${index}`);
    if (index > this.lastIndex()) throw new LogUnavailableError(false, `unavailable ${index}`);
    return this.ents[index - offset]!.term;
  }
  entries(lo: LogIndex, hi: LogIndex, maxBytes: number): Entry[] {
    const offset = this.ents[0]!.index;
    if (lo <= offset) throw new LogUnavailableError(true, `compacted ${lo}`);
    if (hi > this.lastIndex() + 1) throw new LogUnavailableError(false, `unavailable ${hi}`);
    const out: Entry[] = [];
    let bytes = 0;
    for (const e of this.ents.slice(lo - offset, hi - offset)) {
      bytes += e.data.length;
      if (out.length > 0 && bytes > maxBytes) break;
      out.push(e);
    }
    return out;
  }
  snapshot(): Snapshot {
    return this.snap;
  }

  append(entries: readonly Entry[]): void {
    const kept = entries.filter((e) => e.index > this.ents[0]!.index);
    const first = kept[0];
    if (first === undefined) return;
    if (first.index > this.lastIndex() + 1) throw new Error(`gap at ${first.index}`);
    this.ents = [...this.ents.slice(0, first.index - this.ents[0]!.index), ...kept];
  }
  applySnapshot(snap: Snapshot): void {
    if (snap.metadata.index <= this.snap.metadata.index) throw new Error('out of date');
    this.snap = snap;
    this.ents = [{ index: snap.metadata.index, term: snap.metadata.term, type: 'normal', data: new Uint8Array(0) }];
  }
  createSnapshot(index: LogIndex, data: Uint8Array): void {
    this.snap = { metadata: { index, term: this.term(index), confState: this.snap.metadata.confState }, data };
  }
  compact(index: LogIndex): void {
    const offset = this.ents[0]!.index;
    if (index <= offset) return;
    const dummy = { index, term: this.term(index), type: 'normal' as const, data: new Uint8Array(0) };
    this.ents = [dummy, ...this.ents.slice(index - offset + 1)];
  }
}
