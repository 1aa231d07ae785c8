/**
 * The wire shape of one put for each system (pure, so it is testable without a server):
 * nines' HTTP/JSON API `PUT /v1/kv/{key}` {"value"} → {"revision"}, and etcd's JSON gateway
 * `POST /v3/kv/put` {"key","value" in base64} → {"header":{"revision":"n"}} (etcd's JSON
 * mapping writes 64-bit integers as strings).
 */

export type PutApi = 'nines-http' | 'etcd-gateway';

export interface HttpRequestShape {
  readonly method: 'PUT' | 'POST';
  readonly path: string;
  readonly body: string;
}

export function putRequest(api: PutApi, key: string, value: string): HttpRequestShape {
  switch (api) {
    case 'nines-http':
      return { method: 'PUT', path: `/v1/kv/${encodeURIComponent(key)}`, body: JSON.stringify({ value }) };
    case 'etcd-gateway':
      return {
        method: 'POST',
        path: '/v3/kv/put',
        body: JSON.stringify({ key: Buffer.from(key, 'utf8').toString('base64'), value: Buffer.from(value, 'utf8').toString('base64') }),
      };
  }
}

/** The store revision a successful put answer carries; throws when the answer has none. */
export function putResponseRevision(api: PutApi, text: string): number {
  const body = JSON.parse(text) as unknown;
  const raw =
    api === 'nines-http'
      ? (body as { revision?: unknown } | null)?.revision
      : (body as { header?: { revision?: unknown } } | null)?.header?.revision;
  const revision = typeof raw === 'string' ? Number(raw) : raw;
  if (typeof revision !== 'number' || !Number.isSafeInteger(revision) || revision < 1) {
    throw new Error(`put answer without a revision: ${text.slice(0, 200)}`);
  }
  return revision;
}

/** A short, stable label for an error answer (grouped in the error counts). */
export function errorAnswerKind(status: number, text: string): string {
  let code = '';
  try {
    const body = JSON.parse(text) as { code?: unknown; error?: unknown };
    if (typeof body.code === 'string' || typeof body.code === 'number') code = ` ${body.code}`;
  } catch {
    // not JSON
  }
  return `http ${status}${code}`;
}

/** The i-th key of a key space of `keys` keys (fixed width, so every key has the same size). */
export function benchKey(i: number, keys: number): string {
  const width = String(Math.max(1, keys - 1)).length;
  return `bench/${String(i % keys).padStart(width, '0')}`;
}

/** A deterministic printable value of exactly `bytes` bytes. */
export function benchValue(bytes: number): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  let out = '';
  for (let i = 0; i < bytes; i++) out += alphabet[(i * 7 + 3) % alphabet.length];
  return out;
}
