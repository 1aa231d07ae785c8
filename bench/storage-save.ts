/**
 * Cost of one durable storage write on this machine, every candidate in ONE run (interleaved in
 * rounds, so the noise of a shared machine hits all of them alike):
 *
 * - raw 4 KiB write + fdatasync, preallocated file (the floor) and appending (file grows);
 * - the old LMDB save (format 1: one transaction putting a log entry and the hard state), with
 *   the durable flags it used and with lmdb-js's other sync options;
 * - the WAL `DiskStorage.save` (one record, one fdatasync) that storage uses now;
 * - group commit: 8 saves' records sharing one writev + fdatasync (what batching concurrent
 *   saves would give; the server awaits each save before the next, so it never has 8 waiting).
 *
 * Usage: npx tsc -p tsconfig.json && node dist/bench/storage-save.js [--saves 100] [--rounds 3] [--dir /tmp]
 */
import { closeSync, fdatasync, mkdtempSync, openSync, rmSync, write, writev } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { promisify } from 'node:util';
import { open, type RootDatabase } from 'lmdb';
import type { LogIndex, NodeId, Term } from '../src/core/ids.js';
import type { Entry } from '../src/raft/types.js';
import { encodeEntry, encodeRecord } from '../src/storage/codec.js';
import { DiskStorage } from '../src/storage/disk-storage.js';
import { encodeBatchFrame } from '../src/storage/wal-codec.js';
import { percentileSorted } from './lib/stats.js';

const writeAsync = promisify(write);
const writevAsync = promisify(writev);
const fdatasyncAsync = promisify(fdatasync);

const BLOCK_BYTES = 4096;
const ENTRY_DATA_BYTES = 100;
const GROUP_SIZE = 8;
const PREALLOCATED_BYTES = 64 * 1024 * 1024;

interface Variant {
  readonly name: string;
  readonly durable: string;
  /** One save; returns how many saves it stood for (group commit > 1). */
  readonly save: () => Promise<number>;
  readonly close: () => Promise<void>;
}

function arg(name: string, fallback: string): string {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 ? (process.argv[at + 1] ?? fallback) : fallback;
}

function entryAt(index: number): Entry {
  return { index: index as LogIndex, term: 1 as Term, type: 'normal', data: new Uint8Array(ENTRY_DATA_BYTES).fill(0x61) };
}

async function rawVariant(dir: string, preallocated: boolean): Promise<Variant> {
  const path = join(dir, preallocated ? 'raw-prealloc' : 'raw-append');
  const fd = openSync(path, preallocated ? 'w' : 'a');
  const block = Buffer.alloc(BLOCK_BYTES, 0x62);
  if (preallocated) {
    const zeros = Buffer.alloc(1024 * 1024);
    for (let at = 0; at < PREALLOCATED_BYTES; at += zeros.length) await writeAsync(fd, zeros, 0, zeros.length, at);
    await fdatasyncAsync(fd);
  }
  let offset = 0;
  return {
    name: preallocated ? 'raw 4 KiB pwrite+fdatasync, preallocated' : 'raw 4 KiB append+fdatasync (O_APPEND)',
    durable: 'yes',
    save: async () => {
      await writeAsync(fd, block, 0, block.length, preallocated ? offset : null);
      offset = (offset + BLOCK_BYTES) % PREALLOCATED_BYTES;
      await fdatasyncAsync(fd);
      return 1;
    },
    close: async () => closeSync(fd),
  };
}

async function lmdbVariant(dir: string, name: string, durable: string, flags: Record<string, boolean>): Promise<Variant> {
  const root: RootDatabase<Buffer> = open<Buffer>(join(dir, name.replace(/\W+/g, '-')), {
    encoding: 'binary',
    compression: false,
    noSync: false,
    noMetaSync: false,
    overlappingSync: false,
    maxDbs: 8,
    ...flags,
  });
  const meta = root.openDB<Buffer, string>({ name: 'meta', encoding: 'binary' });
  const log = root.openDB<Buffer, number>({ name: 'log', encoding: 'binary' });
  let index = 0;
  return {
    name,
    durable,
    save: async () => {
      index++;
      const record = Buffer.from(encodeEntry(entryAt(index)));
      const hard = Buffer.from(encodeRecord('hardState', { term: 1, vote: 1, commit: index }));
      await root.batch(() => {
        log.put(index, record);
        meta.put('hardState', hard);
      });
      await root.flushed;
      return 1;
    },
    close: () => root.close(),
  };
}

async function walVariant(dir: string): Promise<Variant> {
  const storage = await DiskStorage.open(join(dir, 'wal-storage'), { clusterId: 'bench', nodeId: 1 as NodeId, nodeName: 'b' });
  let index = 0;
  return {
    name: 'WAL DiskStorage.save (current)',
    durable: 'yes',
    save: async () => {
      index++;
      await storage.save({
        entries: [entryAt(index)],
        hardState: { term: 1 as Term, vote: 1 as NodeId, commit: index as LogIndex },
      });
      return 1;
    },
    close: () => storage.close(),
  };
}

async function groupVariant(dir: string): Promise<Variant> {
  const fd = openSync(join(dir, 'group'), 'w');
  const zeros = Buffer.alloc(1024 * 1024);
  for (let at = 0; at < PREALLOCATED_BYTES; at += zeros.length) await writeAsync(fd, zeros, 0, zeros.length, at);
  await fdatasyncAsync(fd);
  let offset = 0;
  let index = 0;
  return {
    name: `group commit x${GROUP_SIZE} (raw WAL records, one fdatasync)`,
    durable: 'yes',
    save: async () => {
      const frames: Buffer[] = [];
      for (let i = 0; i < GROUP_SIZE; i++) {
        index++;
        frames.push(
          encodeBatchFrame({
            entries: [entryAt(index)],
            hardState: { term: 1 as Term, vote: 1 as NodeId, commit: index as LogIndex },
          }).bytes,
        );
      }
      const bytes = frames.reduce((n, f) => n + f.length, 0);
      if (offset + bytes > PREALLOCATED_BYTES) offset = 0;
      await writevAsync(fd, frames, offset);
      offset += bytes;
      await fdatasyncAsync(fd);
      return GROUP_SIZE;
    },
    close: async () => closeSync(fd),
  };
}

async function main(): Promise<void> {
  const saves = Number(arg('saves', '100'));
  const rounds = Number(arg('rounds', '3'));
  const dir = mkdtempSync(join(arg('dir', tmpdir()), 'nines-bench-storage-'));
  const variants: Variant[] = [];
  try {
    variants.push(await rawVariant(dir, true));
    variants.push(await rawVariant(dir, false));
    variants.push(await lmdbVariant(dir, 'LMDB save, format 1 (old default, sync)', 'yes', {}));
    variants.push(await lmdbVariant(dir, 'LMDB overlappingSync + await flushed', 'yes', { overlappingSync: true }));
    variants.push(await lmdbVariant(dir, 'LMDB useWritemap (sync)', 'yes', { useWritemap: true }));
    variants.push(
      await lmdbVariant(dir, 'LMDB noMetaSync', 'NO: power loss may undo the last commit', { noMetaSync: true }),
    );
    variants.push(await walVariant(dir));
    variants.push(await groupVariant(dir));
    const samples = variants.map(() => [] as number[]);
    const counts = variants.map(() => 0);
    const elapsed = variants.map(() => 0);
    for (const v of variants) for (let i = 0; i < 5; i++) await v.save(); // warm-up
    // Round-robin, one save of each variant in turn: a burst of noise hits all of them alike.
    for (let round = 0; round < rounds; round++) {
      for (let i = 0; i < saves; i++) {
        for (let v = 0; v < variants.length; v++) {
          const t0 = performance.now();
          const n = await variants[v]!.save();
          const ms = performance.now() - t0;
          samples[v]!.push(ms);
          counts[v]! += n;
          elapsed[v]! += ms;
        }
      }
    }
    const baseline = counts[0]! / elapsed[0]!;
    const load = loadavg().map((x) => x.toFixed(1)).join(' ');
    console.log(`storage save benchmark: ${rounds * saves} saves per variant, interleaved save by save; load avg ${load}; dir ${dir}`);
    console.log(
      `${'variant'.padEnd(50)} ${'saves/s'.padStart(8)} ${'p50 ms'.padStart(7)} ${'p99 ms'.padStart(7)} ${'vs raw'.padStart(7)}  durable on power loss`,
    );
    variants.forEach((v, i) => {
      const sorted = [...samples[i]!].sort((a, b) => a - b);
      const rate = (counts[i]! / elapsed[i]!) * 1000;
      console.log(
        `${v.name.padEnd(50)} ${rate.toFixed(0).padStart(8)} ${percentileSorted(sorted, 50).toFixed(2).padStart(7)} ${percentileSorted(sorted, 99).toFixed(2).padStart(7)} ${(rate / (baseline * 1000)).toFixed(2).padStart(7)}  ${v.durable}`,
      );
    });
    console.log('(group commit: p50/p99 are per batch of saves; saves/s counts every save in it)');
  } finally {
    for (const v of variants) await v.close().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
