import { existsSync, readFileSync } from 'node:fs';
import { rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { SloHistoryStore } from '../slo/node-slo.js';
import type { SloHistory } from '../slo/recorder.js';

/** The SLO history file in a member's data dir. */
export const SLO_HISTORY_FILE = 'slo-history.json';

/**
 * The SLO history of a member, as JSON in `<data-dir>/slo-history.json`, replaced
 * atomically (temp file + rename). An unreadable file loads as a value the recorder
 * refuses (CorruptError), so the node warns and starts the history afresh.
 */
export class FileSloHistoryStore implements SloHistoryStore {
  readonly path: string;

  constructor(dataDir: string) {
    this.path = join(dataDir, SLO_HISTORY_FILE);
  }

  load(): unknown {
    if (!existsSync(this.path)) return undefined;
    try {
      return JSON.parse(readFileSync(this.path, 'utf8')) as unknown;
    } catch (err) {
      return { unreadable: `${this.path}: ${(err as Error).message}` };
    }
  }

  async save(history: SloHistory): Promise<void> {
    const tmp = `${this.path}.${process.pid}.tmp`;
    await writeFile(tmp, JSON.stringify(history));
    await rename(tmp, this.path);
  }
}
