import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type NodeId, nodeId } from '../../src/core/ids.js';
import { SeededRandom } from '../../src/core/random.js';
import { drawPartition, isCut, majority, PARTITION_SHAPES } from '../../src/sim/partitions.js';

const ids = (n: number): NodeId[] => Array.from({ length: n }, (_, i) => nodeId(i + 1));

/** Nodes that `node` hears from (itself included). */
function hears(grudge: ReturnType<typeof drawPartition>['grudge'], nodes: NodeId[], node: NodeId): NodeId[] {
  return nodes.filter((from) => from === node || !isCut(grudge, from, node));
}

describe('partition shapes', () => {
  it('isolate-one cuts exactly one node off, both ways', () => {
    const nodes = ids(5);
    const p = drawPartition('isolate-one', nodes, undefined, new SeededRandom(3));
    const isolated = nodes.filter((n) => hears(p.grudge, nodes, n).length === 1);
    expect(isolated).toHaveLength(1);
    const lone = isolated[0]!;
    for (const other of nodes) {
      if (other === lone) continue;
      expect(isCut(p.grudge, lone, other)).toBe(true);
      expect(isCut(p.grudge, other, lone)).toBe(true);
      expect(hears(p.grudge, nodes, other)).toHaveLength(4);
    }
  });

  it('isolate-leader isolates the given leader', () => {
    const nodes = ids(3);
    for (const leader of nodes) {
      const p = drawPartition('isolate-leader', nodes, leader, new SeededRandom(leader));
      expect(hears(p.grudge, nodes, leader)).toEqual([leader]);
    }
  });

  it('halves splits into a minority and a majority that cannot talk', () => {
    fc.assert(
      fc.property(fc.constantFrom(3, 4, 5, 7), fc.integer({ min: 0, max: 1000 }), (n, seed) => {
        const nodes = ids(n);
        const p = drawPartition('halves', nodes, undefined, new SeededRandom(seed));
        const sizes = nodes.map((x) => hears(p.grudge, nodes, x).length).sort((a, b) => a - b);
        const small = Math.floor(n / 2);
        expect(sizes).toEqual([...Array(small).fill(small), ...Array(n - small).fill(n - small)]);
        for (const a of nodes) for (const b of nodes) expect(isCut(p.grudge, a, b)).toBe(isCut(p.grudge, b, a));
      }),
    );
  });

  it('majorities-ring: every node hears a majority, no two the same one', () => {
    fc.assert(
      fc.property(fc.constantFrom(3, 5, 7), fc.integer({ min: 0, max: 1000 }), (n, seed) => {
        const nodes = ids(n);
        const p = drawPartition('majorities-ring', nodes, undefined, new SeededRandom(seed));
        const views = nodes.map((x) => hears(p.grudge, nodes, x).join(','));
        for (const x of nodes) expect(hears(p.grudge, nodes, x)).toHaveLength(majority(n));
        expect(new Set(views).size).toBe(n);
      }),
    );
  });

  it('bridge: one node talks to both sides, the sides do not talk', () => {
    fc.assert(
      fc.property(fc.constantFrom(3, 5), fc.integer({ min: 0, max: 1000 }), (n, seed) => {
        const nodes = ids(n);
        const p = drawPartition('bridge', nodes, undefined, new SeededRandom(seed));
        const bridges = nodes.filter((x) => hears(p.grudge, nodes, x).length === n);
        expect(bridges).toHaveLength(1);
        const bridge = bridges[0]!;
        for (const x of nodes) {
          if (x === bridge) continue;
          expect(isCut(p.grudge, bridge, x)).toBe(false);
          expect(isCut(p.grudge, x, bridge)).toBe(false);
          // Each side hears itself and the bridge only: (n-1)/2 + 1 nodes.
          expect(hears(p.grudge, nodes, x)).toHaveLength((n - 1) / 2 + 1);
        }
      }),
    );
  });

  it('is a pure function of its random stream', () => {
    for (const shape of PARTITION_SHAPES) {
      const a = drawPartition(shape, ids(5), nodeId(2), new SeededRandom(9));
      const b = drawPartition(shape, ids(5), nodeId(2), new SeededRandom(9));
      expect(a.description).toBe(b.description);
    }
  });

  it('rejects degenerate inputs', () => {
    expect(() => drawPartition('halves', ids(1), undefined, new SeededRandom(1))).toThrow(/at least 2/);
    expect(() => drawPartition('halves', [nodeId(1), nodeId(1)], undefined, new SeededRandom(1))).toThrow(/distinct/);
  });
});
