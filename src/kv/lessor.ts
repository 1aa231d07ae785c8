import { assert, InvalidArgumentError, LimitExceededError } from '../core/errors.js';
import { KvMessages, leaseNotFoundError } from './errors.js';
import { KvLimits } from './limits.js';

/** A lease as replicated: identical on every replica that applied the same commands. */
export interface Lease {
  readonly id: number;
  /** Granted TTL, in seconds. */
  readonly ttlSec: number;
  /** When it expires, in leader-proposed ms (from the command that granted/refreshed it). */
  expiryMs: number;
  /** Remaining TTL recorded by the last checkpoint since the last refresh; 0 = none. */
  remainingTtlSec: number;
  /** Attached keys (binary strings). */
  readonly keys: Set<string>;
}

/**
 * Lease bookkeeping (etcd's lessor), driven only by applied commands and the times they
 * carry. The one local, non-replicated piece is the leader's own view of expiry: when a node
 * becomes leader it extends every lease (`promote`), because clients could not reach the
 * old leader to keep their leases alive during the election; and a leader may renew leases
 * locally (`renewLocal`) between replicated checkpoints. That view only ever makes a lease
 * expire later than the replicated expiry, never earlier.
 */
export class Lessor {
  readonly #leases = new Map<number, Lease>();
  /** Next id tried when a grant asks the store to choose (id 0). */
  #nextId = 1;
  /** Leader-local expiry overrides set by `promote` / `renewLocal`, cleared by a replicated refresh or `demote`. */
  readonly #localExpiryMs = new Map<number, number>();

  get size(): number {
    return this.#leases.size;
  }

  get nextId(): number {
    return this.#nextId;
  }

  get(id: number): Lease | undefined {
    return this.#leases.get(id);
  }

  /** The lease or LEASE_NOT_FOUND. */
  require(id: number): Lease {
    const lease = this.#leases.get(id);
    if (lease === undefined) throw leaseNotFoundError();
    return lease;
  }

  /** Checks a grant can succeed, and returns the id it will use. */
  checkGrant(id: number, ttlSec: number): number {
    if (ttlSec > KvLimits.leaseTtlSecMax) throw new InvalidArgumentError(KvMessages.leaseTtlTooLarge);
    if (this.#leases.size >= KvLimits.leasesMax) throw new LimitExceededError('leases', this.#leases.size + 1, KvLimits.leasesMax);
    if (id !== 0) {
      if (this.#leases.has(id)) throw new InvalidArgumentError(KvMessages.leaseExists);
      return id;
    }
    let next = this.#nextId;
    while (this.#leases.has(next)) next++;
    return next;
  }

  grant(id: number, ttlSec: number, nowMs: number): Lease {
    const chosen = this.checkGrant(id, ttlSec);
    if (id === 0) this.#nextId = chosen + 1;
    const ttl = Math.max(ttlSec, KvLimits.leaseTtlSecMin);
    const lease: Lease = { id: chosen, ttlSec: ttl, expiryMs: nowMs + ttl * 1000, remainingTtlSec: 0, keys: new Set() };
    this.#leases.set(chosen, lease);
    return lease;
  }

  /** Removes the lease; the caller deletes its keys. */
  remove(id: number): Lease {
    const lease = this.require(id);
    this.#leases.delete(id);
    this.#localExpiryMs.delete(id);
    return lease;
  }

  keepAlive(id: number, nowMs: number): Lease {
    const lease = this.require(id);
    lease.expiryMs = nowMs + lease.ttlSec * 1000;
    lease.remainingTtlSec = 0;
    this.#localExpiryMs.delete(id);
    return lease;
  }

  /**
   * Leader-local keep-alive (etcd's lessor `Renew`): this node's view of the lease expires
   * `ttl` after `nowMs`, with no raft write. Other replicas learn of it only through a later
   * `leaseCheckpoint` or `leaseKeepAlive` command.
   */
  renewLocal(id: number, nowMs: number): Lease {
    const lease = this.require(id);
    this.#localExpiryMs.set(id, Math.max(lease.expiryMs, nowMs + lease.ttlSec * 1000));
    return lease;
  }

  /** Records a remaining TTL; returns false for an unknown lease. */
  checkpoint(id: number, remainingTtlSec: number, nowMs: number): boolean {
    const lease = this.#leases.get(id);
    if (lease === undefined) return false;
    lease.remainingTtlSec = remainingTtlSec;
    lease.expiryMs = nowMs + remainingTtlSec * 1000;
    return true;
  }

  attach(id: number, key: string): void {
    this.require(id).keys.add(key);
  }

  detach(id: number, key: string): void {
    this.#leases.get(id)?.keys.delete(key);
  }

  /** Expiry as this node sees it: the promotion override if any, else the replicated one. */
  effectiveExpiryMs(lease: Lease): number {
    return this.#localExpiryMs.get(lease.id) ?? lease.expiryMs;
  }

  /** Leases whose effective expiry is ≤ `nowMs`, by id, at most `max`. */
  expired(nowMs: number, max: number): number[] {
    const ids: number[] = [];
    for (const lease of this.#leases.values()) if (this.effectiveExpiryMs(lease) <= nowMs) ids.push(lease.id);
    ids.sort((a, b) => a - b);
    return ids.slice(0, max);
  }

  /**
   * Called when this node becomes leader at `nowMs` (etcd's `Promote`): every lease gets
   * `extendMs` plus its checkpointed remaining TTL, or its full TTL, from now.
   */
  promote(nowMs: number, extendMs: number): void {
    for (const lease of this.#leases.values()) {
      const ttlMs = (lease.remainingTtlSec > 0 ? lease.remainingTtlSec : lease.ttlSec) * 1000;
      this.#localExpiryMs.set(lease.id, Math.max(lease.expiryMs, nowMs + extendMs + ttlMs));
    }
  }

  /** Called when this node stops being leader: drop the promotion view. */
  demote(): void {
    this.#localExpiryMs.clear();
  }

  /** Every lease, by id. */
  list(): Lease[] {
    return [...this.#leases.values()].sort((a, b) => a.id - b.id);
  }

  /** Rebuilds from a snapshot. */
  load(leases: readonly Lease[], nextId: number): void {
    assert(this.#leases.size === 0, 'load into an empty lessor');
    for (const lease of leases) this.#leases.set(lease.id, lease);
    this.#nextId = nextId;
  }
}
