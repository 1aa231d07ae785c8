import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { probeFsync } from '../../bench/lib/fsync-probe.js';
import { mountOf } from '../../bench/lib/machine.js';
import { memberPortOffsets } from '../../bench/lib/ports.js';
import { Teardown } from '../../bench/lib/teardown.js';

describe('Teardown', () => {
  it('runs every step once, newest first, and falls back to the sync path when a step fails', async () => {
    const calls: string[] = [];
    const logs: string[] = [];
    const t = new Teardown((l) => logs.push(l));
    t.add({ label: 'a', run: async () => void calls.push('a'), runSync: () => void calls.push('a-sync') });
    t.add({
      label: 'b',
      run: async () => {
        calls.push('b');
        throw new Error('boom');
      },
      runSync: () => void calls.push('b-sync'),
    });
    t.add({ label: 'c', run: async () => void calls.push('c'), runSync: () => void calls.push('c-sync') });
    await Promise.all([t.runAll(), t.runAll()]);
    await t.runAll();
    expect(calls).toEqual(['c', 'b', 'b-sync', 'a']);
    expect(logs.some((l) => l.includes('b') && l.includes('boom'))).toBe(true);
  });

  it('finishes one step by label and forgets it', async () => {
    const calls: string[] = [];
    const t = new Teardown(() => undefined);
    t.add({ label: 'x', run: async () => void calls.push('x'), runSync: () => undefined });
    t.add({ label: 'y', run: async () => void calls.push('y'), runSync: () => undefined });
    await t.finish('x');
    await t.finish('x');
    await t.runAll();
    expect(calls).toEqual(['x', 'y']);
  });

  it('runs a step once when finish and runAll race (Ctrl-C while a side stops)', async () => {
    let runs = 0;
    const t = new Teardown(() => undefined);
    t.add({
      label: 'nines',
      run: async () => {
        runs++;
        await new Promise((r) => setTimeout(r, 5));
      },
      runSync: () => undefined,
    });
    await Promise.all([t.runAll(), t.finish('nines')]);
    expect(runs).toBe(1);
  });
});

describe('mountOf', () => {
  const mounts = ['/dev/vda / ext4 rw 0 0', 'tmpfs /tmp tmpfs rw 0 0', '/dev/vdb /tmpdata xfs rw 0 0', 'proc /proc proc rw 0 0'].join('\n');

  it('picks the longest mount point that contains the path, not a mere string prefix', () => {
    expect(mountOf(mounts, '/tmp/x')).toEqual({ device: 'tmpfs', mountPoint: '/tmp', fsType: 'tmpfs' });
    expect(mountOf(mounts, '/tmpdata/y')).toEqual({ device: '/dev/vdb', mountPoint: '/tmpdata', fsType: 'xfs' });
    expect(mountOf(mounts, '/home/z')).toEqual({ device: '/dev/vda', mountPoint: '/', fsType: 'ext4' });
    expect(mountOf('', '/x')).toBeNull();
  });
});

describe('memberPortOffsets', () => {
  it('lists each member’s consecutive ports at the stride', () => {
    expect(memberPortOffsets(3, 10, 3)).toEqual([0, 1, 2, 10, 11, 12, 20, 21, 22]);
    expect(memberPortOffsets(2, 10, 2)).toEqual([0, 1, 10, 11]);
  });
});

describe('probeFsync', () => {
  it('measures the requested number of writes and leaves nothing behind', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fsync-probe-test-'));
    try {
      const s = probeFsync(dir, 5);
      expect(s.append.count).toBe(5);
      expect(s.preallocated.count).toBe(5);
      expect(s.append.p50Ms).toBeGreaterThanOrEqual(0);
      expect(readdirSync(dir)).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
