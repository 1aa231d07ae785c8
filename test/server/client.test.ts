import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { NinesHttpClient } from '../../src/server/client.js';

/** A loopback port that nothing listens on (bound, then released). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return address.port;
}

describe('NinesHttpClient errors', () => {
  it('a refused connection says so, and what to do', async () => {
    const endpoint = `http://127.0.0.1:${await closedPort()}`;
    const client = new NinesHttpClient([endpoint]);
    const err = await client.requestOne(endpoint, 'GET', '/v1/status').then(
      () => undefined,
      (e: unknown) => e as { code: string; message: string },
    );
    expect(err?.code).toBe('NINES_ERR_UNAVAILABLE');
    expect(err?.message).toContain(endpoint);
    expect(err?.message).toMatch(/connection refused .*nines up/);
  });
});
