import { describe, expect, it } from 'vitest';
import { type NodeId, nodeId } from '../../src/core/ids.js';
import { LeaderLease } from '../../src/raft/lease.js';

const voters: NodeId[] = [1, 2, 3, 4, 5].map(nodeId);
const self = nodeId(1);

describe('LeaderLease', () => {
  it('runs from the latest send time a quorum has acknowledged', () => {
    const lease = new LeaderLease(900);
    expect(lease.valid(0, voters, self)).toBe(false);
    lease.ack(nodeId(2), 100);
    expect(lease.valid(150, voters, self)).toBe(false); // self + 2 of 5: no quorum
    lease.ack(nodeId(3), 50);
    // quorum {1, 2, 3}: the oldest of their acks is 50, so the lease lasts until 950 (exclusive).
    expect(lease.valid(949, voters, self)).toBe(true);
    expect(lease.valid(950, voters, self)).toBe(false);
    lease.ack(nodeId(4), 400);
    expect(lease.valid(999, voters, self)).toBe(true); // now {1, 2, 4}: from 100
    expect(lease.valid(1000, voters, self)).toBe(false);
  });

  it('never moves an ack backwards, and is gone once revoked or reset', () => {
    const lease = new LeaderLease(900);
    lease.ack(nodeId(2), 500);
    lease.ack(nodeId(2), 100);
    lease.ack(nodeId(3), 500);
    expect(lease.valid(1000, voters, self)).toBe(true);
    lease.revoke();
    expect(lease.valid(1000, voters, self)).toBe(false);
    lease.reset();
    expect(lease.valid(1000, voters, self)).toBe(false);
    lease.ack(nodeId(2), 950);
    lease.ack(nodeId(3), 950);
    expect(lease.valid(1000, voters, self)).toBe(true);
  });
});
