import type { LogIndex, NodeId, Term } from '../core/ids.js';
import type { ConfState, HardState, SnapshotMetadata } from '../raft/types.js';

/**
 * Shapes of the named records in the `meta` database, with validators that turn a decoded
 * msgpack object into a typed value (or undefined when the shape is wrong).
 */
export interface MetaRecord {
  readonly formatVersion: number;
  readonly clusterId: string;
  readonly nodeId: number;
  readonly nodeName: string;
}

/** The stored snapshot: metadata plus how its data is laid out in the `snap` database. */
export interface SnapshotRecord {
  readonly metadata: SnapshotMetadata;
  readonly totalBytes: number;
  readonly dataCrc: number;
  /** Number of stored data pieces, keys 0..storedChunks-1. */
  readonly storedChunks: number;
}

/** The log position just before firstIndex(): etcd's "dummy entry". */
export interface CompactedRecord {
  readonly index: LogIndex;
  readonly term: Term;
}

export const RecordNames = {
  meta: 'meta',
  hardState: 'hardState',
  confState: 'confState',
  snapshot: 'snapshot',
  compacted: 'compacted',
} as const;

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

function isIdList(value: unknown): value is number[] {
  return Array.isArray(value) && value.every((v) => isCount(v) && v > 0);
}

export function toMeta(r: Record<string, unknown>): MetaRecord | undefined {
  const { formatVersion, clusterId, nodeId, nodeName } = r;
  if (!isCount(formatVersion) || typeof clusterId !== 'string' || !isCount(nodeId) || typeof nodeName !== 'string') {
    return undefined;
  }
  return { formatVersion, clusterId, nodeId, nodeName };
}

export function toHardState(r: Record<string, unknown>): HardState | undefined {
  const { term, vote, commit } = r;
  if (!isCount(term) || !isCount(vote) || !isCount(commit)) return undefined;
  return { term: term as Term, vote: vote as NodeId, commit: commit as LogIndex };
}

export function toConfState(r: unknown): ConfState | undefined {
  if (typeof r !== 'object' || r === null) return undefined;
  const { voters, learners, votersOutgoing } = r as Record<string, unknown>;
  if (!isIdList(voters) || !isIdList(learners) || !isIdList(votersOutgoing)) return undefined;
  return { voters: voters as NodeId[], learners: learners as NodeId[], votersOutgoing: votersOutgoing as NodeId[] };
}

export function toSnapshotRecord(r: Record<string, unknown>): SnapshotRecord | undefined {
  const { index, term, confState, totalBytes, dataCrc, storedChunks } = r;
  const conf = toConfState(confState);
  if (!isCount(index) || !isCount(term) || conf === undefined) return undefined;
  if (!isCount(totalBytes) || !isCount(dataCrc) || !isCount(storedChunks)) return undefined;
  return {
    metadata: { index: index as LogIndex, term: term as Term, confState: conf },
    totalBytes,
    dataCrc,
    storedChunks,
  };
}

export function fromSnapshotRecord(s: SnapshotRecord): object {
  return {
    index: s.metadata.index,
    term: s.metadata.term,
    confState: plainConf(s.metadata.confState),
    totalBytes: s.totalBytes,
    dataCrc: s.dataCrc,
    storedChunks: s.storedChunks,
  };
}

export function plainConf(c: ConfState): object {
  return { voters: [...c.voters], learners: [...c.learners], votersOutgoing: [...c.votersOutgoing] };
}

export function toCompacted(r: Record<string, unknown>): CompactedRecord | undefined {
  const { index, term } = r;
  if (!isCount(index) || !isCount(term)) return undefined;
  return { index: index as LogIndex, term: term as Term };
}

export const EMPTY_CONF_STATE: ConfState = { voters: [], learners: [], votersOutgoing: [] };
