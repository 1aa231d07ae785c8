/**
 * Branded identifiers. A `Term` cannot be passed where a `LogIndex` is expected:
 * the brand exists only in the type system and costs nothing at run time.
 */
declare const brand: unique symbol;
export type Brand<T, B extends string> = T & { readonly [brand]: B };

/** A cluster member's id: a positive integer, unique within a cluster. */
export type NodeId = Brand<number, 'NodeId'>;
/** A raft term: 0 before any election, then grows by one per campaign. */
export type Term = Brand<number, 'Term'>;
/** A position in the raft log; 0 means "before the first entry". */
export type LogIndex = Brand<number, 'LogIndex'>;
/** An MVCC store revision; the empty store is at revision 1. */
export type Revision = Brand<number, 'Revision'>;

function nonNegativeInteger(kind: string, value: number): void {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new RangeError(`${kind} must be a non-negative safe integer, got ${String(value)}`);
  }
}

export function nodeId(value: number): NodeId {
  nonNegativeInteger('NodeId', value);
  if (value === 0) throw new RangeError('NodeId 0 is reserved for "no node"');
  return value as NodeId;
}
export function term(value: number): Term {
  nonNegativeInteger('Term', value);
  return value as Term;
}
export function logIndex(value: number): LogIndex {
  nonNegativeInteger('LogIndex', value);
  return value as LogIndex;
}
export function revision(value: number): Revision {
  nonNegativeInteger('Revision', value);
  return value as Revision;
}

/** "No node": used for `leader` and `votedFor` when there is none. */
export const NO_NODE = 0 as NodeId;
