import { readFileSync } from 'node:fs';
import { pino } from 'pino';
import { InvalidArgumentError } from '../core/errors.js';
import { DiskStorage } from '../storage/disk-storage.js';
import { dashboardHtml } from '../web/dashboard.js';
import { hostPort, type NodeConfig } from './config.js';
import { lockDataDir } from './data-dir-lock.js';
import { HttpApiServer } from './http/server.js';
import { formatId } from './member-id.js';
import { NinesNode } from './node.js';
import { startPeerNetwork } from './peers.js';

/** How long shutdown lets in-flight HTTP requests finish. */
const HTTP_CLOSE_GRACE_MS = 1_000;

function packageVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version?: string };
    return pkg.version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
}

/** Turn a listen error into a message naming the flag. */
function listenError(flag: string, url: string, err: unknown): InvalidArgumentError {
  const code = (err as { code?: string }).code;
  const why = code === 'EADDRINUSE' ? 'the address is already in use' : code === 'EADDRNOTAVAIL' ? 'the address is not on this host' : String(err);
  return new InvalidArgumentError(`${flag} ${url}: cannot listen: ${why}`);
}

/**
 * Run one member until SIGTERM/SIGINT: open and recover storage, serve HTTP, connect to
 * peers, drive raft. On a signal: stop taking requests, hand over leadership, flush, exit 0.
 * Startup refusals (corrupt data, another cluster's data dir, a port in use) throw a
 * NinesError naming the cause, which the CLI prints before exiting 2.
 */
export async function runNode(config: NodeConfig): Promise<void> {
  const version = packageVersion();
  const logger = pino({ level: config.logLevel, base: { member: config.name, pid: process.pid } });
  for (const warning of config.warnings) logger.warn(warning);
  logger.info(
    {
      memberId: formatId(config.memberId),
      clusterId: formatId(config.clusterId),
      dataDir: config.dataDir,
      http: config.listenHttpUrls[0],
      peer: config.listenPeerUrls[0],
      members: config.members.map((m) => `${m.name}=${m.peerUrl}`),
      detector: config.detector,
      version,
    },
    'starting nines member',
  );

  const unlock = lockDataDir(config.dataDir);
  process.once('exit', unlock);
  let storage: DiskStorage;
  try {
    storage = await DiskStorage.open(config.dataDir, {
      clusterId: formatId(config.clusterId),
      nodeId: config.memberId,
      nodeName: config.name,
    });
  } catch (err) {
    unlock();
    throw err;
  }
  const hasState = storage.lastIndex() > 0 || storage.initialState().hardState.term > 0;
  if (!hasState && config.initialClusterState === 'existing') {
    await storage.close();
    throw new InvalidArgumentError(
      `--initial-cluster-state existing but data dir ${config.dataDir} holds no raft state: joining a running cluster ` +
        'needs its members to add this one first (member add, a later release); to bootstrap, use --initial-cluster-state new',
    );
  }
  if (hasState && config.initialClusterState === 'new') {
    logger.info('data dir holds raft state: restarting from it (--initial-cluster is only used to bootstrap)');
  }

  let fatalExit = false;
  const node = NinesNode.open({
    config,
    storage,
    logger,
    version,
    onFatal: () => {
      fatalExit = true;
      logger.flush();
      process.exit(1);
    },
  });

  const http = new HttpApiServer({
    service: node,
    metricsText: async () => ({ contentType: node.metrics.contentType, text: await node.metrics.text() }),
    dashboardHtml,
    recorders: [(r) => node.metrics.recordRequest(r.method, r.outcome, r.latencyMs)],
    onServerError: (method, err) => logger.warn({ method, err }, 'request failed on the server side'),
  });
  const httpUrl = config.listenHttpUrls[0]!;
  const { host, port } = hostPort(httpUrl);
  try {
    await http.listen(host, port);
  } catch (err) {
    await storage.close();
    throw listenError('--listen-http-urls', httpUrl, err);
  }
  let network: Awaited<ReturnType<typeof startPeerNetwork>>;
  try {
    network = await startPeerNetwork(config, node, logger);
  } catch (err) {
    await http.close(0);
    await storage.close();
    throw listenError('--listen-peer-urls', config.listenPeerUrls[0]!, err);
  }
  node.start(network);
  logger.info({ http: httpUrl }, 'member started');

  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGTERM', () => resolve('SIGTERM'));
    process.once('SIGINT', () => resolve('SIGINT'));
  });
  if (fatalExit) return;
  logger.info({ signal }, 'shutting down');
  http.stopAccepting();
  await node.stop();
  await http.close(HTTP_CLOSE_GRACE_MS);
  logger.info('stopped cleanly');
  logger.flush();
  process.exitCode = 0;
}
