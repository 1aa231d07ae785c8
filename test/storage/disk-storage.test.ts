import { fork } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { open } from 'lmdb';
import { afterAll, describe, expect, it } from 'vitest';
import { CorruptError, ErrorCodes } from '../../src/core/errors.js';
import type { LogIndex, NodeId, Term } from '../../src/core/ids.js';
import type { Snapshot } from '../../src/raft/types.js';
import { encodeRecord } from '../../src/storage/codec.js';
import { crc32 } from '../../src/storage/crc.js';
import { encodeBatchFrame } from '../../src/storage/wal-codec.js';
import { ClusterMismatchError } from '../../src/storage/errors.js';
import { SnapshotAssembler } from '../../src/storage/snapshot-chunks.js';
import { entry, run } from './contract.js';
import { appendFrame, openStorage, removeTempDirs, tempDir, walSegments } from './helpers.js';
import { transpileForChild } from './transpile.js';

afterAll(removeTempDirs);

const idx = (n: number) => n as LogIndex;
const conf = { voters: [1, 2, 3] as NodeId[], learners: [] as NodeId[], votersOutgoing: [] as NodeId[] };

/** Apply `edit` at every occurrence of `needle` (LMDB may keep stale copies in free pages). */
function editAll(bytes: Buffer, needle: Buffer, edit: (at: number) => void): number {
  let count = 0;
  for (let at = bytes.indexOf(needle); at >= 0; at = bytes.indexOf(needle, at + 1)) {
    edit(at);
    count++;
  }
  return count;
}

function corruptMessage(fn: () => Promise<unknown>): Promise<string> {
  return fn().then(
    () => {
      throw new Error('expected a CorruptError');
    },
    (err: unknown) => {
      expect(err).toBeInstanceOf(CorruptError);
      return (err as Error).message;
    },
  );
}

describe('DiskStorage recovery', () => {
  it('recovers hard state, conf state, log and snapshot after close and reopen', async () => {
    const dir = tempDir();
    const a = await openStorage(dir, { cacheBytesMax: 300 });
    await a.save({ entries: run(1, 50, 1), hardState: { term: 1 as Term, vote: 2 as NodeId, commit: idx(40) } });
    await a.save({ entries: run(30, 60, 2) });
    const snapData = new Uint8Array(3 * 1024 * 1024 + 17).map((_, i) => (i * 7) % 251);
    await a.saveSnapshot({ metadata: { index: idx(45), term: 2 as Term, confState: conf }, data: snapData });
    await a.compact(idx(45));
    await a.save({ confState: { ...conf, learners: [4 as NodeId] } });
    await a.close();

    const b = await openStorage(dir);
    expect(b.initialState().hardState).toEqual({ term: 1, vote: 2, commit: 40 });
    expect(b.initialState().confState.learners).toEqual([4]);
    expect(b.firstIndex()).toBe(46);
    expect(b.lastIndex()).toBe(60);
    expect(b.term(idx(45))).toBe(2);
    expect(b.entries(idx(46), idx(61), 1e9).map((e) => [e.index, e.term])).toEqual(
      run(46, 60, 2).map((e) => [e.index, 2]),
    );
    expect(new TextDecoder().decode(b.entries(idx(50), idx(51), 1e9)[0]!.data)).toBe('e50');
    const snap = b.snapshot();
    expect(snap.metadata.index).toBe(45);
    expect(Buffer.compare(Buffer.from(snap.data), Buffer.from(snapData))).toBe(0);
    await b.close();
  });

  it('a snapshot from the leader survives restart and replaces the log', async () => {
    const dir = tempDir();
    const a = await openStorage(dir);
    await a.save({ entries: run(1, 5, 1) });
    const snapshot: Snapshot = { metadata: { index: idx(100), term: 4 as Term, confState: conf }, data: new Uint8Array([9, 9]) };
    await a.save({ snapshot, entries: run(101, 102, 4), hardState: { term: 4 as Term, vote: 0 as NodeId, commit: idx(100) } });
    await a.close();
    const b = await openStorage(dir);
    expect([b.firstIndex(), b.lastIndex(), b.term(idx(100)), b.term(idx(102))]).toEqual([101, 102, 4, 4]);
    expect([...b.snapshot().data]).toEqual([9, 9]);
    expect(b.initialState().confState.voters).toEqual([1, 2, 3]);
    await b.close();
  });

  it('every write whose save resolved survives kill -9 of the writer', async () => {
    const repo = process.cwd();
    const build = transpileForChild(repo, ['src/core', 'src/storage'], ['src/raft/errors.ts', 'test/storage/fixtures/kill-writer.ts']);
    const dir = tempDir();
    let lastResolved = 0;
    for (let round = 0; round < 3; round++) {
      const killAfter = lastResolved + 20 + round * 37;
      const child = fork(join(build, 'test/storage/fixtures/kill-writer.js'), [dir, '100000'], { stdio: 'pipe' });
      let stderr = '';
      child.stderr?.on('data', (d: Buffer) => {
        stderr += d.toString();
      });
      const exit = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
      child.on('message', (m: { resolved?: number; error?: string }) => {
        if (m.error !== undefined) stderr += m.error;
        if (m.resolved === undefined) return;
        lastResolved = Math.max(lastResolved, m.resolved);
        if (m.resolved >= killAfter) child.kill('SIGKILL');
      });
      const signal = await exit;
      expect(stderr).toBe('');
      expect(signal).toBe('SIGKILL');
      const s = await openStorage(dir, { clusterId: 'kill-test' });
      expect(s.lastIndex()).toBeGreaterThanOrEqual(lastResolved);
      expect(s.initialState().hardState.commit).toBeGreaterThanOrEqual(lastResolved);
      const all = s.entries(idx(1), idx(s.lastIndex() + 1), Number.MAX_SAFE_INTEGER);
      expect(all.length).toBe(s.lastIndex());
      all.forEach((e, i) => {
        expect(new TextDecoder().decode(e.data).startsWith(`payload-${i + 1}.`)).toBe(true);
      });
      await s.close();
    }
    rmSync(build, { recursive: true, force: true });
  });
});

describe('DiskStorage corruption and identity', () => {
  it('a flipped byte in an entry is refused with a CorruptError naming the file', async () => {
    const dir = tempDir();
    const a = await openStorage(dir);
    const marker = 'MARKER-0123456789-MARKER';
    await a.save({ entries: [entry(1, 1, 'first'), entry(2, 1, marker), entry(3, 1, 'third')] });
    const file = walSegments(a.walDir)[0]!;
    await a.close();
    const bytes = readFileSync(file);
    expect(editAll(bytes, Buffer.from(marker), (at) => (bytes[at + 7] = bytes[at + 7]! ^ 0x01))).toBeGreaterThan(0);
    writeFileSync(file, bytes);
    const message = await corruptMessage(() => openStorage(dir));
    expect(message).toContain(file);
    expect(message).toContain('log entry 2');
    expect(message).toMatch(/re-add it with an empty data dir/);
  });

  it('a flipped byte in the snapshot data or the hard state record is refused', async () => {
    const dir = tempDir();
    const a = await openStorage(dir);
    const marker = 'SNAPSHOT-DATA-MARKER-42';
    await a.save({ entries: run(1, 3, 1), hardState: { term: 77_777 as Term, vote: 1 as NodeId, commit: idx(3) } });
    await a.saveSnapshot({ metadata: { index: idx(2), term: 1 as Term, confState: conf }, data: new TextEncoder().encode(marker) });
    const file = a.dataFile;
    const segment = walSegments(a.walDir)[0]!;
    await a.close();
    const original = readFileSync(file);
    const damaged = Buffer.from(original);
    expect(editAll(damaged, Buffer.from(marker), (at) => (damaged[at + 3] = damaged[at + 3]! ^ 0x40))).toBeGreaterThan(0);
    writeFileSync(file, damaged);
    expect(await corruptMessage(() => openStorage(dir))).toMatch(/snapshot 2 data fails its checksum/);
    writeFileSync(file, original);

    // The hard state is in the WAL record: term 77777 as a big-endian float64. Change it.
    const wal = readFileSync(segment);
    const term77777 = Buffer.alloc(8);
    term77777.writeDoubleBE(77_777);
    expect(editAll(wal, term77777, (at) => (wal[at + 3] = wal[at + 3]! ^ 0x01))).toBe(1);
    writeFileSync(segment, wal);
    const message = await corruptMessage(() => openStorage(dir));
    expect(message).toMatch(/WAL record at offset \d+ fails its checksum/);
    expect(message).toContain(segment);
  });

  it('a gap in the log and a commit beyond the log are refused', async () => {
    const dir = tempDir();
    const a = await openStorage(dir);
    await a.save({ entries: run(1, 2, 1) });
    const segment = walSegments(a.walDir)[0]!;
    await a.close();
    // A well-formed record that skips index 3, written where the next save would go.
    appendFrame(segment, encodeBatchFrame({ entries: run(4, 5, 1) }).bytes);
    expect(await corruptMessage(() => openStorage(dir))).toContain('gap in the raft log: expected index 3, found 4');

    const dir2 = tempDir();
    const c = await openStorage(dir2);
    await c.save({ entries: run(1, 2, 1) });
    const segment2 = walSegments(c.walDir)[0]!;
    await c.close();
    appendFrame(segment2, encodeBatchFrame({ entries: [], hardState: { term: 1 as Term, vote: 0 as NodeId, commit: idx(9) } }).bytes);
    expect(await corruptMessage(() => openStorage(dir2))).toContain('hard state commit 9 is beyond the last log index 2');
  });

  it('an unreadable environment is refused naming the file', async () => {
    const dir = tempDir();
    const a = await openStorage(dir);
    const file = a.dataFile;
    await a.close();
    writeFileSync(file, Buffer.alloc(64 * 1024, 0x5a));
    const message = await corruptMessage(() => openStorage(dir));
    expect(message).toContain(file);
  });

  it('refuses a data dir in the old format (raft log inside LMDB) with a clear message', async () => {
    const dir = tempDir();
    const root = open<Buffer>(join(dir, 'member'), { encoding: 'binary', maxDbs: 8 });
    const meta = { formatVersion: 1, clusterId: 'c-123', nodeId: 1, nodeName: 'n1' };
    await root.openDB<Buffer, string>({ name: 'meta', encoding: 'binary' }).put('meta', Buffer.from(encodeRecord('meta', meta)));
    await root.close();
    const err = await openStorage(dir).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect((err as { code?: string } | undefined)?.code).toBe(ErrorCodes.INVALID_ARGUMENT);
    expect(err?.message).toContain(dir);
    expect(err?.message).toMatch(/old storage format 1 \(raft log inside LMDB\)/);
    expect(err?.message).toMatch(/empty one/);
  });

  it('a leader snapshot committed to LMDB whose WAL record never made it replaces the log on open', async () => {
    const dir = tempDir();
    const a = await openStorage(dir);
    await a.save({ entries: run(1, 5, 1), hardState: { term: 1 as Term, vote: 1 as NodeId, commit: idx(3) } });
    await a.close();
    // What the first half of save({snapshot}) writes: snapshot data, its record, the compaction point.
    const root = open<Buffer>(join(dir, 'member'), { encoding: 'binary', maxDbs: 8 });
    const metaDb = root.openDB<Buffer, string>({ name: 'meta', encoding: 'binary' });
    const data = new Uint8Array([1, 2, 3]);
    const record = { index: 10, term: 2, confState: conf, totalBytes: 3, dataCrc: crc32(data), storedChunks: 1 };
    await root.openDB<Buffer, number>({ name: 'snap', encoding: 'binary' }).put(0, Buffer.from(data));
    await metaDb.put('snapshot', Buffer.from(encodeRecord('snapshot', record)));
    await metaDb.put('compacted', Buffer.from(encodeRecord('compacted', { index: 10, term: 2 })));
    await root.close();
    const b = await openStorage(dir);
    expect([b.firstIndex(), b.lastIndex(), b.term(idx(10))]).toEqual([11, 10, 2]);
    expect(b.initialState().hardState).toEqual({ term: 1, vote: 1, commit: 10 });
    expect(b.initialState().confState.voters).toEqual([1, 2, 3]);
    await b.save({ entries: run(11, 12, 2) });
    await b.close();
    const c = await openStorage(dir);
    expect([c.firstIndex(), c.lastIndex(), c.term(idx(12))]).toEqual([11, 12, 2]);
    await c.close();
  });

  it('refuses a data dir of another cluster or member', async () => {
    const dir = tempDir();
    await (await openStorage(dir)).close();
    for (const other of [{ clusterId: 'c-999' }, { nodeId: 2 as NodeId }, { nodeName: 'other' }]) {
      const err = await openStorage(dir, other).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(ClusterMismatchError);
      expect((err as ClusterMismatchError).code).toBe(ErrorCodes.CLUSTER_MISMATCH);
      expect((err as Error).message).toContain(dir);
    }
    const again = await openStorage(dir);
    expect(again.meta.clusterId).toBe('c-123');
    await again.close();
  });
});

describe('DiskStorage snapshots', () => {
  it('streams the stored snapshot in chunks that reassemble', async () => {
    const dir = tempDir();
    const s = await openStorage(dir);
    await s.save({ entries: run(1, 10, 1) });
    const data = new Uint8Array(2_500_000).map((_, i) => (i * 31) % 256);
    await s.saveSnapshot({ metadata: { index: idx(10), term: 1 as Term, confState: conf }, data });
    await s.close();
    const r = await openStorage(dir);
    const assembler = new SnapshotAssembler();
    let result: Snapshot | undefined;
    let chunks = 0;
    for (const chunk of r.snapshotChunks(300_000)) {
      expect(result).toBeUndefined();
      expect(chunk.bytes.length).toBeLessThanOrEqual(300_000);
      result = assembler.add(chunk);
      chunks++;
    }
    expect(chunks).toBe(Math.ceil(data.length / 300_000));
    expect(result?.metadata.index).toBe(10);
    expect(Buffer.compare(Buffer.from(result!.data), Buffer.from(data))).toBe(0);
    await r.close();
  });

  it('refuses compaction beyond the snapshot and stale snapshots', async () => {
    const s = await openStorage(tempDir());
    await s.save({ entries: run(1, 10, 1) });
    await expect(s.compact(idx(5))).rejects.toThrow(/snapshot only covers 0/);
    await s.saveSnapshot({ metadata: { index: idx(5), term: 1 as Term, confState: conf }, data: new Uint8Array(1) });
    await expect(
      s.saveSnapshot({ metadata: { index: idx(4), term: 1 as Term, confState: conf }, data: new Uint8Array(1) }),
    ).rejects.toThrow(/not newer/);
    await expect(
      s.saveSnapshot({ metadata: { index: idx(8), term: 7 as Term, confState: conf }, data: new Uint8Array(1) }),
    ).rejects.toThrow(/term/);
    await s.compact(idx(5));
    expect(s.firstIndex()).toBe(6);
    await s.save({ entries: run(11, 12, 1) });
    expect(s.lastIndex()).toBe(12);
    await s.close();
  });
});
