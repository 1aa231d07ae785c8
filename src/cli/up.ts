import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { parseDurationMs } from '../core/duration.js';
import { InvalidArgumentError } from '../core/errors.js';
import { NinesHttpClient } from '../server/client.js';
import { DEFAULT_UP_DATA_DIR } from '../server/endpoints.js';
import { LOG_FILE_NAME, LocalCluster, planCluster, type RunningMember } from '../server/launcher.js';
import type { NodeStatus } from '../server/service.js';
import { readSpecFile } from './slo.js';
import { action, intOption } from './util.js';

/** Status refresh period of the live view. */
const STATUS_REFRESH_MS = 1_000;
/** How long members get to stop after SIGTERM before SIGKILL. */
const STOP_GRACE_MS = 10_000;

interface UpFlags {
  nodes: number;
  dataDir: string;
  basePort: number;
  host: string;
  readyTimeout: string;
  heartbeatInterval?: number;
  electionTimeout?: number;
  detector?: string;
  snapshotCount?: number;
  logLevel?: string;
  slo?: string;
  peerCertFile?: string;
  peerKeyFile?: string;
  peerTrustedCaFile?: string;
  peerClientCertAuth?: boolean;
}

export function registerUp(program: Command): void {
  program
    .command('up')
    .description(
      'Run a local cluster: spawn N `nines start` members on loopback, wait until all are ready, write <data-dir>/cluster.json, ' +
        'show live status; Ctrl-C stops them cleanly. Run again to resume from the same data.',
    )
    .option('--nodes <n>', 'number of members', intOption('--nodes', 1, 9), 3)
    .option('--data-dir <dir>', 'where members keep their data (one sub-directory each) and cluster.json', DEFAULT_UP_DATA_DIR)
    .option('--base-port <port>', 'first port; member i uses base+10i (client), +1 (peer), +2 (HTTP)', intOption('--base-port', 1024, 65_000), 2379)
    .option('--host <host>', 'loopback address to listen on', '127.0.0.1')
    .option('--ready-timeout <duration>', 'how long to wait for every member to be ready', '30s')
    .option('--heartbeat-interval <ms>', 'passed to every member', intOption('--heartbeat-interval', 1, 10_000))
    .option('--election-timeout <ms>', 'passed to every member', intOption('--election-timeout', 1, 50_000))
    .option('--detector <name>', 'passed to every member: fixed | adaptive')
    .option('--snapshot-count <n>', 'passed to every member', intOption('--snapshot-count', 1))
    .option('--log-level <level>', 'passed to every member (logs go to <member data dir>/nines.log)')
    .option('--slo <file>', 'SLO spec passed to every member (see docs/slo.md; `nines slo status` shows the SLOs)')
    .option('--peer-cert-file <file>', 'peer TLS: certificate (PEM) every member presents; peer URLs become https:// (with --peer-key-file)')
    .option('--peer-key-file <file>', 'peer TLS: the private key of --peer-cert-file')
    .option('--peer-trusted-ca-file <file>', 'peer TLS: CA bundle peer certificates are checked against')
    .option('--peer-client-cert-auth', 'peer TLS: members also require a certificate signed by --peer-trusted-ca-file from each other')
    .action(action(async (flags: UpFlags) => up(flags)));
}

async function up(flags: UpFlags): Promise<void> {
  const readyTimeoutMs = parseDurationMs(flags.readyTimeout);
  if (flags.host !== '127.0.0.1' && flags.host !== 'localhost') {
    throw new InvalidArgumentError(`--host must be a loopback address (127.0.0.1 or localhost), got "${flags.host}"`);
  }
  const extraArgs: string[] = [];
  if (flags.heartbeatInterval !== undefined) extraArgs.push('--heartbeat-interval', String(flags.heartbeatInterval));
  if (flags.electionTimeout !== undefined) extraArgs.push('--election-timeout', String(flags.electionTimeout));
  if (flags.detector !== undefined) extraArgs.push('--detector', flags.detector);
  if (flags.snapshotCount !== undefined) extraArgs.push('--snapshot-count', String(flags.snapshotCount));
  if (flags.logLevel !== undefined) extraArgs.push('--log-level', flags.logLevel);
  if (flags.slo !== undefined) {
    readSpecFile(flags.slo); // refuse a bad spec here, before any member starts
    extraArgs.push('--slo', resolve(flags.slo));
  }

  const peerScheme = peerTlsArgs(flags, extraArgs);

  const plan = planCluster({ nodes: flags.nodes, dataDir: flags.dataDir, basePort: flags.basePort, host: flags.host, extraArgs, peerScheme });
  const mainJs = fileURLToPath(new URL('./main.js', import.meta.url));
  const cluster = new LocalCluster(plan, mainJs, extraArgs);
  const out = process.stdout;
  let stopping = false;
  let stopped: () => void = () => undefined;
  const done = new Promise<void>((resolve) => {
    stopped = resolve;
  });
  const stop = async (why: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    out.write(`\n${why}: stopping ${cluster.running.length} members…\n`);
    await cluster.stop(STOP_GRACE_MS);
    cluster.writeClusterFile();
    for (const r of cluster.running) out.write(`  ${r.member.name} exited (${exitText(r)})\n`);
    out.write(`stopped. Data kept in ${plan.file.replace(/cluster\.json$/, '')}; run \`nines up\` again to resume.\n`);
    stopped();
  };
  process.once('SIGINT', () => void stop('SIGINT'));
  process.once('SIGTERM', () => void stop('SIGTERM'));

  cluster.onExit((r) => {
    if (!stopping) out.write(`\n${r.member.name} exited unexpectedly (${exitText(r)}); see ${join(r.member.dataDir, LOG_FILE_NAME)}\n`);
  });
  out.write(`${plan.resumed ? 'resuming' : 'starting'} ${plan.members.length} members (data in ${plan.file.replace(/cluster\.json$/, '')})…\n`);
  await cluster.checkPortsFree();
  cluster.start();
  cluster.writeClusterFile();
  try {
    await cluster.waitReady(readyTimeoutMs);
  } catch (err) {
    await stop('startup failed');
    throw err;
  }
  if (stopping) {
    await done;
    return;
  }
  cluster.writeClusterFile();
  printEndpoints(cluster, plan.file);
  void liveStatus(cluster, () => stopping);
  await done;
}

/**
 * The peer TLS flags, checked here (before any member starts) and passed to every member with
 * absolute paths; returns the peer URL scheme. One certificate serves every member, so it must
 * name the loopback address (e.g. subjectAltName=IP:127.0.0.1) and allow serverAuth and
 * clientAuth (docs/operations.md, "Peer TLS").
 */
function peerTlsArgs(flags: UpFlags, extraArgs: string[]): 'http' | 'https' {
  const files: Array<[string, string | undefined]> = [
    ['--peer-cert-file', flags.peerCertFile],
    ['--peer-key-file', flags.peerKeyFile],
    ['--peer-trusted-ca-file', flags.peerTrustedCaFile],
  ];
  const any = files.some(([, f]) => f !== undefined) || flags.peerClientCertAuth === true;
  if (!any) return 'http';
  if (flags.peerCertFile === undefined || flags.peerKeyFile === undefined) {
    throw new InvalidArgumentError('peer TLS needs both --peer-cert-file and --peer-key-file');
  }
  if (flags.peerClientCertAuth === true && flags.peerTrustedCaFile === undefined) {
    throw new InvalidArgumentError('--peer-client-cert-auth needs --peer-trusted-ca-file (the CA that signed the members\' certificates)');
  }
  for (const [flag, file] of files) {
    if (file === undefined) continue;
    if (!existsSync(file)) throw new InvalidArgumentError(`${flag} ${file}: no such file`);
    extraArgs.push(flag, resolve(file));
  }
  if (flags.peerClientCertAuth === true) extraArgs.push('--peer-client-cert-auth');
  return 'https';
}

function exitText(r: RunningMember): string {
  if (!r.exited) return 'still running';
  return r.exitSignal !== null ? `signal ${r.exitSignal}` : `code ${r.exitCode}`;
}

function printEndpoints(cluster: LocalCluster, file: string): void {
  const out = process.stdout;
  const first = cluster.running[0]!.member;
  out.write(`\nready. cluster file: ${file}\n`);
  for (const r of cluster.running) {
    const m = r.member;
    out.write(`  ${m.name.padEnd(6)} pid ${String(m.pid).padEnd(7)} http ${m.httpUrl}  client ${m.clientUrls.join(',')}  peer ${m.peerUrl}\n`);
  }
  out.write(`dashboard: ${first.httpUrl}/\n`);
  out.write(`try:       nines kv put hello world && nines kv get hello && nines status\n`);
  out.write(`           curl -X PUT ${first.httpUrl}/v1/kv/hello -d '{"value":"world"}'\n`);
  const etcdEndpoints = cluster.running.flatMap((r) => r.member.clientUrls.map((u) => u.replace(/^http:\/\//, ''))).join(',');
  out.write(`etcdctl:   ETCDCTL_API=3 etcdctl --endpoints ${etcdEndpoints} endpoint status -w table   (docs/etcd-compat.md)\n`);
  out.write('Ctrl-C stops the cluster.\n\n');
}

function statusLine(name: string, s: NodeStatus | string): string {
  if (typeof s === 'string') return `${name.padEnd(6)} ${'down'.padEnd(9)} ${s}`;
  const peers = s.peers
    .map((p) => `${p.name}:${p.suspicion === null ? '-' : p.suspicion > 1e300 ? '∞' : p.suspicion.toFixed(1)}`)
    .join(' ');
  return (
    `${name.padEnd(6)} ${s.role.padEnd(9)} term ${String(s.term).padEnd(3)} leader ${(s.leaderName || '-').padEnd(6)} ` +
    `commit ${String(s.commitIndex).padEnd(6)} applied ${String(s.appliedIndex).padEnd(6)} rev ${String(s.revision).padEnd(6)} ${peers}`
  );
}

/** Refreshing status lines on a TTY; on a pipe, a line per member whenever its role/leader/term changes. */
async function liveStatus(cluster: LocalCluster, isStopping: () => boolean): Promise<void> {
  const out = process.stdout;
  const client = new NinesHttpClient(cluster.running.map((r) => r.member.httpUrl));
  const tty = out.isTTY === true;
  const lastKey = new Map<string, string>();
  let drawn = 0;
  while (!isStopping()) {
    const lines: string[] = [];
    for (const r of cluster.running) {
      let s: NodeStatus | string;
      try {
        s = (await client.status(r.member.httpUrl)) as NodeStatus;
      } catch (err) {
        s = r.exited ? `exited (${exitText(r)})` : `unreachable: ${(err as Error).message}`;
      }
      if (isStopping()) return;
      const line = statusLine(r.member.name, s);
      if (tty) lines.push(line);
      else {
        const key = typeof s === 'string' ? 'down' : `${s.role}/${s.leaderName}/${s.term}`;
        if (lastKey.get(r.member.name) !== key) {
          lastKey.set(r.member.name, key);
          lines.push(`${new Date().toISOString()} ${line}`);
        }
      }
    }
    if (tty) {
      if (drawn > 0) out.write(`\x1b[${drawn}A`);
      for (const line of lines) out.write(`\x1b[2K${line.slice(0, (out.columns ?? 200) - 1)}\n`);
      drawn = lines.length;
    } else {
      for (const line of lines) out.write(`${line}\n`);
    }
    await new Promise((r) => setTimeout(r, STATUS_REFRESH_MS));
  }
}
