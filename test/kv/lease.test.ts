import { describe, expect, it } from 'vitest';
import { ErrorCodes } from '../../src/core/errors.js';
import { KvMessages } from '../../src/kv/errors.js';
import { KvStore } from '../../src/kv/store.js';
import { b, Driver, str } from './helpers.js';

describe('leases', () => {
  it('grant chooses ids deterministically, accepts given ids, refuses duplicates and huge TTLs', () => {
    const d = new Driver();
    const first = d.grant(10);
    const second = d.grant(10);
    expect(first).toBeGreaterThan(0);
    expect(second).not.toBe(first);
    expect(d.grant(10, 500)).toBe(500);
    expect(d.error({ type: 'leaseGrant', id: 500, ttlSec: 10 })).toMatchObject({ message: KvMessages.leaseExists });
    expect(d.error({ type: 'leaseGrant', id: 0, ttlSec: 10_000_000_000 }).message).toBe(KvMessages.leaseTtlTooLarge);
    expect(d.store.leaseLeases().ids).toEqual([first, second, 500].sort((x, y) => x - y));
    // A second store applying the same grants picks the same ids.
    const e = new Driver();
    expect([e.grant(10), e.grant(10)]).toEqual([first, second]);
    expect(d.store.revision).toBe(1); // grants change no key
  });

  it('revoke deletes every attached key in one revision', () => {
    const d = new Driver();
    const lease = d.grant(30);
    d.put('a', '1', { lease }); // 2
    d.put('b', '1', { lease }); // 3
    d.put('c', '1'); // 4
    const watch = d.store.watches.watch({ key: b('a'), rangeEnd: b('z') });
    const r = d.ok({ type: 'leaseRevoke', id: lease }, 'leaseRevoke').response;
    expect(r).toMatchObject({ deleted: 2, revision: 5 });
    expect(d.get('a')).toBeUndefined();
    expect(d.get('b')).toBeUndefined();
    expect(d.get('c')).toBeDefined();
    const batch = d.store.watches.poll(watch)!;
    expect(batch.events.map((e) => [e.type, str(e.kv.key), e.kv.modRevision])).toEqual([
      ['delete', 'a', 5],
      ['delete', 'b', 5],
    ]);
    expect(d.error({ type: 'leaseRevoke', id: lease }).code).toBe(ErrorCodes.LEASE_NOT_FOUND);
  });

  it('revoking a lease without keys does not raise the revision', () => {
    const d = new Driver();
    const lease = d.grant(30);
    d.ok({ type: 'leaseRevoke', id: lease }, 'leaseRevoke');
    expect(d.store.revision).toBe(1);
  });

  it('a key moved to another lease (or none) is detached from the old one', () => {
    const d = new Driver();
    const l1 = d.grant(30);
    const l2 = d.grant(30);
    d.put('a', '1', { lease: l1 });
    d.put('a', '2', { lease: l2 });
    expect(d.store.leaseTimeToLive(l1, d.nowMs, true).keys).toEqual([]);
    expect(d.store.leaseTimeToLive(l2, d.nowMs, true).keys.map(str)).toEqual(['a']);
    d.del('a');
    expect(d.store.leaseTimeToLive(l2, d.nowMs, true).keys).toEqual([]);
    expect(d.ok({ type: 'leaseRevoke', id: l1 }, 'leaseRevoke').response.deleted).toBe(0);
  });

  it('time-to-live counts down from the command times; keep-alive refreshes', () => {
    const d = new Driver();
    const lease = d.grant(10);
    d.put('k', 'v', { lease });
    expect(d.store.leaseTimeToLive(lease, d.nowMs + 2500, true)).toMatchObject({
      ttlSec: 7,
      grantedTtlSec: 10,
    });
    expect(d.store.leaseTimeToLive(lease, d.nowMs + 2500, true).keys.map(str)).toEqual(['k']);
    d.nowMs += 8000;
    expect(d.ok({ type: 'leaseKeepAlive', id: lease }, 'leaseKeepAlive').response.ttlSec).toBe(10);
    expect(d.store.leaseTimeToLive(lease, d.nowMs).ttlSec).toBe(10);
    expect(d.store.leaseTimeToLive(lease, d.nowMs + 60_000).ttlSec).toBe(0);
    expect(() => d.store.leaseTimeToLive(999, d.nowMs)).toThrow(KvMessages.leaseNotFound);
    expect(d.error({ type: 'leaseKeepAlive', id: 999 }).code).toBe(ErrorCodes.LEASE_NOT_FOUND);
  });

  it('expiry through expiredLeases + leaseExpire deletes the same keys at the same revision on two replicas', () => {
    const leader = new Driver();
    const follower = new Driver();
    const both = (cmd: Parameters<Driver['apply']>[0]) => [leader.apply(cmd), follower.apply(cmd)];
    both({ type: 'leaseGrant', id: 0, ttlSec: 5 });
    both({ type: 'leaseGrant', id: 0, ttlSec: 50 });
    const [short, long] = leader.store.leaseLeases().ids as [number, number];
    both({ type: 'put', request: { key: b('s1'), value: b('x'), lease: short } });
    both({ type: 'put', request: { key: b('s2'), value: b('x'), lease: short } });
    both({ type: 'put', request: { key: b('l1'), value: b('x'), lease: long } });
    expect(leader.store.expiredLeases(leader.nowMs + 4999)).toEqual([]);
    leader.nowMs += 6000;
    follower.nowMs = leader.nowMs;
    const ids = leader.store.expiredLeases(leader.nowMs);
    expect(ids).toEqual([short]);
    const [a, f] = both({ type: 'leaseExpire', ids });
    expect(a).toEqual(f);
    expect(a).toMatchObject({ type: 'leaseExpire', response: { expired: [short], deleted: 2, revision: 5 } });
    expect(leader.get('s1')).toBeUndefined();
    expect(follower.get('s2')).toBeUndefined();
    expect(follower.get('l1')).toBeDefined();
    expect(leader.store.hash()).toEqual(follower.store.hash());
  });

  it('leaseExpire skips a lease kept alive after the leader chose it', () => {
    const d = new Driver();
    const lease = d.grant(5);
    d.put('k', 'v', { lease });
    d.nowMs += 6000;
    const ids = d.store.expiredLeases(d.nowMs);
    expect(ids).toEqual([lease]);
    d.ok({ type: 'leaseKeepAlive', id: lease }, 'leaseKeepAlive');
    const r = d.ok({ type: 'leaseExpire', ids }, 'leaseExpire').response;
    expect(r.expired).toEqual([]);
    expect(d.get('k')).toBeDefined();
  });

  it('promote extends leases by the election time instead of expiring them early; demote forgets it', () => {
    const d = new Driver();
    const lease = d.grant(10);
    const granted = d.nowMs;
    // The old leader is gone for 9 s; this node wins the election at granted + 9 s.
    const electedAt = granted + 9000;
    d.store.promote(electedAt, 2000);
    expect(d.store.expiredLeases(granted + 11_000)).toEqual([]);
    expect(d.store.leaseTimeToLive(lease, electedAt).ttlSec).toBe(12);
    expect(d.store.expiredLeases(electedAt + 12_000)).toEqual([lease]);
    // The promotion is local: it does not change the replicated state.
    const other = new Driver();
    other.grant(10);
    expect(d.store.hash()).toEqual(other.store.hash());
    d.store.demote();
    expect(d.store.expiredLeases(granted + 10_000)).toEqual([lease]);
  });

  it('promote uses a checkpointed remaining TTL', () => {
    const d = new Driver();
    const lease = d.grant(100);
    d.nowMs += 90_000;
    d.ok({ type: 'leaseCheckpoint', checkpoints: [{ id: lease, remainingTtlSec: 10 }, { id: 4242, remainingTtlSec: 1 }] }, 'leaseCheckpoint');
    d.store.promote(d.nowMs + 1000, 500);
    expect(d.store.leaseTimeToLive(lease, d.nowMs + 1000).ttlSec).toBe(10);
    expect(d.store.expiredLeases(d.nowMs + 11_499)).toEqual([]);
    expect(d.store.expiredLeases(d.nowMs + 11_500)).toEqual([lease]);
  });

  it('a snapshot keeps leases and their keys', () => {
    const d = new Driver();
    const lease = d.grant(10);
    d.put('k', 'v', { lease });
    const restored = new Driver(KvStore.restore(d.store.serialize()));
    restored.nowMs = d.nowMs;
    expect(restored.store.leaseTimeToLive(lease, d.nowMs, true).keys.map(str)).toEqual(['k']);
    expect(restored.ok({ type: 'leaseRevoke', id: lease }, 'leaseRevoke').response.deleted).toBe(1);
  });
});

describe('leader-local renewal', () => {
  it('keeps a lease alive on the leader without changing replicated state, until demoted', () => {
    const d = new Driver();
    const lease = d.grant(10);
    const hashBefore = d.store.hash();
    const start = d.nowMs;
    expect(d.store.leaseRenewLocal(lease, start + 8000)).toEqual({ id: lease, ttlSec: 10 });
    expect(d.store.hash()).toEqual(hashBefore);
    expect(d.store.expiredLeases(start + 12_000)).toEqual([]);
    expect(d.store.leaseTimeToLive(lease, start + 12_000).ttlSec).toBe(6);
    expect(d.store.expiredLeases(start + 18_000)).toEqual([lease]);
    // A leaseExpire proposed from that view is valid on every replica (replicated expiry is earlier).
    d.nowMs = start + 18_000;
    expect(d.ok({ type: 'leaseExpire', ids: [lease] }, 'leaseExpire').response.expired).toEqual([lease]);
    expect(() => d.store.leaseRenewLocal(lease, d.nowMs)).toThrow(/lease not found/);
  });

  it('demote drops local renewals', () => {
    const d = new Driver();
    const lease = d.grant(10);
    d.store.leaseRenewLocal(lease, d.nowMs + 9000);
    d.store.demote();
    expect(d.store.expiredLeases(d.nowMs + 10_000)).toEqual([lease]);
  });
});
