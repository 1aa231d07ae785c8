import { describe, expect, it } from 'vitest';
import { backoffDelayMs } from '../../src/transport/backoff.js';
import { type Hello, refusalReason, toEnvelope } from '../../src/transport/envelope.js';
import { parsePeerUrl } from '../../src/transport/peer-url.js';
import { id } from './helpers.js';

describe('backoffDelayMs', () => {
  it.each([
    // attempt, min, max, random, expected
    [0, 100, 5000, 0, 50],
    [0, 100, 5000, 0.999999, 99.99995],
    [1, 100, 5000, 0, 100],
    [3, 100, 5000, 0.5, 600],
    [6, 100, 5000, 0, 2500],
    [60, 100, 5000, 1, 5000],
  ])('attempt %i, min %i, max %i, random %f → %f ms', (attempt, min, max, r, expected) => {
    expect(backoffDelayMs(attempt, min, max, r)).toBeCloseTo(expected, 3);
  });
});

describe('handshake', () => {
  const expectations = { version: 1, clusterId: 'A', self: id(2), isMember: (n: number) => n === 1 || n === 3 };
  const hello: Hello = { k: 'hello', version: 1, clusterId: 'A', from: 1, to: 2, lane: 'ctrl' };

  it('accepts a matching hello and names the reason for each mismatch', () => {
    expect(refusalReason(hello, expectations)).toBeUndefined();
    expect(refusalReason({ ...hello, version: 2 }, expectations)).toMatch(/protocol version mismatch/);
    expect(refusalReason({ ...hello, clusterId: 'B' }, expectations)).toMatch(/cluster id mismatch.*B.*A/);
    expect(refusalReason({ ...hello, to: 3 }, expectations)).toMatch(/wrong member/);
    expect(refusalReason({ ...hello, from: 9 }, expectations)).toMatch(/unknown member 9/);
  });

  it('rejects malformed envelopes', () => {
    expect(toEnvelope({ k: 'hello', version: 1, clusterId: 'A', from: 0, to: 2, lane: 'ctrl' })).toBeUndefined();
    expect(toEnvelope({ k: 'msg', m: { from: 1, to: 2 } })).toBeUndefined();
    expect(toEnvelope({ k: 'nope' })).toBeUndefined();
    expect(toEnvelope([1, 2])).toBeUndefined();
    expect(toEnvelope({ k: 'msg', m: { from: 1, to: 2, type: 'app' } })?.k).toBe('msg');
  });
});

describe('parsePeerUrl', () => {
  it('reads host and port from common forms and refuses the rest', () => {
    expect(parsePeerUrl('http://127.0.0.1:2380')).toEqual({ host: '127.0.0.1', port: 2380 });
    expect(parsePeerUrl('localhost:7')).toEqual({ host: 'localhost', port: 7 });
    expect(parsePeerUrl('tcp://[::1]:9')).toEqual({ host: '::1', port: 9 });
    expect(() => parsePeerUrl('http://host')).toThrow(/needs a host and a port/);
    expect(() => parsePeerUrl('::::')).toThrow();
  });
});

describe('PeerTransport limits', () => {
  it('refuses limits that cannot work, naming the field', async () => {
    const { PeerTransport } = await import('../../src/transport/peer-transport.js');
    const make = (limits: Record<string, number>) => () => new PeerTransport({ self: id(1), clusterId: 'c', limits });
    expect(make({ partBytes: 1024, frameBytesMax: 1024 })).toThrow(/partBytes/);
    expect(make({ peerQueueMessagesMax: 0 })).toThrow(/peerQueueMessagesMax must be a positive number/);
    expect(make({ reconnectDelayMsMin: 10, reconnectDelayMsMax: 5 })).toThrow(/reconnectDelayMsMin/);
    expect(() => new PeerTransport({ self: id(1), clusterId: '' })).toThrow(/clusterId/);
  });
});
