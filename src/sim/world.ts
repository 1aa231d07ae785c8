import { LimitExceededError } from '../core/errors.js';
import { assert } from '../core/errors.js';
import { type NodeId, nodeId } from '../core/ids.js';
import { normal, type Random, SeededRandom } from '../core/random.js';
import { detectorFactory } from '../detect/registry.js';
import { type ClientEnv, type OpSource, SimClient } from './client.js';
import { EventQueue } from './event-queue.js';
import { SimHistory } from './history.js';
import { SimLimits } from './limits.js';
import { SimNetwork } from './network.js';
import { type ClientReply, type ClientRequest, type NodeEnv, SimNode } from './node.js';
import { mixSeed, type SimParams } from './params.js';
import type { Grudge } from './partitions.js';
import type { Message } from './raft-imports.js';
import { SafetyChecker } from './safety.js';
import { TraceRing } from './trace.js';

/** Everything that can happen in a world, ordered by (virtual time, scheduling order). */
export type SimEvent =
  | { readonly k: 'tick'; readonly node: NodeId; readonly inc: number }
  | { readonly k: 'deliver'; readonly m: Message; readonly inc: number }
  | { readonly k: 'persisted'; readonly node: NodeId; readonly inc: number }
  | { readonly k: 'snapReport'; readonly node: NodeId; readonly inc: number; readonly to: NodeId; readonly ok: boolean }
  | { readonly k: 'request'; readonly node: NodeId; readonly req: ClientRequest }
  | { readonly k: 'reply'; readonly client: number; readonly node: NodeId; readonly reply: ClientReply }
  | { readonly k: 'start'; readonly client: number }
  | { readonly k: 'timeout'; readonly client: number }
  | { readonly k: 'call'; readonly what: string; readonly fn: () => void };

/** Leader events a driver can react to (the nemesis' leader churn). */
export type LeaderListener = (event: 'elected' | 'firstCommit', node: NodeId, term: number) => void;

/** One line of the failure trace, formatted only when shown. */
export interface TraceItem {
  readonly atMs: number;
  readonly what: string;
  readonly detail: unknown;
}

/** Counters of a world. */
export interface WorldStats {
  events: number;
  crashes: number;
  restarts: number;
  pauses: number;
  partitions: number;
}

/**
 * A deterministic world in virtual time: nodes, the network between them, clients, and one
 * event queue. It knows the mechanics (ticks, delivery, fsync, client traffic, and the fault
 * primitives crash/restart/pause/resume/partition/heal); what happens when is decided by its
 * driver (`runSwarm`, the benchmarks, tests). Nothing here reads a clock or draws an
 * unseeded random number: the seed in `params` decides everything.
 */
export class World {
  readonly params: SimParams;
  readonly nodes: SimNode[] = [];
  readonly nodeIds: NodeId[];
  readonly clients: SimClient[] = [];
  readonly network: SimNetwork;
  readonly checker = new SafetyChecker();
  readonly history = new SimHistory();
  readonly trace: TraceRing<TraceItem>;
  readonly stats: WorldStats = { events: 0, crashes: 0, restarts: 0, pauses: 0, partitions: 0 };
  readonly random: Random;
  readonly #queue = new EventQueue<SimEvent>(SimLimits.queuedEventsMax);
  readonly #clientRandom: Random;
  readonly #env: NodeEnv;
  readonly #tracing: boolean;
  readonly #leaderListeners: LeaderListener[] = [];
  readonly #thinkMs: (() => number)[] = [];
  readonly #startScheduled: boolean[] = [];
  #nowMs = 0;
  #nextRequestId = 1;
  readonly #eventsMax: number;
  /** Writes and cas acknowledged ok: request id and the log index they were applied at. */
  readonly acknowledged: { readonly id: number; readonly index: number }[] = [];
  /** Set when a check failed or the run must stop. */
  stopped = false;

  constructor(params: SimParams, traceCapacity: number = SimLimits.traceEventsMax, eventsMax: number = SimLimits.eventsPerRunMax) {
    assert(params.nodes >= 1 && params.nodes <= SimLimits.nodesMax, `nodes out of range: ${params.nodes}`);
    this.params = params;
    this.#eventsMax = eventsMax;
    this.trace = new TraceRing<TraceItem>(traceCapacity);
    this.#tracing = traceCapacity > 0;
    const root = new SeededRandom(mixSeed(params.seed) ^ 0x5eed);
    this.random = root.fork();
    const netRandom = root.fork();
    const nodeRandom = root.fork();
    this.#clientRandom = root.fork();
    this.nodeIds = Array.from({ length: params.nodes }, (_, i) => nodeId(i + 1));
    this.network = new SimNetwork(this.nodeIds, params, netRandom);
    const detector = params.detector === 'adaptive' ? detectorFactory('adaptive') : undefined;
    const testBugs = params.plantBug === null ? {} : { [params.plantBug]: true };
    const env = this.#nodeEnv();
    this.#env = env;
    for (const id of this.nodeIds) {
      const spread = params.clockRateSpread;
      const clockRate = 1 + spread * (2 * nodeRandom.float() - 1);
      const clockOffsetMs = Math.round(params.clockOffsetMsMax * nodeRandom.float());
      this.nodes.push(
        new SimNode(
          {
            id,
            voters: this.nodeIds,
            heartbeatIntervalMs: params.heartbeatIntervalMs,
            electionTimeoutMs: params.electionTimeoutMs,
            preVote: params.preVote,
            checkQuorum: params.checkQuorum,
            leaseReads: params.leaseReads,
            detector,
            testBugs,
            maxSizePerMsgBytes: params.maxSizePerMsgBytes,
            maxInflightMsgs: params.maxInflightMsgs,
            forwardProposals: params.routing === 'random',
            snapshotEveryEntries: params.snapshotEveryEntries,
            clockRate,
            clockOffsetMs,
          },
          env,
          nodeRandom.fork(),
        ),
      );
    }
  }

  get nowMs(): number {
    return this.#nowMs;
  }

  node(id: NodeId): SimNode {
    const n = this.nodes[id - 1];
    assert(n !== undefined, `no node ${id}`);
    return n;
  }

  /** Start every node (their tick phases drawn from the seed). */
  startAll(): void {
    for (const n of this.nodes) this.restart(n.id);
  }

  /** Schedule `fn` at `atMs` (>= now). `what` names it (for debugging the queue). */
  at(atMs: number, what: string, fn: () => void): void {
    this.#push(Math.max(atMs, this.#nowMs), { k: 'call', what, fn });
  }

  /**
   * Add a client process fed by `source`; after each operation it waits `thinkMs()` before
   * the next. Returns it; call `startClient` to begin.
   */
  addClient(source: OpSource, timeoutMs: number, thinkMs: () => number): SimClient {
    const client = new SimClient(this.clients.length, this.#clientEnv(), source, timeoutMs);
    this.clients.push(client);
    this.#thinkMs.push(thinkMs);
    this.#startScheduled.push(false);
    return client;
  }

  /** Let client `c` start its next operation after `delayMs`. */
  startClient(c: number, delayMs = 0): void {
    if (this.#startScheduled[c]) return;
    this.#startScheduled[c] = true;
    this.#push(this.#nowMs + delayMs, { k: 'start', client: c });
  }

  #afterClientEvent(c: number): void {
    if (!this.clients[c]!.busy) this.startClient(c, this.#thinkMs[c]!());
  }

  /**
   * Call `listener` whenever a node becomes leader ('elected', after the safety checks of that
   * event) and when a new leader first applies entries ('firstCommit').
   */
  onLeaderEvent(listener: LeaderListener): void {
    this.#leaderListeners.push(listener);
  }

  // ---- faults ----

  crash(id: NodeId): void {
    const n = this.node(id);
    if (!n.up) return;
    n.crash();
    this.stats.crashes++;
    this.note('crash', `node ${id}`);
  }

  restart(id: NodeId): void {
    const n = this.node(id);
    if (n.up) return;
    n.start();
    this.stats.restarts++;
    this.note('start', `node ${id}`);
    const inc = n.incarnation;
    this.#push(this.#nowMs + this.random.float() * this.params.tickIntervalMs, { k: 'tick', node: id, inc });
  }

  pause(id: NodeId): void {
    const n = this.node(id);
    if (!n.up || n.paused) return;
    n.pause();
    this.stats.pauses++;
    this.note('pause', `node ${id}`);
  }

  resume(id: NodeId): void {
    const n = this.node(id);
    if (!n.up || !n.paused) return;
    this.note('resume', `node ${id}`);
    n.resume();
  }

  partition(grudge: Grudge, description: string): void {
    this.network.partition(grudge);
    this.stats.partitions++;
    this.note('partition', description);
  }

  /** Ask the current leader to hand leadership to `to` (TimeoutNow). */
  transferLeadership(to: NodeId): void {
    const leader = this.leader();
    if (leader === undefined || leader.id === to) return;
    if (leader.transferLeadership(to)) this.note('transfer', `leader ${leader.id} -> ${to}`);
  }

  heal(): void {
    if (!this.network.partitioned) return;
    this.network.heal();
    this.note('heal', '');
  }

  /** The up, unpaused leader with the highest term, if any. */
  leader(): SimNode | undefined {
    let best: SimNode | undefined;
    for (const n of this.nodes) {
      if (n.up && !n.paused && n.role === 'leader' && (best === undefined || n.term > best.term)) best = n;
    }
    return best;
  }

  note(what: string, detail: unknown): void {
    if (this.#tracing) this.trace.add({ atMs: this.#nowMs, what, detail });
  }

  // ---- the loop ----

  /** Process the next event. False when the queue is empty or the world stopped. */
  step(): boolean {
    if (this.stopped) return false;
    const next = this.#queue.pop();
    if (next === undefined) return false;
    this.#nowMs = next.timeMs;
    if (++this.stats.events > this.#eventsMax) {
      this.checker.report('event-limit', this.#nowMs, `more than ${this.#eventsMax} events in one run`);
      this.stopped = true;
      return false;
    }
    try {
      this.#handle(next.item);
    } catch (err) {
      if (err instanceof LimitExceededError && err.limitName === 'queuedEventsMax') {
        this.checker.report('event-limit', this.#nowMs, err.message);
      } else {
        const e = err instanceof Error ? err : new Error(String(err));
        const where = e.stack?.split('\n')[1]?.trim() ?? '';
        this.checker.report('invariant', this.#nowMs, `${e.name}: ${e.message}${where ? ` (${where})` : ''}`);
      }
      this.stopped = true;
      return false;
    }
    if (!this.checker.ok) this.stopped = true;
    return !this.stopped;
  }

  /** Run until virtual time `untilMs` (events at exactly `untilMs` included) or a stop. */
  runUntilTime(untilMs: number): void {
    for (;;) {
      const t = this.#queue.peekTimeMs();
      if (t === undefined || t > untilMs || !this.step()) break;
    }
    if (!this.stopped && this.#nowMs < untilMs) this.#nowMs = untilMs;
  }

  /** Run until `done()` holds (checked after each event) or virtual time passes `deadlineMs`. */
  runUntil(done: () => boolean, deadlineMs: number): boolean {
    if (done()) return true;
    for (;;) {
      const t = this.#queue.peekTimeMs();
      if (t === undefined || t > deadlineMs || !this.step()) return done();
      if (done()) return true;
    }
  }

  #push(atMs: number, e: SimEvent): void {
    this.#queue.push(atMs, e);
  }

  #handle(e: SimEvent): void {
    switch (e.k) {
      case 'tick': {
        const n = this.node(e.node);
        if (!n.up || n.incarnation !== e.inc) return;
        n.tick(this.#nowMs);
        if (n.up && n.incarnation === e.inc) {
          this.#push(this.#nowMs + this.params.tickIntervalMs, e);
        }
        return;
      }
      case 'deliver': {
        const m = e.m;
        const isSnap = m.type === 'snap';
        if (!this.network.arrives(m.from, m.to)) {
          if (this.#tracing) this.trace.add({ atMs: this.#nowMs, what: 'cut', detail: m });
          if (isSnap) this.#snapReport(m.from, e.inc, m.to, false);
          return;
        }
        const target = this.node(m.to);
        if (!target.up) {
          if (this.#tracing) this.trace.add({ atMs: this.#nowMs, what: 'lost (down)', detail: m });
          if (isSnap) this.#snapReport(m.from, e.inc, m.to, false);
          return;
        }
        if (this.#tracing) this.trace.add({ atMs: this.#nowMs, what: target.paused ? 'queued (paused)' : 'recv', detail: m });
        target.step(m);
        if (isSnap) this.#snapReport(m.from, e.inc, m.to, true);
        return;
      }
      case 'persisted': {
        const n = this.node(e.node);
        if (n.up && n.incarnation === e.inc) n.persisted();
        return;
      }
      case 'snapReport': {
        const n = this.node(e.node);
        if (n.up && n.incarnation === e.inc) n.snapReport(e.to, e.ok);
        return;
      }
      case 'request': {
        if (this.#tracing) this.trace.add({ atMs: this.#nowMs, what: `request@${e.node}`, detail: e.req });
        const target = this.node(e.node);
        if (target.up) target.request(e.req);
        // A down process refuses the connection: the request certainly did not take effect.
        else this.#env.reply(e.node, e.req, { id: e.req.id, kind: 'fail', reason: 'connection refused' });
        return;
      }
      case 'reply': {
        if (this.#tracing) this.trace.add({ atMs: this.#nowMs, what: `reply@c${e.client} from ${e.node}`, detail: e.reply });
        this.clients[e.client]!.reply(e.reply);
        this.#afterClientEvent(e.client);
        return;
      }
      case 'start':
        this.#startScheduled[e.client] = false;
        this.clients[e.client]!.start();
        return;
      case 'timeout':
        this.clients[e.client]!.timeout();
        this.#afterClientEvent(e.client);
        return;
      case 'call':
        // The fault primitives it calls write their own trace lines.
        e.fn();
        return;
    }
  }

  #snapReport(from: NodeId, inc: number, to: NodeId, ok: boolean): void {
    this.#push(this.#nowMs, { k: 'snapReport', node: from, inc, to, ok });
  }

  #clientLatencyMs(): number {
    const p = this.params;
    const sigma = p.latencySigma;
    const base = p.latencyMeanMs;
    return sigma > 0 ? Math.min(base * Math.exp(normal(this.#clientRandom, 0, sigma)), 10_000) : base;
  }

  #nodeEnv(): NodeEnv {
    const world = this;
    return {
      nowMs: () => world.#nowMs,
      checker: world.checker,
      note: (what: string, detail: unknown) => world.note(what, detail),
      leaderElected(node: NodeId, term: number): void {
        for (const listener of world.#leaderListeners) listener('elected', node, term);
      },
      leaderFirstCommit(node: NodeId, term: number): void {
        for (const listener of world.#leaderListeners) listener('firstCommit', node, term);
      },
      send(m: Message): void {
        const from = world.node(m.from);
        const times = world.network.send(m.from, m.to, world.#nowMs);
        for (const t of times) world.#push(t, { k: 'deliver', m, inc: from.incarnation });
        // A lost snapshot must be reported, or the leader waits for it forever (etcd's ReportSnapshot).
        if (times.length === 0 && m.type === 'snap') world.#snapReport(m.from, from.incarnation, m.to, false);
      },
      reply(node: NodeId, req: ClientRequest, reply: ClientReply): void {
        world.#push(world.#nowMs + world.#clientLatencyMs(), { k: 'reply', client: req.client, node, reply });
      },
      persistStarted(node: NodeId, inc: number): void {
        const p = world.params;
        const d = p.fsyncMsMin + (p.fsyncMsMax - p.fsyncMsMin) * world.random.float();
        world.#push(world.#nowMs + d, { k: 'persisted', node, inc });
      },
    };
  }

  #clientEnv(): ClientEnv {
    const world = this;
    return {
      nowMs: () => world.#nowMs,
      nodes: world.nodeIds,
      random: world.#clientRandom,
      history: world.history,
      nextRequestId: () => world.#nextRequestId++,
      acknowledged(id: number, index: number): void {
        world.acknowledged.push({ id, index });
      },
      sendRequest(node: NodeId, req: ClientRequest): void {
        world.#push(world.#nowMs + world.#clientLatencyMs(), { k: 'request', node, req });
      },
      scheduleTimeout(client: SimClient, atMs: number): void {
        world.#push(atMs, { k: 'timeout', client: client.process });
      },
      preferredNode(): NodeId {
        const ids = world.nodeIds;
        if (world.params.routing === 'leader') {
          const l = world.leader();
          if (l !== undefined) return l.id;
        }
        return ids[world.#clientRandom.int(0, ids.length - 1)]!;
      },
    };
  }
}
