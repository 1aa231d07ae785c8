import { assert } from '../core/errors.js';
import type { NodeId } from '../core/ids.js';
import type { Random } from '../core/random.js';
import type { SimHistory } from './history.js';
import { SimLimits } from './limits.js';
import type { ClientReply, ClientRequest } from './node.js';

/** What an operation asks for, before it has an id. */
export interface OpSpec {
  readonly f: 'read' | 'write' | 'cas';
  readonly key: string;
  readonly value: number;
  readonly expected: number | null;
}

/** How an operation ended. */
export type OpOutcome =
  | { readonly type: 'ok'; readonly value: number | null; readonly index: number }
  | { readonly type: 'fail' }
  | { readonly type: 'info' };

/** What a client needs from its world. */
export interface ClientEnv {
  nowMs(): number;
  readonly nodes: readonly NodeId[];
  readonly random: Random;
  readonly history: SimHistory;
  /** A fresh request id, unique in the run. */
  nextRequestId(): number;
  /** Send `req` to `node` over the client network. */
  sendRequest(node: NodeId, req: ClientRequest): void;
  /** Call `client.timeout()` at virtual time `atMs`. */
  scheduleTimeout(client: SimClient, atMs: number): void;
  /** A write or cas was acknowledged ok: it was applied at log `index`. */
  acknowledged(requestId: number, index: number): void;
  /** The node this client should try first (the known leader, or any). */
  preferredNode(): NodeId;
}

/** Where a client's operations come from. */
export interface OpSource {
  /** The next operation, or null when the client has nothing (more) to do now. */
  next(): OpSpec | null;
  /** The current operation ended. */
  done(spec: OpSpec, outcome: OpOutcome): void;
}

interface InFlight {
  readonly id: number;
  readonly spec: OpSpec;
  readonly deadlineMs: number;
  attempts: number;
}

/**
 * A client process: one operation in flight at a time, recorded in the history as a Jepsen
 * invoke and completion (`ok`, `fail` when it certainly did not take effect, `info` on a
 * timeout: it may or may not have). A "not leader" answer redirects the request to the hinted
 * leader (or another node), up to `SimLimits.redirectsPerOpMax` times, within one invocation.
 */
export class SimClient {
  readonly process: number;
  readonly #env: ClientEnv;
  readonly #source: OpSource;
  readonly #timeoutMs: number;
  #op: InFlight | null = null;
  /** When the one pending timer of this client fires (null when none is pending). */
  #timerAtMs: number | null = null;
  opsInvoked = 0;

  constructor(process: number, env: ClientEnv, source: OpSource, timeoutMs: number) {
    this.process = process;
    this.#env = env;
    this.#source = source;
    this.#timeoutMs = timeoutMs;
  }

  get busy(): boolean {
    return this.#op !== null;
  }

  /** Start the next operation if idle and the source has one. Returns whether one started. */
  start(): boolean {
    if (this.#op !== null || this.opsInvoked >= SimLimits.opsPerClientMax) return false;
    const spec = this.#source.next();
    if (spec === null) return false;
    const env = this.#env;
    const id = env.nextRequestId();
    const nowMs = env.nowMs();
    this.#op = { id, spec, attempts: 0, deadlineMs: nowMs + this.#timeoutMs };
    this.opsInvoked++;
    const value = spec.f === 'cas' ? ([spec.expected, spec.value] as const) : spec.f === 'write' ? spec.value : null;
    env.history.invoke(this.process, spec.f, spec.key, value, nowMs);
    this.#armTimer();
    this.#send(env.preferredNode());
    return true;
  }

  #send(node: NodeId): void {
    const op = this.#op!;
    op.attempts++;
    const { f, key, value, expected } = op.spec;
    this.#env.sendRequest(node, { id: op.id, client: this.process, f, key, value, expected });
  }

  /** A node answered request `reply.id`. Stale answers (an earlier op) are ignored. */
  reply(reply: ClientReply): void {
    const op = this.#op;
    if (op === null || op.id !== reply.id) return;
    switch (reply.kind) {
      case 'ok':
        this.#complete({ type: 'ok', value: reply.value, index: reply.index });
        return;
      case 'fail':
        this.#complete({ type: 'fail' });
        return;
      case 'notLeader': {
        if (op.attempts > SimLimits.redirectsPerOpMax) {
          this.#complete({ type: 'fail' });
          return;
        }
        const nodes = this.#env.nodes;
        const target = reply.leaderHint !== 0 ? reply.leaderHint : nodes[this.#env.random.int(0, nodes.length - 1)]!;
        this.#send(target);
        return;
      }
    }
  }

  /**
   * The client's timer fired. One timer per client, not one per operation (most operations
   * end long before their deadline): an operation past its deadline ends `info` (its outcome
   * is unknown); otherwise the timer is re-armed for the current operation's deadline.
   */
  timeout(): void {
    this.#timerAtMs = null;
    const op = this.#op;
    if (op !== null && op.deadlineMs <= this.#env.nowMs()) this.#complete({ type: 'info' });
    else this.#armTimer();
  }

  #armTimer(): void {
    if (this.#timerAtMs !== null || this.#op === null) return;
    this.#timerAtMs = this.#op.deadlineMs;
    this.#env.scheduleTimeout(this, this.#timerAtMs);
  }

  #complete(outcome: OpOutcome): void {
    const op = this.#op;
    assert(op !== null, 'completion without an operation');
    this.#op = null;
    const env = this.#env;
    if (outcome.type === 'ok') {
      if (op.spec.f !== 'read') env.acknowledged(op.id, outcome.index);
      env.history.complete(this.process, 'ok', env.nowMs(), op.spec.f === 'read' ? outcome.value : null);
    } else {
      env.history.complete(this.process, outcome.type, env.nowMs());
    }
    this.#source.done(op.spec, outcome);
  }
}
