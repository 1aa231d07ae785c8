import { closeSync, fdatasyncSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { type LatencySummary, summarizeLatencies } from './stats.js';

/** Writes probed per mode; each is one 4 KiB write plus fdatasync, like a small WAL append. */
export const FSYNC_PROBE_WRITES = 100;
const FSYNC_PROBE_BLOCK_BYTES = 4096;

/**
 * `append` grows the file with every write (the file system must also commit its metadata);
 * `preallocated` overwrites blocks written and synced beforehand (as etcd's preallocated WAL
 * segments do), so fdatasync only flushes data.
 */
export type FsyncProbeMode = 'append' | 'preallocated';

export interface FsyncProbe {
  readonly append: LatencySummary;
  readonly preallocated: LatencySummary;
}

/**
 * The latency of a 4 KiB write + fdatasync in `dir` (the disk the clusters use): the floor
 * under any durable put, for reading the results.
 */
export function probeFsyncMode(dir: string, mode: FsyncProbeMode, writes: number = FSYNC_PROBE_WRITES): LatencySummary {
  const probeDir = mkdtempSync(join(dir, 'nines-bench-fsync-'));
  const block = Buffer.alloc(FSYNC_PROBE_BLOCK_BYTES, 0x61);
  const fd = openSync(join(probeDir, 'probe'), 'w');
  const samplesMs: number[] = [];
  try {
    if (mode === 'preallocated') {
      for (let i = 0; i < writes; i++) writeSync(fd, block, 0, block.length, i * block.length);
      fdatasyncSync(fd);
    }
    for (let i = 0; i < writes; i++) {
      const t0 = performance.now();
      writeSync(fd, block, 0, block.length, i * block.length);
      fdatasyncSync(fd);
      samplesMs.push(performance.now() - t0);
    }
  } finally {
    closeSync(fd);
    rmSync(probeDir, { recursive: true, force: true });
  }
  return summarizeLatencies(samplesMs);
}

export function probeFsync(dir: string, writes: number = FSYNC_PROBE_WRITES): FsyncProbe {
  return { append: probeFsyncMode(dir, 'append', writes), preallocated: probeFsyncMode(dir, 'preallocated', writes) };
}

/** "p50 1.23 ms, p99 4.56 ms" */
export function latencyText(s: LatencySummary): string {
  return `p50 ${s.p50Ms.toFixed(2)} ms, p99 ${s.p99Ms.toFixed(2)} ms`;
}
