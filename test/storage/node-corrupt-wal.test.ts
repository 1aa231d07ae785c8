import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { retrying, TestCluster } from '../server/harness.js';

/** End to end: a real `nines start` process refuses a damaged WAL segment, naming the file. */
describe('a node with a corrupted WAL', () => {
  let c: TestCluster | undefined;

  afterEach(async () => {
    await c?.cleanup();
    c = undefined;
  });

  it('refuses to start, naming the segment file', async () => {
    c = await TestCluster.create({ nodes: 1 });
    const cluster = c;
    await cluster.startAll();
    const marker = `CORRUPT-ME-${'x'.repeat(64)}`;
    await retrying(() => cluster.client().put('victim', marker));
    await retrying(() => cluster.client().put('after', 'a later record, so the damaged one is not the last'));
    expect(await cluster.stop(0)).toBe(0);
    const walDir = join(cluster.members[0]!.dataDir, 'member', 'wal');
    const segments = readdirSync(walDir).filter((f) => f.endsWith('.wal'));
    const hits = segments.map((f) => join(walDir, f)).filter((p) => readFileSync(p).includes(marker));
    expect(hits.length).toBe(1);
    const path = hits[0]!;
    const bytes = readFileSync(path);
    const at = bytes.indexOf(marker);
    bytes[at + 20] = (bytes[at + 20]! ^ 0xff) & 0xff;
    writeFileSync(path, bytes);
    cluster.spawn(0);
    expect(await cluster.exited(0)).toBe(2);
    const log = cluster.log(0);
    expect(log).toMatch(/corrupt/i);
    expect(log).toContain(path);
    expect(log).toContain('NINES_ERR_CORRUPT');
  }, 60_000);
});
