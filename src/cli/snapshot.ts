import { closeSync, existsSync, fsyncSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import type { Command } from 'commander';
import { etcdClientConstructors } from '../api/etcd/proto.js';
import { ErrorCodes, InvalidArgumentError, NinesError } from '../core/errors.js';
import { CLUSTER_FILE_NAME, readClusterFile } from '../server/cluster-file.js';
import { ConfigDefaults } from '../server/config.js';
import { DEFAULT_UP_DATA_DIR } from '../server/endpoints.js';
import { decodeSnapshotFile, readSnapshotBytes, restoreSnapshot, type SnapshotFileStatus, snapshotFileStatus, statusOf } from '../server/restore.js';
import { action, intOption, printJson } from './util.js';

/** Progress lines on a non-terminal stderr: one per this fraction of the snapshot. */
const PROGRESS_STEP_FRACTION = 0.25;
/** Endpoints `snapshot save` tries at most (one member answers). */
const SAVE_ENDPOINTS_MAX = 16;

interface SaveFlags {
  endpoints?: string;
  dataDir: string;
  cacert?: string;
  cert?: string;
  key?: string;
  commandTimeout: number;
  json?: boolean;
}

interface RestoreFlags {
  dataDir?: string;
  name: string;
  initialCluster?: string;
  initialClusterToken: string;
  initialAdvertisePeerUrls: string;
  skipHashCheck?: boolean;
  json?: boolean;
}

export function registerSnapshot(program: Command): void {
  const snapshot = program
    .command('snapshot')
    .description('Save a consistent snapshot of a running cluster, inspect one, or restore one into a new cluster (as etcdctl snapshot)');

  snapshot
    .command('save')
    .description("Stream a member's snapshot (etcd Maintenance.Snapshot) into FILE, written atomically and checksum-checked")
    .argument('<file>', 'where to write the snapshot (replaced atomically)')
    .option('--endpoints <urls>', "etcd client URLs to ask, comma-separated; the first that answers is used (default: members' clientUrls from <data-dir>/cluster.json)")
    .option('--data-dir <dir>', 'where `nines up` wrote cluster.json (to find endpoints)', DEFAULT_UP_DATA_DIR)
    .option('--cacert <file>', 'CA bundle to verify https:// endpoints')
    .option('--cert <file>', 'client certificate (for --client-cert-auth clusters)')
    .option('--key <file>', 'client certificate key')
    .option('--command-timeout <seconds>', 'give up on one member after this many seconds', intOption('--command-timeout', 1, 86_400), 300)
    .option('--json', 'print the result as JSON')
    .action(action(async (file: string, flags: SaveFlags) => saveCommand(file, flags)));

  snapshot
    .command('status')
    .description('Show the hash (HashKV at its revision), revision, total keys and size of a snapshot file')
    .argument('<file>', 'a snapshot saved by `nines snapshot save` or `etcdctl snapshot save` from nines')
    .option('--json', 'print the status as JSON')
    .action(
      action((file: string, flags: { json?: boolean }) => {
        const s = snapshotFileStatus(file);
        if (flags.json === true) printJson(s);
        else printStatusTable(s);
      }),
    );

  snapshot
    .command('restore')
    .description('Write a NEW member data dir from a snapshot file (new member ids and cluster id); then `nines start` it with the same flags')
    .argument('<file>', 'a snapshot saved by `nines snapshot save` or `etcdctl snapshot save` from nines')
    .option('--data-dir <dir>', 'the data dir to create (must be new or empty; default <name>.nines)')
    .option('--name <name>', 'this member\'s name in --initial-cluster', ConfigDefaults.name)
    .option('--initial-cluster <list>', 'every member of the new cluster: name=http://host:port,... (default <name>=<peer url>)')
    .option('--initial-cluster-token <token>', 'token of the NEW cluster (use a new one: it sets the member and cluster ids)', ConfigDefaults.initialClusterToken)
    .option('--initial-advertise-peer-urls <url>', "this member's peer URL, as in --initial-cluster", ConfigDefaults.peerUrl)
    .option('--skip-hash-check', 'do not verify the trailing SHA-256 (the payload checksum is still checked)')
    .option('--json', 'print the result as JSON')
    .action(
      action(async (file: string, flags: RestoreFlags) => {
        const dataDir = flags.dataDir ?? `${flags.name}.nines`;
        const result = await restoreSnapshot({
          file,
          dataDir,
          name: flags.name,
          initialCluster: flags.initialCluster ?? `${flags.name}=${flags.initialAdvertisePeerUrls}`,
          initialClusterToken: flags.initialClusterToken,
          initialAdvertisePeerUrls: flags.initialAdvertisePeerUrls,
          skipHashCheck: flags.skipHashCheck === true,
        });
        if (flags.json === true) {
          printJson(result);
          return;
        }
        process.stdout.write(
          `restored snapshot ${file} into ${result.dataDir}: member ${result.name} (${result.memberId}) of cluster ${result.clusterId}, ` +
            `revision ${result.revision}, raft index ${result.snapshotIndex}\n` +
            `start it with: nines start --name ${result.name} --data-dir ${result.dataDir} --initial-cluster ${result.members.map((m) => `${m.name}=${m.peerUrl}`).join(',')} ` +
            `--initial-cluster-token ${flags.initialClusterToken} --initial-advertise-peer-urls ${flags.initialAdvertisePeerUrls} --initial-cluster-state new ...\n`,
        );
      }),
    );
}

function printStatusTable(s: SnapshotFileStatus): void {
  const row = [s.hash.toString(16).padStart(8, '0'), String(s.revision), String(s.totalKeys), `${s.totalSizeBytes} B`];
  const head = ['HASH', 'REVISION', 'TOTAL KEYS', 'TOTAL SIZE'];
  const widths = head.map((h, i) => Math.max(h.length, row[i]!.length));
  const line = (cells: string[]): string => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ');
  process.stdout.write(`${line(head)}\n${line(row)}\n`);
}

/** gRPC targets for `snapshot save`: --endpoints, else every member's client URL in cluster.json. */
function saveEndpoints(flags: SaveFlags): string[] {
  let urls: string[];
  if (flags.endpoints !== undefined) {
    urls = flags.endpoints.split(',').map((e) => e.trim()).filter((e) => e !== '');
    if (urls.length === 0) throw new InvalidArgumentError('--endpoints must list at least one URL, e.g. http://127.0.0.1:2379');
  } else {
    const file = join(flags.dataDir, CLUSTER_FILE_NAME);
    if (!existsSync(file)) {
      throw new InvalidArgumentError(`no --endpoints given and ${file} does not exist: pass --endpoints http://host:port (a member's client URL)`);
    }
    urls = readClusterFile(file).members.flatMap((m) => m.clientUrls.slice(0, 1));
  }
  return urls.slice(0, SAVE_ENDPOINTS_MAX);
}

/** `host:port` and whether to use TLS, from `http(s)://host:port` or a bare `host:port` (as etcdctl). */
function grpcTarget(url: string): { target: string; tls: boolean } {
  const withScheme = /^[a-z]+:\/\//i.test(url) ? url : `http://${url}`;
  let u: URL;
  try {
    u = new URL(withScheme);
  } catch {
    throw new InvalidArgumentError(`--endpoints has "${url}", which is not host:port or http(s)://host:port`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new InvalidArgumentError(`--endpoints has "${url}": use http:// or https://`);
  if (u.port === '') throw new InvalidArgumentError(`--endpoints has "${url}": give an explicit port, e.g. 127.0.0.1:2379`);
  return { target: u.host, tls: u.protocol === 'https:' };
}

function credentials(tls: boolean, flags: SaveFlags): grpc.ChannelCredentials {
  if (!tls && flags.cacert === undefined) return grpc.credentials.createInsecure();
  const read = (flag: string, path: string | undefined): Buffer | null => {
    if (path === undefined) return null;
    try {
      return readFileSync(path);
    } catch (err) {
      throw new InvalidArgumentError(`${flag} ${path}: cannot read: ${(err as Error).message}`);
    }
  };
  return grpc.credentials.createSsl(read('--cacert', flags.cacert), read('--key', flags.key), read('--cert', flags.cert));
}

async function saveCommand(file: string, flags: SaveFlags): Promise<void> {
  const endpoints = saveEndpoints(flags);
  const failures: string[] = [];
  for (const endpoint of endpoints) {
    const tmp = `${file}.part`;
    try {
      const { sizeBytes } = await fetchSnapshot(endpoint, tmp, flags);
      // Check what was written before it replaces FILE: the SHA-256 and the payload.
      const bytes = readSnapshotBytes(tmp);
      const status = statusOf(decodeSnapshotFile(bytes, tmp), bytes.length);
      if (bytes.length !== sizeBytes) throw new NinesError(ErrorCodes.CORRUPT, `${tmp}: wrote ${sizeBytes} bytes but read back ${bytes.length}`);
      renameSync(tmp, file);
      if (flags.json === true) printJson({ file, endpoint, ...status });
      else process.stdout.write(`Snapshot saved at ${file} from ${endpoint}: revision ${status.revision}, ${status.totalKeys} keys, ${status.totalSizeBytes} bytes\n`);
      return;
    } catch (err) {
      rmSync(tmp, { force: true });
      if (err instanceof InvalidArgumentError) throw err;
      failures.push(`${endpoint}: ${(err as Error).message}`);
    }
  }
  throw new NinesError(ErrorCodes.UNAVAILABLE, `no snapshot saved: ${failures.join('; ')}`);
}

/** Stream Maintenance.Snapshot of one member into `path` (fsynced); resolves with the byte count. */
function fetchSnapshot(endpoint: string, path: string, flags: SaveFlags): Promise<{ sizeBytes: number }> {
  const { target, tls } = grpcTarget(endpoint);
  const client = new (etcdClientConstructors().Maintenance)(target, credentials(tls, flags));
  const fd = openSync(path, 'w');
  const tty = process.stderr.isTTY === true;
  let received = 0;
  let remaining = -1;
  let nextReport = PROGRESS_STEP_FRACTION;
  let finished = false;
  const finish = (): void => {
    if (finished) return;
    finished = true;
    client.close();
    closeSync(fd);
  };
  return new Promise((resolve, reject) => {
    const deadline = new Date(Date.now() + flags.commandTimeout * 1000);
    const call = (client as unknown as { Snapshot(req: object, opts: grpc.CallOptions): grpc.ClientReadableStream<{ blob: Buffer; remaining_bytes: string }> }).Snapshot(
      {},
      { deadline },
    );
    call.on('data', (res: { blob: Buffer; remaining_bytes: string }) => {
      writeSync(fd, res.blob);
      received += res.blob.length;
      remaining = Number(res.remaining_bytes);
      const total = received + remaining;
      const done = total === 0 ? 1 : received / total;
      if (tty) process.stderr.write(`\rsaving from ${endpoint}: ${received} / ${total} bytes (${Math.floor(done * 100)}%)`);
      else if (done >= nextReport) {
        process.stderr.write(`saving from ${endpoint}: ${received} / ${total} bytes (${Math.floor(done * 100)}%)\n`);
        while (nextReport <= done) nextReport += PROGRESS_STEP_FRACTION;
      }
    });
    call.on('error', (err: grpc.ServiceError) => {
      finish();
      if (tty) process.stderr.write('\n');
      reject(new NinesError(ErrorCodes.UNAVAILABLE, (err.details || err.message).replace(/\s*Resolution note:\s*$/, '')));
    });
    call.on('end', () => {
      try {
        if (tty) process.stderr.write('\n');
        if (remaining !== 0) throw new NinesError(ErrorCodes.CORRUPT, `the stream ended with ${remaining < 0 ? 'no data' : `${remaining} bytes missing`}`);
        fsyncSync(fd);
        finish();
        resolve({ sizeBytes: received });
      } catch (err) {
        finish();
        reject(err);
      }
    });
  });
}
