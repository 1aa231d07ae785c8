import type { IncomingMessage, ServerResponse } from 'node:http';
import { ErrorCodes, InvalidArgumentError, NinesError } from '../../core/errors.js';
import { Limits } from '../../core/limits.js';
import { type Failpoints, parseFailpoints } from '../../core/failpoints.js';
import { prefixEnd, RANGE_END_ALL, utf8 } from '../../kv/bytes.js';
import { ServerLimits } from '../limits.js';
import type { NodeService, ReadOptions, WatchRequest } from '../service.js';
import { parseJsonObject, readBody } from './body.js';
import { JsonFields, parseIntValue } from './fields.js';
import {
  deleteResponseJson,
  keyValueJson,
  parseDeleteRequest,
  parsePutRequest,
  parseRangeRequest,
  parseTxnRequest,
  putResponseJson,
  rangeResponseJson,
  txnResponseJson,
} from './kv-json.js';
import { Router } from './router.js';
import { serveWatch, type WatchStreams } from './sse.js';

/** One request being handled. */
export interface HttpContext {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly url: URL;
  /** Send a JSON body with a status (200 unless given). */
  json(body: unknown, status?: number): void;
}

export interface ApiDeps {
  readonly service: NodeService;
  readonly watches: WatchStreams;
  readonly metricsText: () => Promise<{ contentType: string; text: string }>;
  readonly dashboardHtml: () => string;
  /** The `GET /v1/slo` document (docs/slo.md); absent: 404. */
  readonly sloStatus?: () => unknown;
  /** Failpoints switchable at run time (only when NINES_FAILPOINTS is set); absent: 404. */
  readonly failpoints?: Failpoints;
}

async function body(ctx: HttpContext): Promise<JsonFields> {
  const buf = await readBody(ctx.req, ServerLimits.requestBodyBytesMax);
  return new JsonFields(parseJsonObject(buf), 'body');
}

/** Query flags: "true"/"1"/"" → true, "false"/"0" → false, absent → undefined. */
function queryBool(url: URL, name: string): boolean | undefined {
  const v = url.searchParams.get(name);
  if (v === null) return undefined;
  if (v === '' || v === 'true' || v === '1') return true;
  if (v === 'false' || v === '0') return false;
  throw new InvalidArgumentError(`query parameter ${name} must be true or false, got "${v}"`);
}

function queryInt(url: URL, name: string, min: number): number | undefined {
  const v = url.searchParams.get(name);
  if (v === null) return undefined;
  return parseIntValue(v, `query parameter ${name}`, min, Number.MAX_SAFE_INTEGER);
}

function knownQuery(url: URL, names: readonly string[]): void {
  for (const key of url.searchParams.keys()) {
    if (!names.includes(key)) {
      throw new InvalidArgumentError(`query parameter "${key}" is not known here; known: ${names.join(', ') || 'none'}`);
    }
  }
}

function readOptions(url: URL, f?: JsonFields): ReadOptions {
  const fromBody = f?.bool('serializable');
  return { serializable: fromBody ?? queryBool(url, 'serializable') ?? false };
}

function keyOf(rest: string): Uint8Array {
  const key = utf8(rest);
  if (key.length === 0) throw new InvalidArgumentError('the key in /v1/kv/{key} must not be empty');
  if (key.length > Limits.keyBytesMax) {
    throw new NinesError(ErrorCodes.LIMIT_EXCEEDED, `key bytes (keyBytesMax) exceeded: ${key.length} > ${Limits.keyBytesMax}`);
  }
  return key;
}

function leaseId(f: JsonFields, field = 'id'): number {
  const id = f.int(field, { min: 1 });
  if (id === undefined) throw new InvalidArgumentError(`${f.path(field)} is required (a lease id)`);
  return id;
}

/** Every route of the HTTP/JSON API (docs/http-api.md). */
export function buildRouter(deps: ApiDeps): Router<HttpContext> {
  const s = deps.service;
  const r = new Router<HttpContext>();
  r.add('livez', 'GET', '/livez', (ctx) => health(ctx, s.live()));
  r.add('readyz', 'GET', '/readyz', (ctx) => health(ctx, s.ready()));
  r.add('metrics', 'GET', '/metrics', async (ctx) => {
    const m = await deps.metricsText();
    ctx.res.writeHead(200, { 'content-type': m.contentType });
    ctx.res.end(m.text);
  });
  r.add('dashboard', 'GET', '/', (ctx) => {
    ctx.res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-cache' });
    ctx.res.end(deps.dashboardHtml());
  });
  r.add('status', 'GET', '/v1/status', (ctx) => {
    knownQuery(ctx.url, []);
    ctx.res.setHeader('access-control-allow-origin', '*');
    ctx.json(s.status());
  });
  // Tests only (src/core/failpoints.ts): the route exists when the member was started with
  // NINES_FAILPOINTS set. The body is the whole new spec, e.g. `storageBeforeSync=sleep(1500)`.
  const fp = deps.failpoints;
  if (fp !== undefined) {
    r.add('failpoints.get', 'GET', '/debug/failpoints', (ctx) => {
      knownQuery(ctx.url, []);
      ctx.json({ failpoints: fp.toString() });
    });
    r.add('failpoints.put', 'PUT', '/debug/failpoints', async (ctx) => {
      knownQuery(ctx.url, []);
      const spec = (await readBody(ctx.req, ServerLimits.requestBodyBytesMax)).toString('utf8');
      fp.replaceWith(parseFailpoints(spec));
      ctx.json({ failpoints: fp.toString() });
    });
  }
  r.add('slo', 'GET', '/v1/slo', (ctx) => {
    knownQuery(ctx.url, []);
    if (deps.sloStatus === undefined) throw new NinesError(ErrorCodes.NOT_FOUND, 'this member keeps no SLOs');
    ctx.res.setHeader('access-control-allow-origin', '*');
    ctx.json(deps.sloStatus());
  });

  r.add('kv.range', 'POST', '/v1/kv/range', async (ctx) => {
    knownQuery(ctx.url, ['serializable']);
    const f = await body(ctx);
    const request = parseRangeRequest(f);
    const options = readOptions(ctx.url, f);
    f.done();
    ctx.json(rangeResponseJson(await s.range(request, options), request.keysOnly === true));
  });
  r.add('kv.get', 'GET', '/v1/kv/*', async (ctx, rest) => {
    knownQuery(ctx.url, ['serializable', 'revision']);
    const key = keyOf(rest);
    const revision = queryInt(ctx.url, 'revision', 0);
    const request = revision === undefined ? { key } : { key, revision };
    const res = await s.range(request, readOptions(ctx.url));
    const kv = res.kvs[0];
    if (kv === undefined) throw new NinesError(ErrorCodes.NOT_FOUND, `key "${rest}" not found`);
    ctx.json(keyValueJson(kv));
  });
  r.add('kv.put', 'PUT', '/v1/kv/*', async (ctx, rest) => {
    knownQuery(ctx.url, []);
    const key = keyOf(rest);
    const f = await body(ctx);
    const request = parsePutRequest(f, key);
    f.done();
    ctx.json(putResponseJson(await s.put(request)));
  });
  r.add('kv.delete', 'DELETE', '/v1/kv/*', async (ctx, rest) => {
    knownQuery(ctx.url, ['prefix', 'fromKey', 'prevKv']);
    const key = keyOf(rest);
    const prefix = queryBool(ctx.url, 'prefix') === true;
    const fromKey = queryBool(ctx.url, 'fromKey') === true;
    if (prefix && fromKey) throw new InvalidArgumentError('query parameters prefix and fromKey are exclusive');
    const request = parseDeleteRequest(new JsonFields({}, 'query'), key);
    const withEnd = prefix ? { ...request, rangeEnd: prefixEnd(key) } : fromKey ? { ...request, rangeEnd: RANGE_END_ALL } : request;
    const full = queryBool(ctx.url, 'prevKv') === true ? { ...withEnd, prevKv: true } : withEnd;
    ctx.json(deleteResponseJson(await s.deleteRange(full)));
  });
  r.add('txn', 'POST', '/v1/txn', async (ctx) => {
    knownQuery(ctx.url, ['serializable']);
    const f = await body(ctx);
    const options = readOptions(ctx.url, f);
    const request = parseTxnRequest(f);
    ctx.json(txnResponseJson(await s.txn(request, options)));
  });
  r.add('compact', 'POST', '/v1/compact', async (ctx) => {
    knownQuery(ctx.url, []);
    const f = await body(ctx);
    const revision = f.int('revision', { min: 1 });
    if (revision === undefined) throw new InvalidArgumentError('body.revision is required');
    f.done();
    ctx.json({ revision: (await s.compact(revision)).revision });
  });
  r.add('watch', 'GET', '/v1/watch', (ctx) => {
    knownQuery(ctx.url, ['key', 'rangeEnd', 'prefix', 'fromKey', 'startRevision', 'prevKv', 'filter']);
    serveWatch(ctx, deps.watches, s, parseWatchQuery(ctx));
  });

  r.add('hash', 'GET', '/v1/hash', async (ctx) => {
    knownQuery(ctx.url, ['revision', 'serializable']);
    if (s.hashKv === undefined) throw new NinesError(ErrorCodes.NOT_FOUND, 'this member does not serve /v1/hash');
    ctx.json(await s.hashKv(queryInt(ctx.url, 'revision', 0) ?? 0, readOptions(ctx.url)));
  });
  r.add('move-leader', 'POST', '/v1/move-leader', async (ctx) => {
    knownQuery(ctx.url, []);
    const f = await body(ctx);
    const to = f.bytes('to', { required: true, bytesMax: 64, limitName: 'member name', nonEmpty: true })!;
    f.done();
    if (s.moveLeader === undefined) throw new NinesError(ErrorCodes.NOT_FOUND, 'this member does not serve /v1/move-leader');
    await s.moveLeader(new TextDecoder().decode(to));
    ctx.json({ leader: s.status().leaderName });
  });
  r.add('lease.grant', 'POST', '/v1/lease/grant', async (ctx) => {
    const f = await body(ctx);
    const ttl = f.int('ttl', { min: 1, max: 9_000_000_000 });
    if (ttl === undefined) throw new InvalidArgumentError('body.ttl is required (seconds)');
    const id = f.int('id', { min: 0 }) ?? 0;
    f.done();
    const g = await s.leaseGrant(ttl, id);
    ctx.json({ id: g.id, ttl: g.ttlSec, revision: g.revision });
  });
  r.add('lease.revoke', 'POST', '/v1/lease/revoke', async (ctx) => {
    const f = await body(ctx);
    const id = leaseId(f);
    f.done();
    const g = await s.leaseRevoke(id);
    ctx.json({ revision: g.revision, deleted: g.deleted });
  });
  r.add('lease.keepalive', 'POST', '/v1/lease/keepalive', async (ctx) => {
    const f = await body(ctx);
    const id = leaseId(f);
    f.done();
    const g = await s.leaseKeepAlive(id);
    ctx.json({ id: g.id, ttl: g.ttlSec, revision: g.revision });
  });
  r.add('lease.ttl', 'POST', '/v1/lease/ttl', async (ctx) => {
    const f = await body(ctx);
    const id = leaseId(f);
    const keys = f.bool('keys') === true;
    const options = readOptions(ctx.url, f);
    f.done();
    const g = await s.leaseTimeToLive(id, keys, options);
    const out: Record<string, unknown> = { id: g.id, ttl: g.ttlSec, grantedTtl: g.grantedTtlSec, revision: g.revision };
    if (keys) out['keys'] = g.keys.map((k) => new TextDecoder().decode(k));
    ctx.json(out);
  });
  r.add('lease.leases', 'POST', '/v1/lease/leases', async (ctx) => {
    const f = await body(ctx);
    const options = readOptions(ctx.url, f);
    f.done();
    ctx.json(await s.leaseList(options));
  });
  return r;
}

function health(ctx: HttpContext, result: { ok: boolean; reason: string }): void {
  ctx.res.writeHead(result.ok ? 200 : 503, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' });
  ctx.res.end(result.ok ? 'ok\n' : `not ok: ${result.reason}\n`);
}

function parseWatchQuery(ctx: HttpContext): WatchRequest {
  const url = ctx.url;
  const keyText = url.searchParams.get('key');
  if (keyText === null) throw new InvalidArgumentError('query parameter key is required');
  const f = new JsonFields(
    {
      key: keyText,
      ...(url.searchParams.has('rangeEnd') ? { rangeEnd: url.searchParams.get('rangeEnd') } : {}),
      ...(queryBool(url, 'prefix') === true ? { prefix: true } : {}),
      ...(queryBool(url, 'fromKey') === true ? { fromKey: true } : {}),
    },
    'query',
  );
  const range = parseRangeRequest(f);
  let startRevision = queryInt(url, 'startRevision', 0);
  // An EventSource reconnecting sends the last event id it saw: resume right after it.
  const lastEventId = ctx.req.headers['last-event-id'];
  if (startRevision === undefined && typeof lastEventId === 'string' && lastEventId !== '') {
    startRevision = parseIntValue(lastEventId, 'header Last-Event-ID', 0, Number.MAX_SAFE_INTEGER - 1) + 1;
  }
  const filter = url.searchParams.getAll('filter');
  for (const fl of filter) {
    if (fl !== 'noput' && fl !== 'nodelete') throw new InvalidArgumentError(`query parameter filter must be noput or nodelete, got "${fl}"`);
  }
  const request: WatchRequest = {
    key: range.key,
    startRevision: startRevision ?? 0,
    prevKv: queryBool(url, 'prevKv') === true,
    noPut: filter.includes('noput'),
    noDelete: filter.includes('nodelete'),
  };
  return range.rangeEnd === undefined ? request : { ...request, rangeEnd: range.rangeEnd };
}
