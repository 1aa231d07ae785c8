import type { LogIndex, NodeId, Term } from '../core/ids.js';
import type { Entry, Snapshot } from './types.js';

/**
 * Messages between raft peers: a discriminated union on `type`, plain data only (numbers,
 * strings, booleans, arrays, Uint8Array) so that msgpack serialises it unchanged.
 * Every message carries `from`, `to` and the sender's `term` (0 for `prop` and `readIndex`,
 * which are forwarded requests and carry no term, as in etcd-io/raft).
 */
interface MessageBase {
  readonly from: NodeId;
  readonly to: NodeId;
  readonly term: Term;
}

/** AppendEntries: `entries` follow (`index`, `logTerm`); `commit` is the leader's commit index. */
export interface AppMessage extends MessageBase {
  readonly type: 'app';
  readonly index: LogIndex;
  readonly logTerm: Term;
  readonly entries: readonly Entry[];
  readonly commit: LogIndex;
}

/**
 * AppendEntries answer. Accepted: `index` is the follower's last matching index.
 * Rejected: `index` is the rejected (index) of the app; `rejectHint`/`logTerm` are the
 * follower's guess of the largest index whose term is <= the leader's logTerm (fast backtracking).
 */
export interface AppRespMessage extends MessageBase {
  readonly type: 'appResp';
  readonly index: LogIndex;
  readonly reject: boolean;
  readonly rejectHint: LogIndex;
  readonly logTerm: Term;
}

/** RequestVote / PreVote: the candidate's last log position; `transfer` = leadership transfer (bypasses leases). */
export interface VoteMessage extends MessageBase {
  readonly type: 'vote' | 'preVote';
  readonly index: LogIndex;
  readonly logTerm: Term;
  readonly transfer: boolean;
}

export interface VoteRespMessage extends MessageBase {
  readonly type: 'voteResp' | 'preVoteResp';
  readonly reject: boolean;
}

/**
 * Leader heartbeat. `commit` is min(follower match, leader commit). `context` is the
 * ReadIndex context being confirmed (empty if none). `sentMs` is the leader's local send
 * time, echoed back so the leader can date its lease; followers never interpret it.
 * `pausePeakMs`/`pauseAgeMs` (adaptive detection only, absent when nothing is learnt): the
 * sender's learnt pause penalty before decay and how long ago it was learnt, adopted by the
 * receiver if larger than its own (see LeaderWatch and PauseMemory).
 */
export interface HeartbeatMessage extends MessageBase {
  readonly type: 'heartbeat';
  readonly commit: LogIndex;
  readonly context: Uint8Array;
  readonly sentMs: number;
  readonly pausePeakMs?: number;
  readonly pauseAgeMs?: number;
}

/** Reply to a heartbeat; `pausePeakMs`/`pauseAgeMs` as on HeartbeatMessage. */
export interface HeartbeatRespMessage extends MessageBase {
  readonly type: 'heartbeatResp';
  readonly context: Uint8Array;
  readonly sentMs: number;
  readonly pausePeakMs?: number;
  readonly pauseAgeMs?: number;
}

/** InstallSnapshot; the whole snapshot (chunking it is the transport's job). */
export interface SnapMessage extends MessageBase {
  readonly type: 'snap';
  readonly snapshot: Snapshot;
}

/** Leadership transfer: "campaign now, ignoring leases". */
export interface TimeoutNowMessage extends MessageBase {
  readonly type: 'timeoutNow';
}

/** A follower forwards a ReadIndex request to the leader. */
export interface ReadIndexMessage extends MessageBase {
  readonly type: 'readIndex';
  readonly context: Uint8Array;
}

export interface ReadIndexRespMessage extends MessageBase {
  readonly type: 'readIndexResp';
  readonly index: LogIndex;
  readonly context: Uint8Array;
}

/** A follower forwards proposals to the leader (entries have term/index 0 until appended). */
export interface PropMessage extends MessageBase {
  readonly type: 'prop';
  readonly entries: readonly Entry[];
}

/** A follower forwards a leadership transfer request to the leader. */
export interface TransferLeaderMessage extends MessageBase {
  readonly type: 'transferLeader';
  readonly transferee: NodeId;
}

export type Message =
  | AppMessage
  | AppRespMessage
  | VoteMessage
  | VoteRespMessage
  | HeartbeatMessage
  | HeartbeatRespMessage
  | SnapMessage
  | TimeoutNowMessage
  | ReadIndexMessage
  | ReadIndexRespMessage
  | PropMessage
  | TransferLeaderMessage;

export type MessageType = Message['type'];

/** Every message type, for validation at the edge (`step`). */
export const MESSAGE_TYPES: readonly MessageType[] = [
  'app',
  'appResp',
  'vote',
  'preVote',
  'voteResp',
  'preVoteResp',
  'heartbeat',
  'heartbeatResp',
  'snap',
  'timeoutNow',
  'readIndex',
  'readIndexResp',
  'prop',
  'transferLeader',
];

/** Responses are dropped when they come from a node that is not a member (etcd's IsResponseMsg). */
export function isResponse(type: MessageType): boolean {
  return (
    type === 'appResp' ||
    type === 'voteResp' ||
    type === 'preVoteResp' ||
    type === 'heartbeatResp' ||
    type === 'readIndexResp'
  );
}

/** The result of a ReadIndex request: reads at `index` or later are linearizable. */
export interface ReadState {
  readonly index: LogIndex;
  readonly context: Uint8Array;
}

export type Role = 'follower' | 'candidate' | 'precandidate' | 'leader' | 'learner';

export interface SoftState {
  readonly lead: NodeId;
  readonly role: Role;
}
