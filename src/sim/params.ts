import { InvalidArgumentError } from '../core/errors.js';
import { type Random, SeededRandom } from '../core/random.js';
import { PARTITION_SHAPES, type PartitionShape } from './partitions.js';

/** The leader failure detectors the simulator can give raft. */
export const SIM_DETECTORS = ['fixed', 'adaptive'] as const;
export type SimDetector = (typeof SIM_DETECTORS)[number];

/** Raft's test-only planted bugs (RaftConfig.testBugs). */
export const PLANTED_BUGS = ['commitPreviousTermByCount', 'noConflictTruncation', 'doubleVote'] as const;
export type PlantedBug = (typeof PLANTED_BUGS)[number];

/**
 * Swarm profiles (swarm testing: a run enables a random subset of features). `mixed` draws
 * every fault kind independently; `election-storm` turns the ordinary faults off and keeps
 * cutting off newly elected leaders — right after election or right at their first commit —
 * with one entry per AppendEntries and one message in flight, under a busy workload: the
 * shape in which commit and election rules are stressed hardest (Raft paper, figure 8).
 */
export const SIM_PROFILES = ['mixed', 'election-storm'] as const;
export type SimProfile = (typeof SIM_PROFILES)[number];

/** What the caller fixes; everything else is drawn from the seed. */
export interface SimOptions {
  readonly seed: number;
  readonly nodes?: number;
  readonly detector?: SimDetector;
  readonly plantBug?: PlantedBug;
  /** Overrides the drawn safety-phase length (virtual ms). */
  readonly safetyDurationMs?: number;
}

/** The fault mix of a run (swarm testing: some runs have none of a kind). */
export interface FaultParams {
  /** Mean virtual time between two fault injections (exponential), ms. */
  readonly intervalMeanMs: number;
  /** Relative weights of the fault kinds; 0 disables a kind. */
  readonly crashWeight: number;
  readonly pauseWeight: number;
  readonly partitionWeight: number;
  /** Ask the leader to hand leadership to a random other node (TimeoutNow). */
  readonly transferWeight: number;
  /** Mean duration a fault lasts before it is reverted (exponential), ms. */
  readonly durationMeanMs: number;
  /** Chance that a crash or pause hits the current leader rather than a random node. */
  readonly targetLeaderRate: number;
  /**
   * Leader churn: the chance that a newly elected leader is isolated from everyone, after a
   * delay drawn in [0, newLeaderIsolateDelayMsMax] (it catches elections half-way through
   * re-replicating older entries).
   */
  readonly newLeaderIsolateRate: number;
  readonly newLeaderIsolateDelayMsMax: number;
  /** At most this many nodes down or paused at once. */
  readonly downNodesMax: number;
  /** The partition shapes this run may use. */
  readonly shapes: readonly PartitionShape[];
}

/** Every parameter of one run. Printed with the outcome; a seed reproduces all of it. */
export interface SimParams {
  readonly seed: number;
  readonly profile: SimProfile;
  readonly nodes: number;
  readonly detector: SimDetector;
  readonly plantBug: PlantedBug | null;
  readonly preVote: boolean;
  readonly checkQuorum: boolean;
  /**
   * Serve reads from the leader lease (raft's `leaseReads`). Drawn only with CheckQuorum and
   * clock rates within ±4 % (raft's default drift bound is a tenth of the lease guard).
   */
  readonly leaseReads: boolean;
  /** Raft timing: etcd's defaults. */
  readonly heartbeatIntervalMs: number;
  readonly electionTimeoutMs: number;
  /** Raft flow control: AppendEntries payload bound (1 = one entry per message) and window. */
  readonly maxSizePerMsgBytes: number;
  readonly maxInflightMsgs: number;
  /** Virtual time between two ticks of a node. */
  readonly tickIntervalMs: number;
  /** Network: mean one-way latency, its jitter (lognormal σ), per-link spread factor. */
  readonly latencyMeanMs: number;
  readonly latencySigma: number;
  readonly linkSpreadMax: number;
  readonly lossRate: number;
  readonly duplicateRate: number;
  /** Fraction of messages held back by up to `reorderDelayMsMax` extra. */
  readonly reorderRate: number;
  readonly reorderDelayMsMax: number;
  /** fsync completes this long after a Ready is written (uniform). */
  readonly fsyncMsMin: number;
  readonly fsyncMsMax: number;
  /** Clock rates are drawn in [1 - spread, 1 + spread]; offsets in [0, offsetMsMax]. */
  readonly clockRateSpread: number;
  readonly clockOffsetMsMax: number;
  readonly faults: FaultParams;
  /** Workload. */
  readonly clients: number;
  readonly keys: number;
  readonly readRatio: number;
  readonly casRatio: number;
  readonly thinkTimeMeanMs: number;
  readonly clientTimeoutMs: number;
  /** Clients send to the last known leader (`leader`) or to a random node (`random`). */
  readonly routing: 'leader' | 'random';
  /** A node snapshots and compacts its log every this many applied entries. */
  readonly snapshotEveryEntries: number;
  /** Phases (virtual ms). */
  readonly safetyDurationMs: number;
  readonly livenessBoundMs: number;
}

function pick<T>(random: Random, items: readonly T[]): T {
  return items[random.int(0, items.length - 1)]!;
}

function round(x: number, digits = 3): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

/** Uniform in [lo, hi], rounded so printed parameters reproduce exactly. */
function uniform(random: Random, lo: number, hi: number, digits = 3): number {
  return round(lo + (hi - lo) * random.float(), digits);
}

/**
 * Spread a seed over 31 bits (murmur3's finaliser), so neighbouring seeds start unrelated
 * random streams (xoroshiro's first outputs from small raw seeds are correlated).
 */
export function mixSeed(seed: number): number {
  let h = (seed ^ Math.floor(seed / 2 ** 32)) | 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 1;
}

/** Validate the caller's options (names the bad flag-like field). */
export function validateOptions(options: SimOptions): void {
  if (!Number.isSafeInteger(options.seed) || options.seed < 0) {
    throw new InvalidArgumentError(`seed must be a non-negative integer, got ${options.seed}`);
  }
  if (options.nodes !== undefined && options.nodes !== 3 && options.nodes !== 5) {
    throw new InvalidArgumentError(`nodes must be 3 or 5, got ${options.nodes}`);
  }
  if (options.detector !== undefined && !SIM_DETECTORS.includes(options.detector)) {
    throw new InvalidArgumentError(`detector must be one of ${SIM_DETECTORS.join(', ')}, got ${options.detector}`);
  }
  if (options.plantBug !== undefined && !PLANTED_BUGS.includes(options.plantBug)) {
    throw new InvalidArgumentError(`planted bug must be one of ${PLANTED_BUGS.join(', ')}, got ${options.plantBug}`);
  }
  const d = options.safetyDurationMs;
  if (d !== undefined && (!Number.isFinite(d) || d < 0 || d > 3_600_000)) {
    throw new InvalidArgumentError(`safety duration must be from 0 to 3600000 ms, got ${d}`);
  }
}

/**
 * Draw every parameter of a run from its seed (VOPR-style swarm testing). Every parameter is
 * drawn even when overridden, so fixing `nodes` does not shift the other draws.
 */
export function drawParams(options: SimOptions): SimParams {
  validateOptions(options);
  const random = new SeededRandom(mixSeed(options.seed));
  const nodes = pick(random, [3, 5]);
  const detector = pick(random, SIM_DETECTORS);
  const preVote = random.float() < 0.75;
  const checkQuorum = random.float() < 0.75;
  const tickIntervalMs = pick(random, [5, 10, 20]);
  const latencyMeanMs = uniform(random, 0.2, 20, 2);
  const latencySigma = uniform(random, 0, 1, 2);
  const linkSpreadMax = uniform(random, 1, 3, 2);
  const lossRate = random.float() < 0.3 ? 0 : uniform(random, 0, 0.15);
  const duplicateRate = random.float() < 0.5 ? 0 : uniform(random, 0, 0.1);
  const reorderRate = random.float() < 0.5 ? 0 : uniform(random, 0, 0.2);
  const reorderDelayMsMax = uniform(random, 1, 100, 1);
  const fsyncMsMin = uniform(random, 0.05, 2, 2);
  const fsyncMsMax = round(fsyncMsMin + uniform(random, 0, 10, 2), 2);
  const clockRateSpread = random.float() < 0.3 ? 0 : uniform(random, 0, 0.05, 4);
  const clockOffsetMsMax = uniform(random, 0, 10_000, 0);
  const shapes = PARTITION_SHAPES.filter(() => random.float() < 0.6);
  const faults: FaultParams = {
    intervalMeanMs: random.float() < 0.3 ? uniform(random, 30, 300, 0) : uniform(random, 200, 4000, 0),
    crashWeight: random.float() < 0.7 ? uniform(random, 0.1, 1, 2) : 0,
    pauseWeight: random.float() < 0.5 ? uniform(random, 0.1, 1, 2) : 0,
    partitionWeight: shapes.length > 0 && random.float() < 0.7 ? uniform(random, 0.1, 1, 2) : 0,
    transferWeight: random.float() < 0.4 ? uniform(random, 0.1, 1, 2) : 0,
    durationMeanMs: uniform(random, 100, 5000, 0),
    targetLeaderRate: uniform(random, 0, 1, 2),
    newLeaderIsolateRate: random.float() < 0.5 ? 0 : uniform(random, 0.2, 1, 2),
    newLeaderIsolateDelayMsMax: uniform(random, 1, 500, 1),
    downNodesMax: random.int(1, nodes),
    shapes: shapes.length > 0 ? shapes : ['isolate-one'],
  };
  const clients = random.int(1, 8);
  const keys = random.int(1, 4);
  const readRatio = uniform(random, 0.1, 0.6, 2);
  const casRatio = uniform(random, 0, 0.4, 2);
  const thinkTimeMeanMs = uniform(random, 0.5, 30, 1);
  const clientTimeoutMs = uniform(random, 200, 3000, 0);
  const routing = random.float() < 0.7 ? 'leader' : 'random';
  const snapshotEveryEntries = pick(random, [20, 100, 1000, 100_000]);
  const safetyDurationMs = uniform(random, 3000, 20000, 0);
  const plantBug = options.plantBug ?? null;
  const maxSizePerMsgBytes = pick(random, [1, 256, 1024 * 1024]);
  const maxInflightMsgs = pick(random, [1, 4, 256]);
  const profile: SimProfile = random.float() < 0.25 ? 'election-storm' : 'mixed';
  const storm = profile === 'election-storm';
  const leaseReads = checkQuorum && clockRateSpread <= 0.04 && random.float() < 0.4;
  return {
    seed: options.seed,
    profile,
    nodes: options.nodes ?? nodes,
    detector: options.detector ?? detector,
    plantBug,
    preVote,
    checkQuorum,
    leaseReads,
    heartbeatIntervalMs: 100,
    electionTimeoutMs: 1000,
    maxSizePerMsgBytes: storm ? 1 : maxSizePerMsgBytes,
    maxInflightMsgs: storm ? 1 : maxInflightMsgs,
    tickIntervalMs,
    latencyMeanMs,
    latencySigma,
    linkSpreadMax,
    lossRate,
    duplicateRate,
    reorderRate,
    reorderDelayMsMax,
    fsyncMsMin,
    fsyncMsMax,
    clockRateSpread,
    clockOffsetMsMax,
    faults: storm
      ? {
          ...faults,
          crashWeight: 0,
          pauseWeight: 0,
          partitionWeight: 0,
          transferWeight: 0,
          newLeaderIsolateRate: 1,
          // Long enough to outlast the next election (the next isolation replaces it anyway).
          durationMeanMs: Math.max(2 * 1000, faults.durationMeanMs),
          downNodesMax: Math.min(faults.downNodesMax, options.nodes ?? nodes),
        }
      : { ...faults, downNodesMax: Math.min(faults.downNodesMax, options.nodes ?? nodes) },
    clients: storm ? Math.max(4, clients) : clients,
    keys,
    readRatio,
    casRatio,
    thinkTimeMeanMs: storm ? Math.min(5, thinkTimeMeanMs) : thinkTimeMeanMs,
    clientTimeoutMs,
    routing,
    snapshotEveryEntries,
    safetyDurationMs: options.safetyDurationMs ?? safetyDurationMs,
    livenessBoundMs: 30_000,
  };
}

/** The parameters as stable `name=value` lines (same params → same text). */
export function formatParams(p: SimParams): string[] {
  const f = p.faults;
  const kinds = [
    f.crashWeight > 0 ? `crash:${f.crashWeight}` : '',
    f.pauseWeight > 0 ? `pause:${f.pauseWeight}` : '',
    f.partitionWeight > 0 ? `partition:${f.partitionWeight}` : '',
    f.transferWeight > 0 ? `transfer:${f.transferWeight}` : '',
    f.newLeaderIsolateRate > 0 ? `isolateNewLeader:${f.newLeaderIsolateRate}/${f.newLeaderIsolateDelayMsMax}ms` : '',
  ].filter((s) => s !== '');
  return [
    `cluster: profile=${p.profile} nodes=${p.nodes} detector=${p.detector} preVote=${p.preVote} checkQuorum=${p.checkQuorum} leaseReads=${p.leaseReads} ` +
      `heartbeat=${p.heartbeatIntervalMs}ms election=${p.electionTimeoutMs}ms tick=${p.tickIntervalMs}ms ` +
      `snapshotEvery=${p.snapshotEveryEntries} msgBytes=${p.maxSizePerMsgBytes} inflight=${p.maxInflightMsgs}${p.plantBug ? ` plantBug=${p.plantBug}` : ''}`,
    `network: latency=${p.latencyMeanMs}ms sigma=${p.latencySigma} linkSpread=${p.linkSpreadMax} ` +
      `loss=${p.lossRate} dup=${p.duplicateRate} reorder=${p.reorderRate}/${p.reorderDelayMsMax}ms`,
    `disk: fsync=${p.fsyncMsMin}..${p.fsyncMsMax}ms  clocks: rateSpread=${p.clockRateSpread} offsetMax=${p.clockOffsetMsMax}ms`,
    `faults: ${kinds.length > 0 ? kinds.join(' ') : 'none'} every~${f.intervalMeanMs}ms last~${f.durationMeanMs}ms ` +
      `leaderTarget=${f.targetLeaderRate} downMax=${f.downNodesMax} shapes=${f.shapes.join(',')}`,
    `workload: clients=${p.clients} keys=${p.keys} read=${p.readRatio} cas=${p.casRatio} think~${p.thinkTimeMeanMs}ms ` +
      `timeout=${p.clientTimeoutMs}ms routing=${p.routing}`,
    `phases: safety=${p.safetyDurationMs}ms livenessBound=${p.livenessBoundMs}ms`,
  ];
}
