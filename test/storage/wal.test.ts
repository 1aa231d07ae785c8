import { existsSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { CorruptError } from '../../src/core/errors.js';
import type { LogIndex, NodeId, Term } from '../../src/core/ids.js';
import type { DiskStorage } from '../../src/storage/disk-storage.js';
import { entry } from './contract.js';
import { openStorage, removeTempDirs, TEST_WAL_SEGMENT_BYTES, tempDir, walFrames, walSegments } from './helpers.js';

afterAll(removeTempDirs);

const idx = (n: number) => n as LogIndex;
const conf = { voters: [1, 2, 3] as NodeId[], learners: [] as NodeId[], votersOutgoing: [] as NodeId[] };

/** Entry `i` with a recognisable payload of `bytes` bytes. */
function big(i: number, termValue = 1, bytes = 700): ReturnType<typeof entry> {
  return entry(i, termValue, `entry-${i}-`.padEnd(bytes, String.fromCharCode(97 + (i % 26))));
}

/** One save per entry, hard state committing each. */
async function fill(s: DiskStorage, from: number, to: number, termValue = 1): Promise<void> {
  for (let i = from; i <= to; i++) {
    await s.save({ entries: [big(i, termValue)], hardState: { term: termValue as Term, vote: 1 as NodeId, commit: idx(i) } });
  }
}

function expectEntries(s: DiskStorage, from: number, to: number): void {
  const got = s.entries(idx(from), idx(to + 1), Number.MAX_SAFE_INTEGER);
  expect(got.map((e) => e.index)).toEqual(Array.from({ length: to - from + 1 }, (_, k) => from + k));
  for (const e of got) expect(new TextDecoder().decode(e.data).startsWith(`entry-${e.index}-`)).toBe(true);
}

async function corruptMessage(fn: () => Promise<unknown>): Promise<string> {
  const err = await fn().then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(CorruptError);
  return (err as Error).message;
}

describe('WAL torn tail', () => {
  it('a last record with a never-written sector is dropped, and the log continues after it', async () => {
    const dir = tempDir();
    const a = await openStorage(dir);
    await fill(a, 1, 5);
    const segment = walSegments(a.walDir).at(-1)!;
    await a.close();
    const last = walFrames(segment).at(-1)!;
    const bytes = readFileSync(segment);
    bytes.fill(0, last.at + 200, last.end); // the record's tail sectors never reached the disk
    writeFileSync(segment, bytes);

    const b = await openStorage(dir);
    expect(b.lastIndex()).toBe(4);
    expect(b.initialState().hardState.commit).toBe(4);
    expectEntries(b, 1, 4);
    // The torn bytes were zeroed on disk, so the next record lands cleanly.
    expect(readFileSync(segment).subarray(last.at, last.end).every((x) => x === 0)).toBe(true);
    await b.save({ entries: [big(5, 2)], hardState: { term: 2 as Term, vote: 1 as NodeId, commit: idx(5) } });
    await b.close();
    const c = await openStorage(dir);
    expect([c.lastIndex(), c.term(idx(5))]).toEqual([5, 2]);
    expectEntries(c, 1, 5);
    await c.close();
  });

  it('a last record cut short by the end of the file is dropped', async () => {
    const dir = tempDir();
    const a = await openStorage(dir);
    await fill(a, 1, 3);
    const segment = walSegments(a.walDir).at(-1)!;
    await a.close();
    const last = walFrames(segment).at(-1)!;
    truncateSync(segment, last.at + 100);
    const b = await openStorage(dir);
    expect(b.lastIndex()).toBe(2);
    await fill(b, 3, 4);
    await b.close();
    const c = await openStorage(dir);
    expectEntries(c, 1, 4);
    await c.close();
  });
});

describe('WAL corruption', () => {
  it('a bad record followed by good ones is corruption, not a torn tail', async () => {
    const dir = tempDir();
    const a = await openStorage(dir);
    await fill(a, 1, 5);
    const segment = walSegments(a.walDir).at(-1)!;
    await a.close();
    const frames = walFrames(segment);
    const third = frames[3]!; // frames[0] is the segment header
    const bytes = readFileSync(segment);
    bytes.fill(0, third.at + 200, third.end);
    writeFileSync(segment, bytes);
    const message = await corruptMessage(() => openStorage(dir));
    expect(message).toContain(segment);
    expect(message).toContain(`WAL record at offset ${third.at}`);
    expect(message).toMatch(/re-add it with an empty data dir/);
  });

  it('a flipped byte in the last record (every sector written) is corruption naming the entry', async () => {
    const dir = tempDir();
    const a = await openStorage(dir);
    await fill(a, 1, 3);
    const segment = walSegments(a.walDir).at(-1)!;
    await a.close();
    const bytes = readFileSync(segment);
    const at = bytes.indexOf('entry-3-');
    bytes[at + 20] = bytes[at + 20]! ^ 0x04;
    writeFileSync(segment, bytes);
    const message = await corruptMessage(() => openStorage(dir));
    expect(message).toContain(segment);
    expect(message).toContain('log entry 3 fails its checksum');
  });

  it('a bad record in an older segment is corruption even at its end', async () => {
    const dir = tempDir();
    const a = await openStorage(dir);
    await fill(a, 1, 60);
    const segments = walSegments(a.walDir);
    expect(segments.length).toBeGreaterThan(2);
    await a.close();
    const older = segments[0]!;
    const last = walFrames(older).at(-1)!;
    const bytes = readFileSync(older);
    bytes.fill(0, last.at + 200, last.end);
    writeFileSync(older, bytes);
    const message = await corruptMessage(() => openStorage(dir));
    expect(message).toContain(older);
    expect(message).toContain(`WAL record at offset ${last.at}`);
  });

  it('a missing segment in the middle is corruption', async () => {
    const dir = tempDir();
    const a = await openStorage(dir);
    await fill(a, 1, 60);
    const segments = walSegments(a.walDir);
    await a.close();
    writeFileSync(segments[1]!, ''); // replaced by an empty file: no header
    expect(await corruptMessage(() => openStorage(dir))).toContain('has no header');
  });
});

describe('WAL segments', () => {
  it('rolls over to new segments and recovers every entry, the hard state and the conf state from many segments', async () => {
    const dir = tempDir();
    const a = await openStorage(dir);
    await a.save({ confState: conf });
    await fill(a, 1, 200);
    const segments = walSegments(a.walDir);
    // 200 records of ~800 bytes in 16 KiB segments.
    expect(segments.length).toBeGreaterThanOrEqual(Math.floor((200 * 800) / TEST_WAL_SEGMENT_BYTES));
    expect(a.stats().walSegments).toBe(segments.length);
    await a.close();
    const b = await openStorage(dir, { cacheBytesMax: 1 }); // every read goes to the segment files
    expect(b.lastIndex()).toBe(200);
    expect(b.initialState().hardState).toEqual({ term: 1, vote: 1, commit: 200 });
    expect(b.initialState().confState).toEqual(conf);
    expectEntries(b, 1, 200);
    await b.close();
  });

  it('a conflicting append across segments replaces the suffix after reopen', async () => {
    const dir = tempDir();
    const a = await openStorage(dir);
    for (let i = 1; i <= 60; i++) await a.save({ entries: [big(i)] });
    await a.save({ entries: [big(30, 2), big(31, 2)], hardState: { term: 2 as Term, vote: 1 as NodeId, commit: idx(29) } });
    await a.close();
    const b = await openStorage(dir, { cacheBytesMax: 1 });
    expect([b.lastIndex(), b.term(idx(29)), b.term(idx(30)), b.term(idx(31))]).toEqual([31, 1, 2, 2]);
    expectEntries(b, 1, 31);
    await b.close();
  });

  it('compaction deletes the segments it made garbage, never the current one, and recovery still works', async () => {
    const dir = tempDir();
    const a = await openStorage(dir);
    await a.save({ confState: conf });
    await fill(a, 1, 150);
    const before = walSegments(a.walDir);
    await a.saveSnapshot({ metadata: { index: idx(120), term: 1 as Term, confState: conf }, data: new Uint8Array([7]) });
    await a.compact(idx(120));
    const after = walSegments(a.walDir);
    expect(after.length).toBeLessThan(before.length);
    expect(existsSync(before[0]!)).toBe(false);
    expect(after.at(-1)).toBe(before.at(-1));
    expect(a.firstIndex()).toBe(121);
    await a.compact(idx(120)); // no-op
    await fill(a, 151, 160);
    await a.close();
    const b = await openStorage(dir, { cacheBytesMax: 1 });
    expect([b.firstIndex(), b.lastIndex(), b.term(idx(120))]).toEqual([121, 160, 1]);
    expect(b.initialState().confState).toEqual(conf);
    expect(b.initialState().hardState.commit).toBe(160);
    expectEntries(b, 121, 160);
    await b.close();
  });

  it('a leader snapshot makes every older segment garbage at the next compaction', async () => {
    const dir = tempDir();
    const a = await openStorage(dir);
    await fill(a, 1, 60);
    await a.save({
      snapshot: { metadata: { index: idx(1000), term: 3 as Term, confState: conf }, data: new Uint8Array([1]) },
      hardState: { term: 3 as Term, vote: 0 as NodeId, commit: idx(1000) },
    });
    await fill(a, 1001, 1040, 3);
    await a.close();
    const b = await openStorage(dir);
    expect([b.firstIndex(), b.lastIndex(), b.term(idx(1000))]).toEqual([1001, 1040, 3]);
    expectEntries(b, 1001, 1040);
    await b.saveSnapshot({ metadata: { index: idx(1001), term: 3 as Term, confState: conf }, data: new Uint8Array([2]) });
    await b.compact(idx(1001));
    const left = walSegments(b.walDir);
    await b.close();
    // Only segments written after the snapshot record (entries 1001..1040, ~800 bytes each) remain.
    expect(left.length).toBeLessThanOrEqual(Math.ceil((40 * 800) / TEST_WAL_SEGMENT_BYTES) + 1);
    const c = await openStorage(dir, { cacheBytesMax: 1 });
    expect([c.firstIndex(), c.lastIndex()]).toEqual([1002, 1040]);
    expectEntries(c, 1002, 1040);
    await c.close();
  });
});

describe('WAL open', () => {
  it('reopening an empty storage writes nothing to the WAL', async () => {
    const dir = tempDir();
    const a = await openStorage(dir);
    const segment = walSegments(a.walDir)[0]!;
    await a.close();
    const before = walFrames(segment);
    for (let i = 0; i < 2; i++) {
      const b = await openStorage(dir);
      expect([b.firstIndex(), b.lastIndex(), b.initialState().hardState.term]).toEqual([1, 0, 0]);
      await b.close();
    }
    expect(walFrames(segment)).toEqual(before);
    expect(before.length).toBe(1); // the segment header only
  });
});

describe('WAL crash at segment rollover', () => {
  it('a new segment whose first write never reached the disk is removed on open', async () => {
    const dir = tempDir();
    const a = await openStorage(dir);
    await fill(a, 1, 30);
    const segments = walSegments(a.walDir);
    await a.close();
    // Simulate the crash: the next segment is in place (preallocated zeros), its header unwritten.
    const next = segments.at(-1)!.replace(/[0-9a-f]{16}\.wal$/, (name) =>
      `${(Number.parseInt(name.slice(0, 16), 16) + 1).toString(16).padStart(16, '0')}.wal`,
    );
    writeFileSync(next, Buffer.alloc(TEST_WAL_SEGMENT_BYTES));
    const b = await openStorage(dir);
    expect(existsSync(next)).toBe(false);
    expect(b.lastIndex()).toBe(30);
    await fill(b, 31, 60);
    await b.close();
    const c = await openStorage(dir, { cacheBytesMax: 1 });
    expectEntries(c, 1, 60);
    await c.close();
  });
});

describe('WAL unsynced commit-only saves', () => {
  it('a hard state saved with sync: false is written, survives a clean reopen, and rolls over safely', async () => {
    const dir = tempDir();
    const a = await openStorage(dir);
    await a.save({ confState: conf });
    // Entries are synced; only the commit index moves without a sync, across several segments.
    for (let i = 1; i <= 60; i++) {
      await a.save({ entries: [big(i)], hardState: { term: 1 as Term, vote: 1 as NodeId, commit: idx(i - 1) } });
      await a.save({ hardState: { term: 1 as Term, vote: 1 as NodeId, commit: idx(i) }, sync: false });
    }
    expect(walSegments(a.walDir).length).toBeGreaterThan(1);
    await a.close();
    const b = await openStorage(dir);
    expect(b.lastIndex()).toBe(60);
    expect(b.initialState().hardState).toEqual({ term: 1, vote: 1, commit: 60 });
    expectEntries(b, 1, 60);
    await b.close();
  });

  it('sync: false on a save with entries still stores them (the flag only skips syncing a commit-only hard state)', async () => {
    const dir = tempDir();
    const a = await openStorage(dir);
    await a.save({ confState: conf });
    await a.save({ entries: [big(1)], hardState: { term: 1 as Term, vote: 1 as NodeId, commit: idx(1) }, sync: false });
    expect(a.lastIndex()).toBe(1);
    await a.close();
    const b = await openStorage(dir);
    expectEntries(b, 1, 1);
    await b.close();
  });
});
