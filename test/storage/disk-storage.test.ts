import { fork } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { open } from 'lmdb';
import { afterAll, describe, expect, it } from 'vitest';
import { CorruptError, ErrorCodes } from '../../src/core/errors.js';
import type { LogIndex, NodeId, Term } from '../../src/core/ids.js';
import type { Snapshot } from '../../src/raft/types.js';
import { encodeRecord } from '../../src/storage/codec.js';
import { ClusterMismatchError } from '../../src/storage/errors.js';
import { SnapshotAssembler } from '../../src/storage/snapshot-chunks.js';
import { entry, run } from './contract.js';
import { openStorage, removeTempDirs, tempDir } from './helpers.js';
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
    const file = a.dataFile;
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
    await a.close();
    const original = readFileSync(file);
    const damaged = Buffer.from(original);
    expect(editAll(damaged, Buffer.from(marker), (at) => (damaged[at + 3] = damaged[at + 3]! ^ 0x40))).toBeGreaterThan(0);
    writeFileSync(file, damaged);
    expect(await corruptMessage(() => openStorage(dir))).toMatch(/snapshot 2 data fails its checksum/);

    // msgpack stores 77777 as uint32 0x00012fd1: find it in the hardState record and change it.
    const damaged2 = Buffer.from(original);
    const term77777 = Buffer.from([0xce, 0x00, 0x01, 0x2f, 0xd1]);
    expect(editAll(damaged2, term77777, (at) => (damaged2[at + 4] = 0xd2))).toBeGreaterThan(0);
    writeFileSync(file, damaged2);
    const message = await corruptMessage(() => openStorage(dir));
    expect(message).toContain('hardState record fails its checksum');
    expect(message).toContain(file);
  });

  it('a gap in the log and a commit beyond the log are refused', async () => {
    const dir = tempDir();
    const a = await openStorage(dir);
    await a.save({ entries: run(1, 5, 1) });
    await a.close();
    const root = open<Buffer>(join(dir, 'member'), { encoding: 'binary', maxDbs: 8 });
    await root.openDB<Buffer, number>({ name: 'log', encoding: 'binary' }).remove(3);
    await root.close();
    expect(await corruptMessage(() => openStorage(dir))).toContain('gap in the raft log: expected index 3, found 4');

    const dir2 = tempDir();
    const c = await openStorage(dir2);
    await c.save({ entries: run(1, 2, 1) });
    await c.close();
    const root2 = open<Buffer>(join(dir2, 'member'), { encoding: 'binary', maxDbs: 8 });
    const record = Buffer.from(encodeRecord('hardState', { term: 1, vote: 0, commit: 9 }));
    await root2.openDB<Buffer, string>({ name: 'meta', encoding: 'binary' }).put('hardState', record);
    await root2.close();
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
