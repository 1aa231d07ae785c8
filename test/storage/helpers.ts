import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NodeId } from '../../src/core/ids.js';
import { DiskStorage, type DiskStorageOptions } from '../../src/storage/disk-storage.js';

/** Small WAL segments (16 KiB) so tests exercise segment rollover and deletion, and open fast. */
export const TEST_WAL_SEGMENT_BYTES = 16 * 1024;

export const OPTIONS: DiskStorageOptions = {
  clusterId: 'c-123',
  nodeId: 1 as NodeId,
  nodeName: 'n1',
  walSegmentBytes: TEST_WAL_SEGMENT_BYTES,
};

const dirs: string[] = [];

export function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'nines-storage-'));
  dirs.push(dir);
  return dir;
}

export function removeTempDirs(): void {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
}

export function openStorage(dir: string, options: Partial<DiskStorageOptions> = {}): Promise<DiskStorage> {
  return DiskStorage.open(dir, { ...OPTIONS, ...options });
}

/** Paths of a storage's WAL segment files, oldest first. */
export function walSegments(walDir: string): string[] {
  return readdirSync(walDir)
    .filter((n) => n.endsWith('.wal'))
    .sort()
    .map((n) => join(walDir, n));
}

/** Byte ranges [at, end) of the frames written in a WAL segment (the header frame first). */
export function walFrames(segmentPath: string): Array<{ at: number; end: number }> {
  const bytes = readFileSync(segmentPath);
  const out: Array<{ at: number; end: number }> = [];
  for (let at = 0; at + 8 <= bytes.length; ) {
    const len = bytes.readUInt32BE(at);
    if (len === 0) break;
    out.push({ at, end: at + 8 + len });
    at += 8 + len;
  }
  return out;
}

/** Write `frame` right after the last frame of a segment (where the next save would go). */
export function appendFrame(segmentPath: string, frame: Buffer): void {
  const bytes = readFileSync(segmentPath);
  const end = walFrames(segmentPath).at(-1)?.end ?? 0;
  frame.copy(bytes, end);
  writeFileSync(segmentPath, bytes);
}
