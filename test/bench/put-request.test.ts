import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { benchKey, benchValue, errorAnswerKind, putRequest, putResponseRevision } from '../../bench/lib/put-request.js';

describe('putRequest', () => {
  it('puts to nines as PUT /v1/kv/{key} with {"value"}', () => {
    const r = putRequest('nines-http', 'bench/007', 'v1');
    expect(r.method).toBe('PUT');
    expect(r.path).toBe('/v1/kv/bench%2F007');
    expect(JSON.parse(r.body)).toEqual({ value: 'v1' });
  });

  it('puts to etcd as POST /v3/kv/put with base64 key and value that decode to the originals', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1 }), fc.string(), (key, value) => {
        const r = putRequest('etcd-gateway', key, value);
        expect(r.method).toBe('POST');
        expect(r.path).toBe('/v3/kv/put');
        const body = JSON.parse(r.body) as { key: string; value: string };
        expect(Buffer.from(body.key, 'base64').toString('utf8')).toBe(Buffer.from(key, 'utf8').toString('utf8'));
        expect(Buffer.from(body.value, 'base64').toString('utf8')).toBe(Buffer.from(value, 'utf8').toString('utf8'));
      }),
    );
  });
});

describe('putResponseRevision', () => {
  it("reads nines' number and etcd's string revision", () => {
    expect(putResponseRevision('nines-http', '{"revision":42}')).toBe(42);
    expect(putResponseRevision('etcd-gateway', '{"header":{"cluster_id":"1","revision":"17","raft_term":"2"}}')).toBe(17);
  });

  it('rejects answers without a valid revision', () => {
    expect(() => putResponseRevision('nines-http', '{}')).toThrow(/without a revision/);
    expect(() => putResponseRevision('etcd-gateway', '{"revision":3}')).toThrow(/without a revision/);
    expect(() => putResponseRevision('nines-http', '{"revision":0}')).toThrow();
    expect(() => putResponseRevision('nines-http', 'null')).toThrow();
    expect(() => putResponseRevision('etcd-gateway', 'not json')).toThrow(SyntaxError);
  });
});

describe('errorAnswerKind', () => {
  it('groups errors by status and the code in the body', () => {
    expect(errorAnswerKind(503, '{"code":"NINES_ERR_NO_LEADER","message":"x"}')).toBe('http 503 NINES_ERR_NO_LEADER');
    expect(errorAnswerKind(503, '{"error":"etcdserver: no leader","code":14}')).toBe('http 503 14');
    expect(errorAnswerKind(500, '<html>')).toBe('http 500');
  });
});

describe('key space and value', () => {
  it('cycles through exactly `keys` distinct keys of equal length', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 2_000 }), (keys) => {
        const seen = new Set<string>();
        for (let i = 0; i < 2 * keys; i++) seen.add(benchKey(i, keys));
        expect(seen.size).toBe(keys);
        expect(new Set([...seen].map((k) => k.length)).size).toBe(1);
        expect(benchKey(keys + 3, keys)).toBe(benchKey(3, keys));
      }),
      { numRuns: 30 },
    );
  });

  it('makes a printable value of exactly the requested size', () => {
    for (const bytes of [1, 255, 256, 4096]) {
      const v = benchValue(bytes);
      expect(Buffer.byteLength(v, 'utf8')).toBe(bytes);
      expect(/^[a-z0-9]+$/.test(v)).toBe(true);
    }
  });
});
