import { describe, expect, it } from 'vitest';
import { type NodeId, nodeId } from '../../src/core/ids.js';
import { SeededRandom } from '../../src/core/random.js';
import { SimNetwork } from '../../src/sim/network.js';
import { componentsGrudge } from '../../src/sim/partitions.js';

const ids: NodeId[] = [nodeId(1), nodeId(2), nodeId(3)];
const base = {
  latencyMeanMs: 10,
  latencySigma: 0,
  linkSpreadMax: 1,
  lossRate: 0,
  duplicateRate: 0,
  reorderRate: 0,
  reorderDelayMsMax: 0,
};

describe('SimNetwork', () => {
  it('delivers after the link latency, and cuts at send and at delivery time', () => {
    const net = new SimNetwork(ids, base, new SeededRandom(1));
    expect(net.send(ids[0]!, ids[1]!, 100)).toEqual([110]);
    net.partition(componentsGrudge([[ids[0]!], [ids[1]!, ids[2]!]]));
    expect(net.partitioned).toBe(true);
    expect(net.send(ids[0]!, ids[1]!, 100)).toEqual([]);
    expect(net.arrives(ids[0]!, ids[1]!)).toBe(false);
    expect(net.arrives(ids[1]!, ids[2]!)).toBe(true);
    net.heal();
    expect(net.partitioned).toBe(false);
    expect(net.arrives(ids[0]!, ids[1]!)).toBe(true);
    expect(net.stats.cut).toBe(2);
  });

  it('drops, duplicates and reorders at about the configured rates', () => {
    const net = new SimNetwork(
      ids,
      { ...base, lossRate: 0.2, duplicateRate: 0.1, reorderRate: 0.5, reorderDelayMsMax: 50, latencySigma: 0.5 },
      new SeededRandom(2),
    );
    let lost = 0;
    let dup = 0;
    let late = 0;
    const n = 10_000;
    for (let i = 0; i < n; i++) {
      const times = net.send(ids[0]!, ids[2]!, 0);
      if (times.length === 0) lost++;
      if (times.length === 2) dup++;
      if (times.some((t) => t > 40)) late++;
    }
    expect(lost / n).toBeGreaterThan(0.17);
    expect(lost / n).toBeLessThan(0.23);
    expect(dup / (n - lost)).toBeGreaterThan(0.08);
    expect(dup / (n - lost)).toBeLessThan(0.12);
    expect(late).toBeGreaterThan(0);
    net.setLossRate(0);
    expect(net.send(ids[0]!, ids[2]!, 0).length).toBeGreaterThan(0);
  });
});
