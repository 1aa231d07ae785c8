import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { InvalidArgumentError } from '../core/errors.js';

/**
 * `<data-dir>/cluster.json`, written by `nines up`: where every member listens. Clients
 * (`nines kv`, `nines status`) read it to find endpoints; `nines up` reads it to resume a
 * cluster with the same names, ports and data dirs.
 */
export interface ClusterFileMember {
  readonly name: string;
  /** Process id of the running member (0 when not running). */
  readonly pid: number;
  /** etcd client URLs (the gRPC API listens here once it lands). */
  readonly clientUrls: readonly string[];
  /** The HTTP/JSON API, health, metrics and dashboard. */
  readonly httpUrl: string;
  readonly peerUrl: string;
  readonly dataDir: string;
}

export interface ClusterFile {
  readonly token?: string;
  readonly members: readonly ClusterFileMember[];
}

export const CLUSTER_FILE_NAME = 'cluster.json';

/** Write atomically (temp file + rename), so a reader never sees half a file. */
export function writeClusterFile(path: string, cluster: ClusterFile): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(cluster, null, 2)}\n`);
  renameSync(tmp, path);
}

/** Read and check a cluster file; errors name the file and the bad field. */
export function readClusterFile(path: string): ClusterFile {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new InvalidArgumentError(`cannot read ${path}: ${(err as Error).message}`);
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new InvalidArgumentError(`${path} is not valid JSON: ${(err as Error).message}`);
  }
  const bad = (why: string): never => {
    throw new InvalidArgumentError(`${path}: ${why}`);
  };
  if (typeof doc !== 'object' || doc === null) return bad('must be a JSON object with "members"');
  const members = (doc as { members?: unknown }).members;
  if (!Array.isArray(members) || members.length === 0) return bad('"members" must be a non-empty array');
  const out: ClusterFileMember[] = members.map((m: unknown, i) => {
    if (typeof m !== 'object' || m === null) return bad(`members[${i}] must be an object`);
    const o = m as Record<string, unknown>;
    const str = (k: string): string => (typeof o[k] === 'string' && o[k] !== '' ? (o[k] as string) : bad(`members[${i}].${k} must be a string`));
    const clientUrls = o['clientUrls'];
    if (!Array.isArray(clientUrls) || !clientUrls.every((u) => typeof u === 'string')) {
      return bad(`members[${i}].clientUrls must be an array of URLs`);
    }
    return {
      name: str('name'),
      pid: typeof o['pid'] === 'number' ? o['pid'] : 0,
      clientUrls: clientUrls as string[],
      httpUrl: str('httpUrl'),
      peerUrl: str('peerUrl'),
      dataDir: str('dataDir'),
    };
  });
  const token = (doc as { token?: unknown }).token;
  return typeof token === 'string' ? { token, members: out } : { members: out };
}
