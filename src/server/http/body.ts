import type { IncomingMessage } from 'node:http';
import { InvalidArgumentError, LimitExceededError } from '../../core/errors.js';

/**
 * Read a request body of at most `bytesMax` bytes. A declared Content-Length above the
 * limit is refused before reading; a stream that grows past it is cut off.
 */
export async function readBody(req: IncomingMessage, bytesMax: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? Number.NaN);
  if (Number.isFinite(declared) && declared > bytesMax) {
    req.resume();
    throw new LimitExceededError('request body bytes (requestBodyBytesMax)', declared, bytesMax);
  }
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of req) {
    const buf = chunk as Buffer;
    total += buf.length;
    if (total > bytesMax) {
      req.resume();
      throw new LimitExceededError('request body bytes (requestBodyBytesMax)', total, bytesMax);
    }
    chunks.push(buf);
  }
  return Buffer.concat(chunks, total);
}

/** Parse a JSON object body; an empty body is `{}`. Malformed JSON is INVALID_ARGUMENT. */
export function parseJsonObject(body: Buffer): Record<string, unknown> {
  if (body.length === 0) return {};
  let value: unknown;
  try {
    value = JSON.parse(body.toString('utf8'));
  } catch (err) {
    throw new InvalidArgumentError(`request body is not valid JSON: ${(err as Error).message}`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new InvalidArgumentError('request body must be a JSON object');
  }
  return value as Record<string, unknown>;
}
