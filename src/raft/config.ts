import { InvalidArgumentError } from '../core/errors.js';
import type { LogIndex, NodeId } from '../core/ids.js';
import type { Random } from '../core/random.js';
import type { DetectorFactory } from '../detect/detector.js';
import { PAUSE_PENALTY_SPREAD } from './pause-memory.js';
import type { RaftStorage } from './storage.js';

/** Default half-life of the learnt pause penalty, in heartbeat intervals. */
export const PAUSE_PENALTY_HALF_LIFE_HEARTBEATS = 600;

/**
 * Test-only switches that plant classic raft bugs so the simulator can prove it catches
 * them. Every flag off (the default) leaves the normal code paths untouched.
 */
export interface RaftTestBugs {
  /** Commit an entry of an earlier term by counting replicas (Raft paper, figure 8). */
  readonly commitPreviousTermByCount?: boolean;
  /** On a conflicting AppendEntries, keep the conflicting suffix instead of truncating it. */
  readonly noConflictTruncation?: boolean;
  /** Grant a vote to any up-to-date candidate, even after voting for another in the term. */
  readonly doubleVote?: boolean;
}

export type RaftLogger = (event: string, fields: Record<string, unknown>) => void;

/** Configuration of one raft node. See `validateConfig` for defaults and constraints. */
export interface RaftConfig {
  /** This node. */
  readonly id: NodeId;
  /** Initial voters when storage holds no ConfState (ignored otherwise). */
  readonly voters: readonly NodeId[];
  /** Initial learners when storage holds no ConfState (ignored otherwise). */
  readonly learners?: readonly NodeId[];
  readonly storage: RaftStorage;
  /** Last applied index on restart (default: the storage's snapshot index). */
  readonly applied?: LogIndex;
  readonly random: Random;
  /** Leader heartbeat period. Default 100 ms (etcd). */
  readonly heartbeatIntervalMs?: number;
  /**
   * Election timeout E. Followers campaign after a random time in [E, 2E) without leader
   * contact (fixed mode); a leader with CheckQuorum steps down after E without hearing from
   * a quorum. Default 1000 ms (etcd). Must exceed the heartbeat interval.
   */
  readonly electionTimeoutMs?: number;
  /** Run a PreVote round before a real election (no term bump unless it could win). Default true. */
  readonly preVote?: boolean;
  /** Leader steps down without quorum contact for E; followers ignore votes while in a leader lease. Default true. */
  readonly checkQuorum?: boolean;
  /** Serve reads from a leader lease without a heartbeat round. Default false; needs checkQuorum. */
  readonly leaseReads?: boolean;
  /**
   * Bound on how much a node's clock may run slow or fast against another's over one lease
   * guard period, in ms. The lease lasts guard − drift. Default guard / 10.
   */
  readonly clockDriftBoundMs?: number;
  /** Largest AppendEntries payload (entries' data bytes; at least one entry is sent). Default 1 MiB. */
  readonly maxSizePerMsgBytes?: number;
  /** In-flight AppendEntries per follower in replicate state. Default 256. */
  readonly maxInflightMsgs?: number;
  /** In-flight bytes per follower (0 = no byte limit). Default 0. */
  readonly maxInflightBytes?: number;
  /** Leader refuses proposals when uncommitted data would exceed this (0 = no limit). Default 0. */
  readonly maxUncommittedEntriesBytes?: number;
  /** Largest total size of committed entries handed out in one Ready. Default max(maxSizePerMsgBytes, 4 MiB). */
  readonly maxCommittedSizePerReadyBytes?: number;
  /** Leader failure detector; undefined = etcd's fixed randomised election timeout. */
  readonly detector?: DetectorFactory;
  /**
   * Adaptive mode only: the least silence F before a follower whose detector suspects the
   * leader campaigns; each wait is drawn in [F, 2F). Also the voters' lease guard in adaptive
   * mode. Default 3 × heartbeatIntervalMs. Must be > heartbeatIntervalMs and <= electionTimeoutMs.
   */
  readonly detectorFloorMs?: number;
  /**
   * Adaptive mode only: the learnt pause penalty (see LeaderWatch) halves every this many
   * ms of virtual time (tick's nowMs) without a larger pause, so fast failover returns when
   * pauses stop. Default 600 × heartbeatIntervalMs (60 s with etcd's defaults).
   */
  readonly pausePenaltyHalfLifeMs?: number;
  readonly logger?: RaftLogger;
  readonly testBugs?: RaftTestBugs;
}

/** A config with every default filled in. */
export interface RequiredConfig {
  readonly id: NodeId;
  readonly voters: readonly NodeId[];
  readonly learners: readonly NodeId[];
  readonly storage: RaftStorage;
  readonly applied: LogIndex | undefined;
  readonly random: Random;
  readonly heartbeatIntervalMs: number;
  readonly electionTimeoutMs: number;
  readonly preVote: boolean;
  readonly checkQuorum: boolean;
  readonly leaseReads: boolean;
  readonly clockDriftBoundMs: number;
  readonly maxSizePerMsgBytes: number;
  readonly maxInflightMsgs: number;
  readonly maxInflightBytes: number;
  readonly maxUncommittedEntriesBytes: number;
  readonly maxCommittedSizePerReadyBytes: number;
  readonly detector: DetectorFactory | undefined;
  readonly detectorFloorMs: number;
  readonly pausePenaltyHalfLifeMs: number;
  /** Largest learnt pause penalty: 2E / (1 + PAUSE_PENALTY_SPREAD), so the penalty wait stays < 2E. */
  readonly pausePenaltyMaxMs: number;
  /** A false suspicion is only learnt if the suspected leader speaks within this of its last message (2E). */
  readonly pauseObserveMaxMs: number;
  /** Voters refuse (pre)votes while they heard from a leader within this (E fixed, F adaptive). */
  readonly leaseGuardMs: number;
  /** How long a leader lease lasts after the heartbeat round a quorum acknowledged. */
  readonly leaseDurationMs: number;
  readonly logger: RaftLogger | undefined;
  readonly testBugs: RaftTestBugs;
}

export const RAFT_DEFAULTS = {
  heartbeatIntervalMs: 100,
  electionTimeoutMs: 1000,
  maxSizePerMsgBytes: 1024 * 1024,
  maxInflightMsgs: 256,
  maxCommittedSizePerReadyBytes: 4 * 1024 * 1024,
} as const;

/**
 * Named timing presets (spread into a RaftConfig). The rule of thumb (etcd's tuning guide):
 * heartbeat ≈ the round-trip time between members, election timeout ≈ 10 × heartbeat and
 * well above the worst expected pause; failover takes E to 2E with fixed detection.
 */
export const RAFT_PRESETS = {
  /** One data centre, RTT < 10 ms: etcd's defaults. Failover 1–2 s. */
  lan: { heartbeatIntervalMs: 100, electionTimeoutMs: 1000 },
  /** Across regions, RTT up to ~250 ms. Failover 5–10 s. */
  wan: { heartbeatIntervalMs: 500, electionTimeoutMs: 5000 },
  /** One machine (tests, demos). Failover 0.1–0.2 s; not for loaded hosts. */
  local: { heartbeatIntervalMs: 10, electionTimeoutMs: 100 },
} as const satisfies Record<string, Pick<RaftConfig, 'heartbeatIntervalMs' | 'electionTimeoutMs'>>;

function positive(field: string, value: number): number {
  if (!Number.isFinite(value) || value <= 0) {
    throw new InvalidArgumentError(`raft config: ${field} must be a finite number > 0, got ${value}`);
  }
  return value;
}

function nonNegativeInt(field: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new InvalidArgumentError(`raft config: ${field} must be an integer >= 0, got ${value}`);
  }
  return value;
}

function checkIds(field: string, ids: readonly NodeId[]): void {
  for (const id of ids) {
    if (!Number.isSafeInteger(id) || id <= 0) {
      throw new InvalidArgumentError(`raft config: ${field} holds an invalid node id ${String(id)} (ids are integers > 0)`);
    }
  }
  if (new Set(ids).size !== ids.length) {
    throw new InvalidArgumentError(`raft config: ${field} lists a node twice: ${ids.join(',')}`);
  }
}

/**
 * The one place a raft config is checked and completed: rejects contradictions with an
 * InvalidArgumentError naming the field, and fills defaults.
 */
export function validateConfig(c: RaftConfig): RequiredConfig {
  if (!Number.isSafeInteger(c.id) || c.id <= 0) {
    throw new InvalidArgumentError(`raft config: id must be an integer > 0, got ${String(c.id)}`);
  }
  const learners = c.learners ?? [];
  checkIds('voters', c.voters);
  checkIds('learners', learners);
  for (const l of learners) {
    if (c.voters.includes(l)) throw new InvalidArgumentError(`raft config: node ${l} is in both voters and learners`);
  }
  const storageConf = c.storage.initialState().confState;
  const storageEmpty = storageConf.voters.length === 0 && storageConf.learners.length === 0;
  if (storageEmpty) {
    if (c.voters.length === 0) throw new InvalidArgumentError('raft config: voters is empty and storage holds no ConfState');
    if (!c.voters.includes(c.id) && !learners.includes(c.id)) {
      throw new InvalidArgumentError(`raft config: id ${c.id} is in neither voters nor learners`);
    }
  }
  const heartbeatIntervalMs = positive('heartbeatIntervalMs', c.heartbeatIntervalMs ?? RAFT_DEFAULTS.heartbeatIntervalMs);
  const electionTimeoutMs = positive('electionTimeoutMs', c.electionTimeoutMs ?? RAFT_DEFAULTS.electionTimeoutMs);
  if (electionTimeoutMs <= heartbeatIntervalMs) {
    throw new InvalidArgumentError(
      `raft config: electionTimeoutMs (${electionTimeoutMs}) must be greater than heartbeatIntervalMs (${heartbeatIntervalMs})`,
    );
  }
  const detectorFloorMs = positive('detectorFloorMs', c.detectorFloorMs ?? Math.min(3 * heartbeatIntervalMs, electionTimeoutMs));
  if (detectorFloorMs <= heartbeatIntervalMs || detectorFloorMs > electionTimeoutMs) {
    throw new InvalidArgumentError(
      `raft config: detectorFloorMs (${detectorFloorMs}) must be > heartbeatIntervalMs (${heartbeatIntervalMs}) and <= electionTimeoutMs (${electionTimeoutMs})`,
    );
  }
  const pausePenaltyHalfLifeMs = positive(
    'pausePenaltyHalfLifeMs',
    c.pausePenaltyHalfLifeMs ?? PAUSE_PENALTY_HALF_LIFE_HEARTBEATS * heartbeatIntervalMs,
  );
  const checkQuorum = c.checkQuorum ?? true;
  const leaseReads = c.leaseReads ?? false;
  if (leaseReads && !checkQuorum) {
    throw new InvalidArgumentError('raft config: leaseReads requires checkQuorum (a lease is only safe if voters honour it)');
  }
  const leaseGuardMs = c.detector === undefined ? electionTimeoutMs : detectorFloorMs;
  const clockDriftBoundMs = c.clockDriftBoundMs ?? leaseGuardMs / 10;
  if (!Number.isFinite(clockDriftBoundMs) || clockDriftBoundMs < 0 || clockDriftBoundMs >= leaseGuardMs) {
    throw new InvalidArgumentError(
      `raft config: clockDriftBoundMs (${clockDriftBoundMs}) must be >= 0 and < the lease guard (${leaseGuardMs} ms)`,
    );
  }
  if (leaseReads && clockDriftBoundMs === 0) {
    throw new InvalidArgumentError('raft config: clockDriftBoundMs must be > 0 with leaseReads (clocks always drift)');
  }
  const maxSizePerMsgBytes = positive('maxSizePerMsgBytes', c.maxSizePerMsgBytes ?? RAFT_DEFAULTS.maxSizePerMsgBytes);
  const maxInflightMsgs = nonNegativeInt('maxInflightMsgs', c.maxInflightMsgs ?? RAFT_DEFAULTS.maxInflightMsgs);
  if (maxInflightMsgs === 0) throw new InvalidArgumentError('raft config: maxInflightMsgs must be > 0');
  const maxInflightBytes = nonNegativeInt('maxInflightBytes', c.maxInflightBytes ?? 0);
  if (maxInflightBytes > 0 && maxInflightBytes < maxSizePerMsgBytes) {
    throw new InvalidArgumentError(
      `raft config: maxInflightBytes (${maxInflightBytes}) must be 0 or >= maxSizePerMsgBytes (${maxSizePerMsgBytes})`,
    );
  }
  const maxUncommittedEntriesBytes = nonNegativeInt('maxUncommittedEntriesBytes', c.maxUncommittedEntriesBytes ?? 0);
  const maxCommittedSizePerReadyBytes = positive(
    'maxCommittedSizePerReadyBytes',
    c.maxCommittedSizePerReadyBytes ?? Math.max(maxSizePerMsgBytes, RAFT_DEFAULTS.maxCommittedSizePerReadyBytes),
  );
  if (c.applied !== undefined) nonNegativeInt('applied', c.applied);
  return {
    id: c.id,
    voters: [...c.voters],
    learners: [...learners],
    storage: c.storage,
    applied: c.applied,
    random: c.random,
    heartbeatIntervalMs,
    electionTimeoutMs,
    preVote: c.preVote ?? true,
    checkQuorum,
    leaseReads,
    clockDriftBoundMs,
    maxSizePerMsgBytes,
    maxInflightMsgs,
    maxInflightBytes,
    maxUncommittedEntriesBytes,
    maxCommittedSizePerReadyBytes,
    detector: c.detector,
    detectorFloorMs,
    pausePenaltyHalfLifeMs,
    pausePenaltyMaxMs: (2 * electionTimeoutMs) / (1 + PAUSE_PENALTY_SPREAD),
    pauseObserveMaxMs: 2 * electionTimeoutMs,
    leaseGuardMs,
    leaseDurationMs: leaseGuardMs - clockDriftBoundMs,
    logger: c.logger,
    testBugs: c.testBugs ?? {},
  };
}
