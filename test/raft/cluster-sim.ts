import { NinesError } from '../../src/core/errors.js';
import { type LogIndex, logIndex } from '../../src/core/ids.js';
import { SeededRandom } from '../../src/core/random.js';
import type { DetectorFactory } from '../../src/detect/detector.js';
import type { RaftTestBugs } from '../../src/raft/config.js';
import type { Message } from '../../src/raft/messages.js';
import type { Ready } from '../../src/raft/rawnode.js';
import {
  applyAndAdvance,
  createNode,
  type NodeOptions,
  persistReady,
  processReady,
  restartNode,
  type TestNode,
} from './harness.js';

/**
 * A small seeded cluster in virtual time for the Raft paper's properties: random latency,
 * drops, duplicates, partitions, restarts, snapshots; proposals at random nodes. Every
 * safety check runs as it goes and throws a `SafetyViolation` naming the property.
 */
export class SafetyViolation extends Error {
  constructor(
    readonly property: string,
    message: string,
  ) {
    super(`${property}: ${message}`);
    this.name = 'SafetyViolation';
  }
}

export interface SimParams {
  readonly seed: number;
  readonly nodes: number;
  readonly durationMs: number;
  readonly dropRate: number;
  readonly bugs?: RaftTestBugs;
  readonly preVote?: boolean;
  readonly checkQuorum?: boolean;
  /** Default 64: a few entries per message. */
  readonly maxSizePerMsgBytes?: number;
  /** Multiplies the rate of partitions, restarts and compactions (default 1). */
  readonly faultRate?: number;
  /** Leader failure detector (adaptive mode); undefined = fixed timeouts. */
  readonly detector?: DetectorFactory;
  /** Chance that a leader is cut off right after a Ready that commits (figure-8 hunting). */
  readonly isolateLeaderOnCommit?: number;
}

interface InFlight {
  readonly m: Message;
  readonly atMs: number;
}

const STEP_MS = 10;

export interface SimResult {
  readonly leadersElected: number;
  readonly committed: number;
  readonly livenessOk: boolean;
}

export function runSim(p: SimParams): SimResult {
  const rnd = new SeededRandom(p.seed);
  const ids = Array.from({ length: p.nodes }, (_, i) => i + 1);
  const opts: NodeOptions = {
    voters: ids,
    heartbeatIntervalMs: 50,
    electionTimeoutMs: 300,
    preVote: p.preVote ?? rnd.float() < 0.5,
    checkQuorum: p.checkQuorum ?? rnd.float() < 0.5,
    maxSizePerMsgBytes: p.maxSizePerMsgBytes ?? 64,
    maxInflightMsgs: 4,
    ...(p.bugs !== undefined ? { testBugs: p.bugs } : {}),
    ...(p.detector !== undefined ? { detector: p.detector } : {}),
  };
  const nodes = ids.map((id) => createNode(id, { ...opts, seed: p.seed * 31 + id }));
  let inflight: InFlight[] = [];
  let blocked = new Set<string>();
  const down = new Set<number>();
  const leaderOfTerm = new Map<number, number>();
  const lastLeaderTerm = new Map<number, number>();
  /** The committed sequence as observed by appliers: index -> "term/data". */
  const committed = new Map<number, string>();
  let leadersElected = 0;
  /** Liveness phase: no more faults. */
  let healing = false;

  const deliverLater = (m: Message, now: number) => {
    if (rnd.float() < p.dropRate) return;
    const atMs = now + rnd.int(1, 40);
    inflight.push({ m, atMs });
    if (rnd.float() < 0.02) inflight.push({ m, atMs: atMs + rnd.int(1, 60) });
  };

  const checkNode = (n: TestNode) => {
    for (const [index, value] of n.applied) {
      const seen = committed.get(index);
      if (seen === undefined) committed.set(index, value);
      else if (seen !== value) {
        throw new SafetyViolation('state machine safety', `node ${n.id} applied ${value} at ${index}, another node ${seen}`);
      }
    }
    n.applied.clear();
    const s = n.rn.status();
    if (s.role === 'leader') {
      const other = leaderOfTerm.get(s.term);
      if (other !== undefined && other !== n.id) {
        throw new SafetyViolation('election safety', `nodes ${other} and ${n.id} both lead term ${s.term}`);
      }
      if (other === undefined) {
        leaderOfTerm.set(s.term, n.id);
        leadersElected++;
      }
      if (lastLeaderTerm.get(n.id) !== s.term) {
        lastLeaderTerm.set(n.id, s.term);
        // Leader completeness: every entry known committed is in the new leader's log.
        const first = n.storage.firstIndex();
        const last = n.storage.lastIndex();
        for (const [index, value] of committed) {
          if (index < first) continue;
          if (index > last) {
            throw new SafetyViolation('leader completeness', `leader ${n.id} of term ${s.term} lacks committed entry ${index}`);
          }
          const t = n.storage.term(logIndex(index));
          if (`${t}` !== value.slice(0, value.indexOf('/'))) {
            throw new SafetyViolation('leader completeness', `leader ${n.id} of term ${s.term} has term ${t} at committed ${index} (${value})`);
          }
        }
      }
    }
  };

  const checkLogMatching = () => {
    for (let i = 0; i < nodes.length; i++) {
      for (let j = i + 1; j < nodes.length; j++) {
        const a = nodes[i]!.storage;
        const b = nodes[j]!.storage;
        const lo = Math.max(a.firstIndex(), b.firstIndex());
        const hi = Math.min(a.lastIndex(), b.lastIndex());
        let matchedFrom = -1;
        for (let k = hi; k >= lo; k--) {
          if (a.term(logIndex(k)) === b.term(logIndex(k))) {
            matchedFrom = k;
            break;
          }
        }
        if (matchedFrom < lo) continue;
        const ea = a.entries(logIndex(lo), logIndex(matchedFrom + 1), Number.MAX_SAFE_INTEGER);
        const eb = b.entries(logIndex(lo), logIndex(matchedFrom + 1), Number.MAX_SAFE_INTEGER);
        for (let k = 0; k < ea.length; k++) {
          const x = ea[k]!;
          const y = eb[k]!;
          if (x.term !== y.term || x.type !== y.type || new TextDecoder().decode(x.data) !== new TextDecoder().decode(y.data)) {
            throw new SafetyViolation(
              'log matching',
              `nodes ${nodes[i]!.id} and ${nodes[j]!.id} agree at ${matchedFrom} (term ${a.term(logIndex(matchedFrom))}) but differ at ${x.index}`,
            );
          }
        }
      }
    }
  };

  /** Send a Ready's messages, unless the figure-8 hunter cuts this committing leader off first. */
  const send = (n: TestNode, rd: Ready, now: number) => {
    if (
      !healing &&
      p.isolateLeaderOnCommit !== undefined &&
      rd.hardState !== undefined &&
      rd.committedEntries.length > 0 &&
      n.rn.status().role === 'leader' &&
      rnd.float() < p.isolateLeaderOnCommit
    ) {
      blocked = new Set();
      for (const x of ids) if (x !== n.id) blocked.add(`${x}-${n.id}`).add(`${n.id}-${x}`);
      return;
    }
    for (const m of rd.messages) deliverLater(m, now);
  };

  const stepAll = (now: number) => {
    for (const n of nodes) {
      if (down.has(n.id)) continue;
      n.nowMs = now;
      n.rn.tick(now);
    }
    // Messages arrive while each node has a Ready persisted but not yet advanced: raft must
    // accept steps between ready() and advance() (as an asynchronous storage loop does).
    const outstanding: [TestNode, Ready][] = [];
    for (const n of nodes) {
      if (down.has(n.id)) continue;
      const rd = persistReady(n);
      if (rd === undefined) continue;
      outstanding.push([n, rd]);
      send(n, rd, now);
    }
    const due = inflight.filter((f) => f.atMs <= now);
    inflight = inflight.filter((f) => f.atMs > now);
    for (const { m } of due) {
      if (down.has(m.to) || blocked.has(`${m.from}-${m.to}`)) continue;
      nodes[m.to - 1]!.rn.step(m);
    }
    for (const [n, rd] of outstanding) applyAndAdvance(n, rd);
    for (const n of nodes) {
      if (down.has(n.id)) continue;
      for (let round = 0; round < 4; round++) {
        const rd = processReady(n);
        if (rd === undefined) break;
        send(n, rd, now);
      }
      checkNode(n);
    }
  };

  const propose = (tag: string) => {
    const n = nodes[rnd.int(0, nodes.length - 1)]!;
    if (down.has(n.id)) return;
    try {
      n.rn.propose(new TextEncoder().encode(tag));
    } catch (err) {
      if (!(err instanceof NinesError)) throw err;
    }
  };

  let now = 0;
  for (; now < p.durationMs; now += STEP_MS) {
    if (rnd.float() < 0.15) propose(`v${p.seed}-${now}`);
    const r = rnd.float() / (p.faultRate ?? 1);
    if (r < 0.003) {
      // Partition: isolate one node, or split into two random groups.
      blocked = new Set();
      const side = new Set(ids.filter(() => rnd.float() < 0.4));
      for (const x of ids) for (const y of ids) if (side.has(x) !== side.has(y)) blocked.add(`${x}-${y}`);
    } else if (r < 0.006) {
      blocked = new Set();
    } else if (r < 0.008) {
      const id = rnd.int(1, p.nodes);
      if (down.has(id)) {
        down.delete(id);
        restartNode(nodes[id - 1]!, { ...opts, seed: p.seed * 17 + id + now });
        nodes[id - 1]!.rn.tick(now);
      } else if (down.size + 1 < p.nodes / 2) {
        down.add(id);
      }
    } else if (r < 0.009) {
      // Snapshot + compaction on a random node (keeps a few entries).
      const n = nodes[rnd.int(0, nodes.length - 1)]!;
      const at = n.appliedIndex - 3;
      if (!down.has(n.id) && at > n.storage.snapshot().metadata.index && at >= n.storage.firstIndex()) {
        n.storage.compact(at as LogIndex, new TextEncoder().encode(`snap${at}`), n.confState);
      }
    }
    stepAll(now);
    if (now % 500 === 0) checkLogMatching();
  }

  // Liveness: heal everything, restart the down nodes, and expect a fresh proposal to commit.
  healing = true;
  blocked = new Set();
  for (const id of down) {
    restartNode(nodes[id - 1]!, { ...opts, seed: p.seed * 13 + id });
    nodes[id - 1]!.rn.tick(now);
  }
  down.clear();
  const marker = `final-${p.seed}`;
  let livenessOk = false;
  const deadline = now + 20 * opts.electionTimeoutMs!;
  let proposedAt = -1;
  for (; now < deadline && !livenessOk; now += STEP_MS) {
    if (now - proposedAt > 1000) {
      const leader = nodes.find((n) => n.rn.status().role === 'leader');
      if (leader !== undefined) {
        try {
          leader.rn.propose(new TextEncoder().encode(marker));
          proposedAt = now;
        } catch (err) {
          if (!(err instanceof NinesError)) throw err;
        }
      }
    }
    stepAll(now);
    livenessOk = [...committed.values()].some((v) => v.endsWith(`/${marker}`));
  }
  checkLogMatching();
  return { leadersElected, committed: committed.size, livenessOk };
}
