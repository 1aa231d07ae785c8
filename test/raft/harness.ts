import { logIndex, type NodeId, nodeId } from '../../src/core/ids.js';
import { SeededRandom } from '../../src/core/random.js';
import type { DetectorFactory, FailureDetector } from '../../src/detect/detector.js';
import { decodeConfChange } from '../../src/raft/confchange.js';
import type { RaftConfig } from '../../src/raft/config.js';
import { MemoryStorage } from '../../src/raft/memory-storage.js';
import { RawNode, type Ready } from '../../src/raft/rawnode.js';
import type { ConfState } from '../../src/raft/types.js';

/** One node of a test cluster: a RawNode, its storage, its clock and its applied history. */
export interface TestNode {
  readonly id: NodeId;
  rn: RawNode;
  readonly storage: MemoryStorage;
  nowMs: number;
  /** Applied entries by index as "term/data" (conf changes as "term/conf:<type>:<id>"). */
  readonly applied: Map<number, string>;
  /** Highest index applied (entries or snapshot). */
  appliedIndex: number;
  confState: ConfState;
}

export type NodeOptions = Omit<RaftConfig, 'id' | 'storage' | 'random' | 'voters' | 'learners'> & {
  voters: readonly number[];
  learners?: readonly number[];
  seed?: number;
};

const decoder = new TextDecoder();

export function createNode(id: number, opts: NodeOptions, storage = new MemoryStorage()): TestNode {
  const nid = nodeId(id);
  const { seed, voters, learners, ...rest } = opts;
  const rn = new RawNode({
    ...rest,
    id: nid,
    voters: voters.map(nodeId),
    learners: (learners ?? []).map(nodeId),
    storage,
    random: new SeededRandom(seed ?? id),
  });
  return {
    id: nid,
    rn,
    storage,
    nowMs: 0,
    applied: new Map(),
    appliedIndex: storage.snapshot().metadata.index,
    confState: rn.status().confState,
  };
}

/** Rebuild a node's RawNode from its storage (a restart; everything in storage survived). */
export function restartNode(node: TestNode, opts: NodeOptions): void {
  const { seed, voters, learners, ...rest } = opts;
  node.rn = new RawNode({
    ...rest,
    id: node.id,
    voters: voters.map(nodeId),
    learners: (learners ?? []).map(nodeId),
    storage: node.storage,
    random: new SeededRandom((seed ?? node.id) + 1000),
    applied: logIndex(node.appliedIndex),
  });
}

/**
 * The application loop for one Ready: persist, (caller sends messages), apply, advance.
 * Returns the Ready, or undefined when there was none.
 */
export function processReady(node: TestNode): Ready | undefined {
  const rd = persistReady(node);
  if (rd !== undefined) applyAndAdvance(node, rd);
  return rd;
}

/** Steps 1 of the loop: take the Ready and persist it (messages may go out after this). */
export function persistReady(node: TestNode): Ready | undefined {
  if (!node.rn.hasReady()) return undefined;
  const rd = node.rn.ready();
  if (rd.snapshot !== undefined) {
    node.storage.applySnapshot(rd.snapshot);
    node.appliedIndex = Math.max(node.appliedIndex, rd.snapshot.metadata.index);
    node.confState = rd.snapshot.metadata.confState;
  }
  node.storage.append(rd.entries);
  if (rd.hardState !== undefined) node.storage.setHardState(rd.hardState);
  return rd;
}

/** Steps 3 and 4: apply committed entries, then advance. */
export function applyAndAdvance(node: TestNode, rd: Ready): void {
  for (const e of rd.committedEntries) {
    if (e.type === 'confChange') {
      const cc = decodeConfChange(e.data);
      node.confState = node.rn.applyConfChange(cc);
      node.storage.setConfState(node.confState);
      node.applied.set(e.index, `${e.term}/conf:${cc.type}:${cc.nodeId}`);
    } else {
      node.applied.set(e.index, `${e.term}/${decoder.decode(e.data)}`);
    }
    node.appliedIndex = e.index;
  }
  node.rn.advance(rd);
}

/** A synchronous in-memory network: processes Readies and delivers messages until quiet. */
export class TestNet {
  readonly nodes = new Map<number, TestNode>();
  queue: import('../../src/raft/messages.js').Message[] = [];
  /** Directed links that drop messages, "from-to". */
  readonly blocked = new Set<string>();
  /** Message types the network loses. */
  readonly dropTypes = new Set<string>();

  constructor(ids: readonly number[], opts: Omit<NodeOptions, 'voters'> & { voters?: readonly number[] } = {}) {
    for (const id of ids) {
      const n = createNode(id, { ...opts, voters: opts.voters ?? ids });
      n.rn.tick(0);
      this.nodes.set(id, n);
    }
  }

  node(id: number): TestNode {
    const n = this.nodes.get(id);
    if (n === undefined) throw new Error(`no node ${id}`);
    return n;
  }

  isolate(id: number): void {
    for (const other of this.nodes.keys()) {
      if (other === id) continue;
      this.blocked.add(`${id}-${other}`);
      this.blocked.add(`${other}-${id}`);
    }
  }

  heal(): void {
    this.blocked.clear();
  }

  tick(id: number, deltaMs: number): void {
    const n = this.node(id);
    n.nowMs += deltaMs;
    n.rn.tick(n.nowMs);
  }

  /** Loop Ready processing and delivery until nothing moves (bounded). */
  stabilize(roundsMax = 1000): void {
    for (let round = 0; round < roundsMax; round++) {
      let moved = false;
      for (const n of this.nodes.values()) {
        const rd = processReady(n);
        if (rd !== undefined) {
          moved = true;
          this.queue.push(...rd.messages);
        }
      }
      const msgs = this.queue;
      this.queue = [];
      for (const m of msgs) {
        moved = true;
        if (this.blocked.has(`${m.from}-${m.to}`) || this.dropTypes.has(m.type)) continue;
        this.nodes.get(m.to)?.rn.step(m);
      }
      if (!moved) return;
    }
    throw new Error('network did not stabilize');
  }

  leader(): TestNode | undefined {
    return [...this.nodes.values()].find((n) => n.rn.status().role === 'leader');
  }
}

/** A boolean timeout detector for tests: suspects after `thresholdMs` of silence. */
export function timeoutDetector(thresholdMs: number): DetectorFactory {
  return (): FailureDetector => {
    let last: number | undefined;
    return {
      name: 'test-timeout',
      heartbeat(t) {
        last = t;
      },
      suspicion(now) {
        return last === undefined ? 0 : now - last >= thresholdMs ? Number.POSITIVE_INFINITY : 0;
      },
      suspected(now) {
        return last !== undefined && now - last >= thresholdMs;
      },
      reset() {
        last = undefined;
      },
    };
  };
}

