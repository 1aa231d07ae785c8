import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { NO_NODE, nodeId, type Term } from '../../src/core/ids.js';
import { SeededRandom } from '../../src/core/random.js';
import { validateConfig } from '../../src/raft/config.js';
import { LeaderWatch } from '../../src/raft/leader-watch.js';
import { MemoryStorage } from '../../src/raft/memory-storage.js';
import { decayedPenaltyMs, PAUSE_MARGIN_RATIO, PAUSE_PENALTY_SPREAD, PauseMemory } from '../../src/raft/pause-memory.js';
import { timeoutDetector } from './harness.js';

describe('decayedPenaltyMs', () => {
  it.each([
    // peak, elapsed, half-life, expected
    [0, 5000, 1000, 0],
    [800, 0, 1000, 800],
    [800, 999, 1000, 800],
    [800, 1000, 1000, 400],
    [800, 2999, 1000, 200],
    [800, 3000, 1000, 100],
    [800, -50, 1000, 800],
    [800, 40_000, 1000, 0],
  ])('peak %d after %d ms, half-life %d -> %d', (peak, elapsed, halfLife, expected) => {
    expect(decayedPenaltyMs(peak, elapsed, halfLife)).toBe(expected);
  });
});

describe('PauseMemory learning rule', () => {
  type Op = ['pause', number, number] | ['adopt', number, number, number?] | ['at', number];
  // max 1600 ms (2E / 1.25 with E = 1000), half-life 1000 ms. Expected values by hand:
  // a pause p adopts min(1.25 p, 1600) if larger than the current (decayed) penalty.
  const table: { name: string; ops: Op[]; expected: number[] }[] = [
    {
      name: 'one mistake, then decay by halves',
      ops: [['pause', 400, 0], ['at', 0], ['at', 999], ['at', 1000], ['at', 2500], ['at', 5000]],
      expected: [500, 500, 250, 125, 15.625],
    },
    {
      name: 'a smaller pause does not lower or refresh a larger penalty',
      ops: [['pause', 800, 0], ['pause', 400, 500], ['at', 500], ['at', 1000]],
      expected: [1000, 500],
    },
    {
      name: 'a smaller pause replaces a penalty that decayed below it, and restarts the decay',
      ops: [['pause', 400, 0], ['pause', 200, 2500], ['at', 2500], ['at', 3499], ['at', 3500]],
      expected: [250, 250, 125],
    },
    {
      name: 'capped at the maximum',
      ops: [['pause', 5000, 0], ['at', 0], ['pause', 1500, 10], ['at', 10]],
      expected: [1600, 1600],
    },
    {
      name: 'gossip adopts only larger values; garbage is ignored',
      ops: [
        ['adopt', 700, 0],
        ['adopt', 300, 100],
        ['at', 100],
        ['adopt', Number.NaN, 200],
        ['adopt', -5, 200],
        ['at', 200],
        ['adopt', 9000, 300],
        ['at', 300],
      ],
      expected: [700, 700, 1600],
    },
    {
      name: 'gossip with an age keeps the original decay schedule',
      ops: [['adopt', 1000, 500, 500], ['at', 500], ['at', 999], ['at', 1000], ['adopt', 1000, 1200, 1200], ['at', 1200], ['adopt', -1, 1200, 0], ['adopt', 900, 1300, Number.NaN], ['at', 1300]],
      expected: [1000, 1000, 500, 500, 500],
    },
  ];
  it.each(table)('$name', ({ ops, expected }) => {
    const m = new PauseMemory(1600, 1000);
    const seen: number[] = [];
    for (const op of ops) {
      if (op[0] === 'at') seen.push(m.penaltyMs(op[1]));
      else if (op[0] === 'pause') m.recordPause(op[1], op[2]);
      else m.adopt(op[1], op[2], op[3]);
    }
    expect(seen).toEqual(expected);
  });

  it('stays within [0, max] and never grows without a new pause (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.double({ min: 0, max: 10_000, noNaN: true }), fc.integer({ min: 0, max: 5000 })), {
          maxLength: 30,
        }),
        fc.integer({ min: 1, max: 5000 }),
        (pauses, probeMs) => {
          const m = new PauseMemory(1600, 1000);
          let now = 0;
          for (const [pause, gap] of pauses) {
            now += gap;
            m.recordPause(pause, now);
            const p = m.penaltyMs(now);
            expect(p).toBeGreaterThanOrEqual(Math.min(pause * PAUSE_MARGIN_RATIO, 1600));
            expect(p).toBeLessThanOrEqual(1600);
            expect(m.penaltyMs(now + probeMs)).toBeLessThanOrEqual(p);
          }
        },
      ),
    );
  });
});

describe('PauseMemory gossip', () => {
  it('two nodes gossiping one observation back and forth cannot keep it alive', () => {
    const a = new PauseMemory(1600, 1000);
    const b = new PauseMemory(1600, 1000);
    a.recordPause(800, 0);
    for (let t = 0; t <= 10_000; t += 50) {
      const ga = a.gossip(t);
      if (ga !== undefined) b.adopt(ga.peakMs, t, ga.ageMs);
      const gb = b.gossip(t);
      if (gb !== undefined) a.adopt(gb.peakMs, t, gb.ageMs);
      const alone = decayedPenaltyMs(1000, t, 1000);
      expect(a.penaltyMs(t)).toBe(alone);
      expect(b.penaltyMs(t)).toBe(alone);
    }
  });
});

describe('LeaderWatch: learning from a false suspicion', () => {
  const E = 1000;
  function watch(adaptive = true): LeaderWatch {
    const cfg = validateConfig({
      id: nodeId(1),
      voters: [nodeId(1), nodeId(2), nodeId(3)],
      storage: new MemoryStorage(),
      random: new SeededRandom(7),
      ...(adaptive ? { detector: timeoutDetector(250) } : {}),
    });
    return new LeaderWatch(cfg);
  }
  /** Leader 2 in term 1 heartbeats every 100 ms until 1000. */
  function followLeader(w: LeaderWatch): void {
    w.leaderChanged(nodeId(2), 1 as Term, 0);
    for (let t = 0; t <= 1000; t += 100) w.leaderContact(t);
  }

  it('suspected leader heard again in its term: learns its silence × margin', () => {
    const w = watch();
    followLeader(w);
    w.suspectLeader(); // campaigns at 1500
    expect(w.heardFrom(nodeId(3), 'heartbeat', 1 as Term, 1700)).toBeUndefined(); // not the suspect
    expect(w.heardFrom(nodeId(2), 'appResp', 1 as Term, 1750)).toBeUndefined(); // not a leader message
    expect(w.heardFrom(nodeId(2), 'heartbeat', 1 as Term, 1800)).toBe(800);
    expect(w.penaltyMs(1800)).toBe(800 * PAUSE_MARGIN_RATIO);
    // Learnt once: the same suspicion is not counted twice.
    expect(w.heardFrom(nodeId(2), 'heartbeat', 1 as Term, 1900)).toBeUndefined();
  });

  it('a message in a later term (L restarted and won again) or after 2E teaches nothing', () => {
    const w = watch();
    followLeader(w);
    w.suspectLeader();
    expect(w.heardFrom(nodeId(2), 'heartbeat', 3 as Term, 1500)).toBeUndefined();
    expect(w.heardFrom(nodeId(2), 'heartbeat', 1 as Term, 1000 + 2 * E + 1)).toBeUndefined();
    expect(w.penaltyMs(3100)).toBe(0);
  });

  it('granting a vote to the leader itself is no suspicion; to another node it is', () => {
    const w = watch();
    followLeader(w);
    w.suspectLeader(nodeId(2));
    expect(w.heardFrom(nodeId(2), 'heartbeat', 1 as Term, 1600)).toBeUndefined();
    w.suspectLeader(nodeId(3));
    expect(w.heardFrom(nodeId(2), 'heartbeat', 1 as Term, 1700)).toBe(700);
  });

  it("keeps a leader's detector history across a short loss of leadership, resets it after a gap", () => {
    const w = watch();
    followLeader(w); // last arrival at 1000
    w.leaderChanged(NO_NODE, 2 as Term, 1050);
    w.leaderChanged(nodeId(2), 2 as Term, 1150); // 150 ms <= 2 heartbeat intervals: kept
    expect(w.suspicion(1300)).toBe(Number.POSITIVE_INFINITY); // 300 ms since 1000 >= 250
    w.leaderChanged(nodeId(3), 3 as Term, 1300);
    w.leaderChanged(nodeId(2), 4 as Term, 1600); // 600 ms gap: history reset, not fed the gap
    expect(w.suspicion(1700)).toBe(0);
    w.leaderContact(1700);
    expect(w.suspicion(1960)).toBe(Number.POSITIVE_INFINITY);
  });

  it('fixed mode learns nothing and reports no penalty', () => {
    const w = watch(false);
    followLeader(w);
    w.suspectLeader();
    w.tickGap(900, 1000);
    w.adoptPenalty(900, 0, 1000);
    expect(w.heardFrom(nodeId(2), 'heartbeat', 1 as Term, 1800)).toBeUndefined();
    expect(w.penaltyMs(1800)).toBe(0);
  });

  it('own stalls longer than a heartbeat interval are learnt', () => {
    const w = watch();
    w.tickGap(100, 50);
    expect(w.penaltyMs(50)).toBe(0);
    w.tickGap(640, 700);
    expect(w.penaltyMs(700)).toBe(800);
  });

  it('the penalty wait stays below 2E even when saturated', () => {
    const w = watch();
    w.adoptPenalty(1e9, 0, 0);
    expect(w.penaltyMs(0)).toBe((2 * E) / (1 + PAUSE_PENALTY_SPREAD));
    for (let i = 0; i < 50; i++) {
      w.reset(i);
      expect(w.penaltyWaitMs(i)).toBeLessThan(2 * E);
      expect(w.penaltyWaitMs(i)).toBeGreaterThanOrEqual(w.penaltyMs(i));
    }
  });
});
