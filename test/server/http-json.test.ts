import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fromUtf8 } from '../../src/kv/bytes.js';
import { decodeEnvelope, encodeEnvelope } from '../../src/server/envelope.js';
import { errorResponse, httpStatusOf } from '../../src/server/http/errors.js';
import { JsonFields } from '../../src/server/http/fields.js';
import { parseRangeRequest, parseTxnRequest } from '../../src/server/http/kv-json.js';
import { Router } from '../../src/server/http/router.js';
import { ErrorCodes, NinesError } from '../../src/core/errors.js';

describe('HTTP request parsing', () => {
  it('parses a range with prefix into etcd range_end conventions', () => {
    const r = parseRangeRequest(new JsonFields({ key: 'a/', prefix: true, limit: 5, revision: 3 }, 'body'));
    expect(fromUtf8(r.key)).toBe('a/');
    expect(fromUtf8(r.rangeEnd!)).toBe('a0');
    expect(r.limit).toBe(5);
    expect(r.revision).toBe(3);
    const all = parseRangeRequest(new JsonFields({ key: 'a', fromKey: true }, 'body'));
    expect([...all.rangeEnd!]).toEqual([0]);
  });

  it('names the bad field by its path', () => {
    expect(() => parseRangeRequest(new JsonFields({ key: 'a', prefix: true, rangeEnd: 'b' }, 'body'))).toThrow(/exclusive/);
    expect(() => parseRangeRequest(new JsonFields({ key: 'a', revision: -1 }, 'body'))).toThrow(/body.revision must be from 0/);
    expect(() => parseRangeRequest(new JsonFields({ key: 7 }, 'body'))).toThrow(/body.key must be a string/);
    expect(() =>
      parseTxnRequest(new JsonFields({ compare: [], success: [{ put: { key: 'k', value: 'v' } }, { put: { key: 'k' } }] }, 'body')),
    ).toThrow(/body.success\[1\].put.value is required/);
    expect(() => parseTxnRequest(new JsonFields({ success: [{ put: { key: 'k', value: 'v' }, delete: { key: 'k' } }] }, 'body'))).toThrow(
      /exactly one of/,
    );
    expect(() => parseTxnRequest(new JsonFields({ compare: [{ key: 'k', target: 'version', result: '~', version: 1 }] }, 'body'))).toThrow(
      /body.compare\[0\].result must be one of/,
    );
    const f = new JsonFields({ key: 'k', extra: 1 }, 'body');
    parseRangeRequest(f);
    expect(() => f.done()).toThrow(/body.extra is not a known field/);
  });

  it('maps compare operators and nested transactions', () => {
    const t = parseTxnRequest(
      new JsonFields(
        {
          compare: [{ key: 'k', target: 'mod', result: '<', modRevision: 9 }],
          success: [{ txn: { success: [{ delete: { key: 'p/', prefix: true } }] } }],
          failure: [{ range: { key: 'k' } }],
        },
        'body',
      ),
    );
    expect(t.compare![0]).toMatchObject({ target: 'mod', result: 'less', modRevision: 9 });
    expect(t.success![0]!.type).toBe('txn');
    expect(t.failure![0]!.type).toBe('range');
  });

  it('maps every error code to a status, unknown errors to 500', () => {
    for (const code of Object.values(ErrorCodes)) expect(httpStatusOf(code)).toBeGreaterThanOrEqual(400);
    expect(errorResponse(new NinesError(ErrorCodes.TIMEOUT, 't')).status).toBe(504);
    expect(errorResponse(new NinesError(ErrorCodes.NO_LEADER, 'n')).status).toBe(503);
    expect(errorResponse(new Error('boom'))).toEqual({ status: 500, body: { code: ErrorCodes.INTERNAL, message: 'internal error: boom' } });
  });
});

describe('Router', () => {
  const r = new Router<null>()
    .add('kv.range', 'POST', '/v1/kv/range', () => undefined)
    .add('kv.get', 'GET', '/v1/kv/*', () => undefined)
    .add('kv.put', 'PUT', '/v1/kv/*', () => undefined);

  it('matches exact and prefix routes, decoding the key', () => {
    expect(r.match('POST', '/v1/kv/range').route.name).toBe('kv.range');
    expect(r.match('GET', '/v1/kv/range').route.name).toBe('kv.get');
    const m = r.match('PUT', '/v1/kv/a%2Fb/c');
    expect(m.route.name).toBe('kv.put');
    expect(m.rest).toBe('a/b/c');
  });

  it('answers 405 for a known path with another method and 404 for unknown paths', () => {
    expect(() => r.match('DELETE', '/v1/kv/x')).toThrow(/method DELETE is not allowed/);
    expect(() => r.match('GET', '/v2/kv/x')).toThrow(/no such route/);
    expect(() => r.match('GET', '/v1/kv/%E0%A4%A')).toThrow(/malformed percent-encoding/);
  });
});

describe('entry envelope', () => {
  it('round-trips the request tag and the command bytes', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 2 ** 48 - 1 }),
        fc.integer({ min: 0, max: 2 ** 32 - 1 }),
        fc.integer({ min: 0, max: 2 ** 32 - 1 }),
        fc.uint8Array({ maxLength: 64 }),
        (memberId, boot, seq, command) => {
          const out = decodeEnvelope(encodeEnvelope({ memberId, boot, seq }, command));
          expect(out.tag).toEqual({ memberId, boot, seq });
          expect([...out.command]).toEqual([...command]);
        },
      ),
    );
    expect(() => decodeEnvelope(new Uint8Array([9, 1, 2]))).toThrow(/does not start with a nines envelope/);
  });
});
