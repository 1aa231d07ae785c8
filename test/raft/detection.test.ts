import { describe, expect, it } from 'vitest';
import { nodeId } from '../../src/core/ids.js';
import type { DetectorFactory } from '../../src/detect/detector.js';
import { TestNet, timeoutDetector } from './harness.js';

/** Run a 3-node cluster with heartbeats, stop the leader, and measure when a follower campaigns. */
function failoverMs(opts: { detector?: DetectorFactory; seed: number }): number {
  const net = new TestNet([1, 2, 3], {
    ...(opts.detector !== undefined ? { detector: opts.detector } : {}),
    seed: opts.seed,
  });
  net.node(1).rn.campaign();
  net.stabilize();
  const step = 10;
  for (let t = 0; t < 1000; t += step) {
    for (const id of [1, 2, 3]) net.tick(id, step);
    net.stabilize();
  }
  expect(net.node(1).rn.status().role).toBe('leader');
  net.isolate(1);
  for (let waited = step; waited < 10_000; waited += step) {
    for (const id of [1, 2, 3]) net.tick(id, step);
    net.stabilize();
    const campaigning = [2, 3].some((id) => net.node(id).rn.status().role !== 'follower');
    if (campaigning) return waited;
  }
  throw new Error('no follower campaigned');
}

describe('leader failure detection', () => {
  it('fixed: a follower campaigns after a silence in [E, 2E)', () => {
    for (let seed = 1; seed <= 10; seed++) {
      const t = failoverMs({ seed });
      expect(t).toBeGreaterThanOrEqual(1000);
      expect(t).toBeLessThan(2000 + 100);
    }
  });

  it('adaptive: campaigns once the detector suspects and the floor [F, 2F) has passed', () => {
    for (let seed = 1; seed <= 10; seed++) {
      const t = failoverMs({ seed, detector: timeoutDetector(250) });
      // F = 3 × heartbeat = 300 ms; heartbeats arrive every 100 ms so silence is counted
      // from the last one, up to 100 ms before the isolation.
      expect(t).toBeGreaterThanOrEqual(300 - 100);
      expect(t).toBeLessThan(600);
    }
  });

  it('adaptive: a detector that never suspects falls back to the [E, 2E) timeout', () => {
    const never: DetectorFactory = () => ({ name: 'never', heartbeat() {}, suspicion: () => 0, suspected: () => false, reset() {} });
    const t = failoverMs({ seed: 3, detector: never });
    expect(t).toBeGreaterThanOrEqual(1000 - 100);
    expect(t).toBeLessThan(2000 + 100);
  });

  it('adaptive: voters honour the leader for F (CheckQuorum), so a flapping node cannot win early', () => {
    const net = new TestNet([1, 2, 3], { detector: timeoutDetector(250) });
    net.node(1).rn.campaign();
    net.stabilize();
    // 3 campaigns at once; 2 heard from the leader just now and refuses the pre-vote.
    net.node(3).rn.campaign();
    net.stabilize();
    expect(net.node(1).rn.status().role).toBe('leader');
    expect(net.node(2).rn.status().term).toBe(1);
  });

  it('fed by every leader message: no campaign while heartbeats flow', () => {
    const net = new TestNet([1, 2, 3], { detector: timeoutDetector(250) });
    net.node(1).rn.campaign();
    net.stabilize();
    for (let t = 0; t < 5000; t += 50) {
      for (const id of [1, 2, 3]) net.tick(id, 50);
      net.stabilize();
    }
    expect(net.node(1).rn.status().role).toBe('leader');
    expect(net.node(1).rn.status().term).toBe(1);
  });
});

describe('lease reads', () => {
  function leaseNet() {
    const net = new TestNet([1, 2, 3], { leaseReads: true });
    // Nodes honour a possibly forgotten lease for one guard period after boot.
    for (const id of [1, 2, 3]) net.tick(id, 1000);
    net.node(1).rn.campaign();
    net.stabilize();
    return net;
  }

  it('is valid only after a quorum acknowledged a heartbeat, for guard − drift', () => {
    const net = leaseNet();
    const rn = net.node(1).rn;
    expect(rn.leaseValid()).toBe(false);
    net.tick(1, 100); // heartbeat round
    net.stabilize();
    expect(rn.leaseValid()).toBe(true);
    net.isolate(1);
    net.tick(1, 850);
    expect(rn.leaseValid()).toBe(true);
    net.tick(1, 60); // 910 ms after the acknowledged heartbeat was sent: lease (900 ms) is over
    expect(rn.leaseValid()).toBe(false);
  });

  it('answers ReadIndex at once while valid', () => {
    const net = leaseNet();
    net.tick(1, 100);
    net.stabilize();
    const rn = net.node(1).rn;
    rn.readIndex(new TextEncoder().encode('r'));
    const rd = rn.ready();
    expect(rd.readStates.map((r) => r.index)).toEqual([rn.status().commit]);
    expect(rd.messages.filter((m) => m.type === 'heartbeat')).toEqual([]);
    rn.advance(rd);
  });

  it('is revoked by a leadership transfer', () => {
    const net = leaseNet();
    net.tick(1, 100);
    net.stabilize();
    net.node(1).rn.transferLeadership(nodeId(2));
    expect(net.node(1).rn.leaseValid()).toBe(false);
  });

  it('a restarted voter refuses votes for one guard period after boot', () => {
    const net = new TestNet([1, 2, 3], { leaseReads: true });
    net.node(1).rn.campaign();
    net.stabilize();
    expect(net.node(1).rn.status().role).not.toBe('leader');
    for (const id of [1, 2, 3]) net.tick(id, 1000);
    net.node(1).rn.campaign();
    net.stabilize();
    expect(net.node(1).rn.status().role).toBe('leader');
  });
});
