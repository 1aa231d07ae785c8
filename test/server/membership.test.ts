import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AuthState } from '../../src/api/etcd/auth/state.js';
import { nodeId } from '../../src/core/ids.js';
import { decodeControlEnvelope, decodeEnvelope, encodeControlEnvelope, encodeEnvelope, isControlEnvelope } from '../../src/server/envelope.js';
import { memberIdForPeer } from '../../src/server/member-id.js';
import { MemberTable, memberCommand } from '../../src/server/membership.js';
import { decodeNodeSnapshot, encodeNodeSnapshot } from '../../src/server/node-snapshot.js';

const a = nodeId(11);
const b = nodeId(22);
const c = nodeId(33);

describe('MemberTable', () => {
  it('lists the configuration members with their records; announced-only members are not listed', () => {
    const t = MemberTable.seeded([
      { id: a, name: 'n1', peerUrl: 'http://h:1' },
      { id: b, name: 'n2', peerUrl: 'http://h:2' },
    ]);
    t.apply({ op: 'announce', id: c, peerUrls: ['http://h:3'] });
    t.apply({ op: 'attributes', id: a, name: 'n1', clientUrls: ['http://h:9'] });
    const listed = t.members({ voters: [a, b], learners: [], votersOutgoing: [] });
    expect(listed.map((m) => m.id)).toEqual([a, b]);
    expect(listed[0]).toMatchObject({ name: 'n1', peerUrls: ['http://h:1'], clientUrls: ['http://h:9'], isLearner: false });
    const withC = t.members({ voters: [a, b], learners: [c], votersOutgoing: [] });
    expect(withC.find((m) => m.id === c)).toMatchObject({ name: '', peerUrls: ['http://h:3'], isLearner: true });
    t.apply({ op: 'update', id: c, peerUrls: ['http://h:4'] });
    expect(t.get(c)?.peerUrls).toEqual(['http://h:4']);
    t.remove(c);
    expect(t.get(c)).toBeUndefined();
  });

  it('round-trips through JSON and refuses malformed records and commands', () => {
    const t = MemberTable.seeded([{ id: a, name: 'n1', peerUrl: 'http://h:1', httpUrl: 'http://h:5' }]);
    const back = MemberTable.fromJSON(JSON.parse(JSON.stringify(t.toJSON())));
    expect(back.toJSON()).toEqual(t.toJSON());
    expect(() => MemberTable.fromJSON([{ id: -1 }])).toThrow(/malformed member record/);
    expect(() => MemberTable.fromJSON({})).toThrow(/not a list/);
    expect(() => memberCommand({ op: 'announce', id: 5 })).toThrow(/malformed member command/);
    expect(() => memberCommand({ op: 'drop', id: 5, peerUrls: [] })).toThrow(/malformed member command/);
    expect(memberCommand({ op: 'update', id: 5, peerUrls: ['u'] })).toEqual({ op: 'update', id: 5, peerUrls: ['u'] });
  });
});

describe('member ids', () => {
  it('derive from the peer URL and token only (what `member add` knows)', () => {
    expect(memberIdForPeer('http://h:1', 't')).toBe(memberIdForPeer('http://h:1', 't'));
    expect(memberIdForPeer('http://h:1', 't')).not.toBe(memberIdForPeer('http://h:2', 't'));
    expect(memberIdForPeer('http://h:1', 't')).not.toBe(memberIdForPeer('http://h:1', 'u'));
  });
});

describe('control envelope', () => {
  it('is told apart from kv entries both ways', () => {
    const tag = { memberId: 2 ** 40 + 7, boot: 99, seq: 3 };
    const ctl = encodeControlEnvelope(tag, { kind: 'member', op: 'announce' });
    expect(isControlEnvelope(ctl)).toBe(true);
    expect(() => decodeEnvelope(ctl)).toThrow();
    expect(decodeControlEnvelope(ctl)).toEqual({ tag, body: { kind: 'member', op: 'announce' } });
    const kv = encodeEnvelope(tag, new Uint8Array([1, 2, 3]));
    expect(isControlEnvelope(kv)).toBe(false);
    expect(() => decodeControlEnvelope(kv)).toThrow(/not a nines control entry/);
  });
});

describe('node snapshot', () => {
  it('round-trips kv bytes and control state; reads an old kv-only snapshot; detects damage', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), fc.dictionary(fc.string(), fc.string()), (kv, control) => {
        const bytes = encodeNodeSnapshot(kv, { members: [], extra: control });
        const parts = decodeNodeSnapshot(bytes);
        expect([...parts.kv]).toEqual([...kv]);
        expect(parts.control).toEqual({ members: [], extra: control });
        const damaged = Uint8Array.from(bytes);
        const at = 9 + Math.floor(damaged.length / 2 - 4.5);
        damaged[at] = (damaged[at]! ^ 0x5a) & 0xff;
        expect(() => decodeNodeSnapshot(damaged)).toThrow(/checksum|not JSON|beyond/);
      }),
    );
    const legacy = new Uint8Array([9, 8, 7]);
    expect(decodeNodeSnapshot(legacy)).toEqual({ kv: legacy, control: undefined });
  });

  it('carries the auth state exactly (users, roles, enabled, revision)', () => {
    const s = new AuthState();
    s.apply({ type: 'userAdd', name: 'root', passwordHash: 'h' });
    s.apply({ type: 'userGrantRole', user: 'root', role: 'root' });
    s.apply({ type: 'roleAdd', name: 'r' });
    s.apply({ type: 'roleGrantPermission', name: 'r', permission: { permType: 'READ', key: 'a', rangeEnd: 'b' } });
    s.apply({ type: 'authEnable', secretHex: 'ab' });
    const bytes = encodeNodeSnapshot(new Uint8Array(0), { auth: s.toJSON() });
    const t = new AuthState();
    t.apply({ type: 'userAdd', name: 'stale', passwordHash: null });
    t.load(decodeNodeSnapshot(bytes).control?.auth);
    expect(t.toJSON()).toEqual(s.toJSON());
    expect(t.permitted('root', 'WRITE', 'x', '')).toBe(true);
    expect(t.user('stale')).toBeUndefined();
    t.load(undefined);
    expect(t.enabled).toBe(false);
    expect(t.userNames()).toEqual([]);
    expect(() => t.load({ enabled: 'yes' })).toThrow(/malformed auth snapshot/);
  });
});
