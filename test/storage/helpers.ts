import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NodeId } from '../../src/core/ids.js';
import { DiskStorage, type DiskStorageOptions } from '../../src/storage/disk-storage.js';

export const OPTIONS: DiskStorageOptions = { clusterId: 'c-123', nodeId: 1 as NodeId, nodeName: 'n1' };

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
