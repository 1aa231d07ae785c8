import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ErrorCodes, NinesError } from '../core/errors.js';

export const LOCK_FILE_NAME = 'nines.lock';

/**
 * One process per data dir (etcd locks its data dir too): `<dataDir>/nines.lock` holds the
 * owner's pid. A lock whose process is gone is stale and taken over. Returns the release
 * function.
 */
export function lockDataDir(dataDir: string): () => void {
  mkdirSync(dataDir, { recursive: true });
  const path = join(dataDir, LOCK_FILE_NAME);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(path, `${process.pid}\n`, { flag: 'wx' });
      return () => {
        try {
          if (readFileSync(path, 'utf8').trim() === String(process.pid)) rmSync(path);
        } catch {
          // already gone
        }
      };
    } catch (err) {
      if ((err as { code?: string }).code !== 'EEXIST') throw err;
      const owner = Number(readFileSync(path, 'utf8').trim());
      if (Number.isSafeInteger(owner) && owner > 0 && owner !== process.pid && alive(owner)) {
        throw new NinesError(
          ErrorCodes.UNAVAILABLE,
          `data dir ${dataDir} is in use by process ${owner} (${path}); stop it first, or use another --data-dir`,
        );
      }
      rmSync(path, { force: true });
    }
  }
  throw new NinesError(ErrorCodes.UNAVAILABLE, `cannot lock data dir ${dataDir} (${path})`);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as { code?: string }).code === 'EPERM';
  }
}
