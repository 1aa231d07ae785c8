import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { corruptFile } from './errors.js';

/** How long the probe may take before the environment is declared unreadable. */
export const PROBE_TIMEOUT_MS = 120_000;

/**
 * LMDB keeps no checksums of its own pages: a damaged B-tree page can crash the process that
 * reads it (SIGSEGV/SIGBUS) instead of returning an error. Before the server opens its
 * environment, a throw-away child process opens it and reads every key and value of every named
 * database. If the child dies, the environment is refused with a CorruptError naming the file.
 */
export async function probeEnvironment(envDir: string, dataFile: string, dbNames: readonly string[]): Promise<void> {
  const lmdbPath = createRequire(import.meta.url).resolve('lmdb');
  const script = `
const { open } = require(${JSON.stringify(lmdbPath)});
const root = open(process.argv[1], { encoding: 'binary', maxDbs: 8, overlappingSync: false });
let n = 0;
for (const name of ${JSON.stringify(dbNames)}) {
  const db = root.openDB({ name, encoding: 'binary' });
  for (const { value } of db.getRange({})) n += value.length;
}
root.close().then(() => process.stdout.write(String(n)));
`;
  await new Promise<void>((resolve, reject) => {
    execFile(
      process.execPath,
      ['-e', script, envDir],
      { timeout: PROBE_TIMEOUT_MS, maxBuffer: 1024 * 1024 },
      (err, _stdout, stderr) => {
        if (err === null) {
          resolve();
          return;
        }
        const signal = (err as { signal?: string | null }).signal;
        const why =
          signal !== null && signal !== undefined
            ? `reading it crashed a probe process (${signal})`
            : `it cannot be read (${firstLine(stderr) || err.message})`;
        reject(corruptFile(dataFile, `the LMDB environment is damaged: ${why}`, err));
      },
    );
  });
}

function firstLine(text: string): string {
  return (
    text
      .split('\n')
      .map((l) => l.trim())
      .find((l) => l.startsWith('Error') || l.includes('MDB_')) ?? ''
  );
}
