import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { InvalidArgumentError } from '../core/errors.js';
import { CLUSTER_FILE_NAME, readClusterFile } from './cluster-file.js';
import { normaliseUrl } from './config.js';

/** Where `nines up` puts its data (and cluster.json) by default. */
export const DEFAULT_UP_DATA_DIR = './.nines';

/**
 * The HTTP endpoints a client command talks to: `--endpoints` (comma-separated URLs) if
 * given, else every member's `httpUrl` from `<dataDir>/cluster.json`.
 */
export function resolveEndpoints(endpoints: string | undefined, dataDir: string = DEFAULT_UP_DATA_DIR): string[] {
  if (endpoints !== undefined) {
    const list = endpoints
      .split(',')
      .map((e) => e.trim())
      .filter((e) => e !== '');
    if (list.length === 0) throw new InvalidArgumentError('--endpoints must list at least one URL, e.g. http://127.0.0.1:2381');
    return list.map((e) =>
      normaliseUrl(e, (why) => {
        throw new InvalidArgumentError(`--endpoints ${why}`);
      }),
    );
  }
  const file = join(dataDir, CLUSTER_FILE_NAME);
  if (!existsSync(file)) {
    throw new InvalidArgumentError(
      `no --endpoints given and ${file} does not exist: start a local cluster with \`nines up\`, or pass --endpoints http://host:port (a member's HTTP URL)`,
    );
  }
  return readClusterFile(file).members.map((m) => m.httpUrl);
}
