import { assert } from '../core/errors.js';
import type { NodeId } from '../core/ids.js';
import type { Random } from '../core/random.js';

/**
 * Jepsen's partition shapes. A partition is a *grudge*: for each node, the set of nodes it
 * does not hear from (messages from them to it are dropped). Shapes are pure functions of the
 * node list, the current leader and a seeded `Random`.
 */
export const PARTITION_SHAPES = ['isolate-one', 'isolate-leader', 'halves', 'majorities-ring', 'bridge'] as const;
export type PartitionShape = (typeof PARTITION_SHAPES)[number];

/** node → the nodes it does not hear from. Nodes absent from the map hear from everyone. */
export type Grudge = ReadonlyMap<NodeId, ReadonlySet<NodeId>>;

/** A drawn partition: its shape, the grudge, and a short description for traces. */
export interface Partition {
  readonly shape: PartitionShape;
  readonly grudge: Grudge;
  readonly description: string;
}

/** The majority size of `n` voters: ⌊n/2⌋ + 1. */
export function majority(n: number): number {
  return Math.floor(n / 2) + 1;
}

/** Fisher–Yates shuffle with a seeded `Random` (a new array). */
export function shuffle<T>(items: readonly T[], random: Random): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = random.int(0, i);
    const t = out[i]!;
    out[i] = out[j]!;
    out[j] = t;
  }
  return out;
}

/** A grudge that splits the nodes into components that hear only from their own members. */
export function componentsGrudge(components: readonly (readonly NodeId[])[]): Grudge {
  const grudge = new Map<NodeId, Set<NodeId>>();
  for (const component of components) {
    for (const node of component) {
      const others = new Set<NodeId>();
      for (const other of components) {
        if (other === component) continue;
        for (const o of other) others.add(o);
      }
      grudge.set(node, others);
    }
  }
  return grudge;
}

function fmt(nodes: readonly NodeId[]): string {
  return `{${[...nodes].sort((a, b) => a - b).join(',')}}`;
}

/**
 * Draw a partition of `shape` over `nodes` (at least 2, ids distinct).
 * - `isolate-one`: a random node is cut off from all others (both directions).
 * - `isolate-leader`: like isolate-one, choosing `leader` when known.
 * - `halves`: a random minority ⌊n/2⌋ and majority ⌈n/2⌉, cut from each other.
 * - `majorities-ring`: nodes in a shuffled ring; each hears only from the majority window
 *   starting at itself, so every node sees a majority but no two see the same one.
 * - `bridge`: two halves cut from each other except one node that hears from and is heard by
 *   both (for 3 nodes: two singletons joined by the bridge).
 */
export function drawPartition(
  shape: PartitionShape,
  nodes: readonly NodeId[],
  leader: NodeId | undefined,
  random: Random,
): Partition {
  assert(nodes.length >= 2, 'a partition needs at least 2 nodes');
  assert(new Set(nodes).size === nodes.length, 'node ids must be distinct');
  switch (shape) {
    case 'isolate-one':
    case 'isolate-leader': {
      const pick =
        shape === 'isolate-leader' && leader !== undefined && nodes.includes(leader)
          ? leader
          : nodes[random.int(0, nodes.length - 1)]!;
      const rest = nodes.filter((n) => n !== pick);
      return { shape, grudge: componentsGrudge([[pick], rest]), description: `${fmt([pick])} | ${fmt(rest)}` };
    }
    case 'halves': {
      const order = shuffle(nodes, random);
      const small = order.slice(0, Math.floor(nodes.length / 2));
      const big = order.slice(small.length);
      return { shape, grudge: componentsGrudge([small, big]), description: `${fmt(small)} | ${fmt(big)}` };
    }
    case 'majorities-ring': {
      const ring = shuffle(nodes, random);
      const n = ring.length;
      const m = majority(n);
      const grudge = new Map<NodeId, Set<NodeId>>();
      const views: string[] = [];
      for (let i = 0; i < n; i++) {
        const window = new Set<NodeId>();
        for (let k = 0; k < m; k++) window.add(ring[(i + k) % n]!);
        const node = ring[i]!;
        grudge.set(node, new Set(nodes.filter((x) => !window.has(x))));
        views.push(`${node}<-${fmt([...window])}`);
      }
      return { shape, grudge, description: `ring ${views.join(' ')}` };
    }
    case 'bridge': {
      const order = shuffle(nodes, random);
      const bridge = order[0]!;
      const rest = order.slice(1);
      const left = rest.slice(0, Math.floor(rest.length / 2));
      const right = rest.slice(left.length);
      const grudge = new Map<NodeId, Set<NodeId>>();
      for (const a of left) grudge.set(a, new Set(right));
      for (const b of right) grudge.set(b, new Set(left));
      grudge.set(bridge, new Set());
      return { shape, grudge, description: `${fmt(left)} - ${bridge} - ${fmt(right)}` };
    }
  }
}

/** True when `to` does not hear from `from` under `grudge`. */
export function isCut(grudge: Grudge, from: NodeId, to: NodeId): boolean {
  return grudge.get(to)?.has(from) ?? false;
}
