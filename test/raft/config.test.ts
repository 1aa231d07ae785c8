import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../../src/core/errors.js';
import { type NodeId, nodeId } from '../../src/core/ids.js';
import { SeededRandom } from '../../src/core/random.js';
import { RAFT_PRESETS, type RaftConfig, validateConfig } from '../../src/raft/config.js';
import { MemoryStorage } from '../../src/raft/memory-storage.js';

const ids = (...xs: number[]): NodeId[] => xs.map(nodeId);

function base(over: Partial<RaftConfig> = {}): RaftConfig {
  return { id: nodeId(1), voters: ids(1, 2, 3), storage: new MemoryStorage(), random: new SeededRandom(1), ...over };
}

describe('validateConfig', () => {
  it('fills etcd defaults', () => {
    const c = validateConfig(base());
    expect(c.heartbeatIntervalMs).toBe(100);
    expect(c.electionTimeoutMs).toBe(1000);
    expect(c.preVote).toBe(true);
    expect(c.checkQuorum).toBe(true);
    expect(c.leaseReads).toBe(false);
    expect(c.leaseGuardMs).toBe(1000);
    expect(c.leaseDurationMs).toBe(900);
    expect(c.detectorFloorMs).toBe(300);
    expect(c.learners).toEqual([]);
  });

  it('uses the detector floor as the lease guard in adaptive mode', () => {
    const c = validateConfig(base({ detector: () => ({ name: 'x', heartbeat() {}, suspicion: () => 0, suspected: () => false, reset() {} }) }));
    expect(c.leaseGuardMs).toBe(300);
    expect(c.leaseDurationMs).toBe(270);
  });

  const bad: [string, Partial<RaftConfig>, string][] = [
    ['election <= heartbeat', { electionTimeoutMs: 100, heartbeatIntervalMs: 100 }, 'electionTimeoutMs'],
    ['leaseReads without checkQuorum', { leaseReads: true, checkQuorum: false }, 'leaseReads'],
    ['id not a member', { id: nodeId(9) }, 'id 9'],
    ['empty voters', { voters: [] }, 'voters'],
    ['duplicate voter', { voters: ids(1, 1, 2) }, 'voters'],
    ['voter and learner', { learners: ids(2) }, 'node 2'],
    ['negative heartbeat', { heartbeatIntervalMs: -1 }, 'heartbeatIntervalMs'],
    ['zero inflight', { maxInflightMsgs: 0 }, 'maxInflightMsgs'],
    ['inflight bytes below msg size', { maxInflightBytes: 10, maxSizePerMsgBytes: 100 }, 'maxInflightBytes'],
    ['floor above election', { detectorFloorMs: 2000 }, 'detectorFloorMs'],
    ['drift >= guard', { clockDriftBoundMs: 1000 }, 'clockDriftBoundMs'],
    ['lease with zero drift', { leaseReads: true, clockDriftBoundMs: 0 }, 'clockDriftBoundMs'],
    ['applied not an integer', { applied: 1.5 as never }, 'applied'],
  ];
  for (const [name, over, field] of bad) {
    it(`rejects ${name}, naming the field`, () => {
      let caught: unknown;
      try {
        validateConfig(base(over));
      } catch (err) {
        caught = err;
      }
      expect(caught).toBeInstanceOf(InvalidArgumentError);
      expect((caught as Error).message).toContain(field);
    });
  }

  it('ignores the initial membership when storage has a ConfState', () => {
    const storage = new MemoryStorage();
    storage.setConfState({ voters: ids(7, 8, 9), learners: [], votersOutgoing: [] });
    expect(() => validateConfig(base({ storage, voters: [] }))).not.toThrow();
  });
});

describe('RAFT_PRESETS', () => {
  it('every preset validates and keeps election = 10 × heartbeat', () => {
    for (const [name, preset] of Object.entries(RAFT_PRESETS)) {
      const c = validateConfig(base(preset));
      expect(c.electionTimeoutMs, name).toBe(10 * c.heartbeatIntervalMs);
    }
  });
});
