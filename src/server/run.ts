import { readFileSync } from 'node:fs';
import { pino } from 'pino';
import { nodeEtcdBackend } from '../api/etcd/node-backend.js';
import { EtcdGrpcServer } from '../api/etcd/server.js';
import { InvalidArgumentError } from '../core/errors.js';
import { FAILPOINTS_ENV, failpointsFromEnv } from '../core/failpoints.js';
import { DEFAULT_SLO_PERSIST_INTERVAL_MS, NodeSlo } from '../slo/node-slo.js';
import { outcomeOfError, type RequestOutcome } from '../slo/outcome.js';
import { registerSloGauges } from '../slo/prom-gauges.js';
import { histogramBucketsSeconds } from '../slo/rules.js';
import { defaultSloSpec, type SloSpec } from '../slo/spec.js';
import { DiskStorage } from '../storage/disk-storage.js';
import { dashboardHtml } from '../web/dashboard.js';
import { hostPort, type NodeConfig } from './config.js';
import { lockDataDir } from './data-dir-lock.js';
import { HttpApiServer } from './http/server.js';
import { formatId } from './member-id.js';
import { NinesNode } from './node.js';
import { startPeerNetwork } from './peers.js';
import { FileSloHistoryStore } from './slo-store.js';

/** How long shutdown lets in-flight HTTP requests finish. */
const HTTP_CLOSE_GRACE_MS = 1_000;
/** How often the SLO history is checked for a due save (it saves every persist interval). */
const SLO_PERSIST_TICK_MS = 1_000;

/** What `nines start` adds to the member config. */
export interface RunOptions {
  /** The SLO spec (`--slo FILE`); default `defaultSloSpec()`. */
  readonly sloSpec?: SloSpec;
  /** How often the SLO history is saved to the data dir while requests come (and at shutdown). */
  readonly sloPersistIntervalMs?: number;
}

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
export async function runNode(config: NodeConfig, options: RunOptions = {}): Promise<void> {
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

  // Read before anything is opened: a malformed NINES_FAILPOINTS is a startup error (exit 2).
  const failpoints = failpointsFromEnv();
  if (failpoints !== undefined) {
    logger.warn({ failpoints: failpoints.toString() }, `${FAILPOINTS_ENV} is set: faults may be injected, also at run time through PUT /debug/failpoints (tests only)`);
  }
  const unlock = lockDataDir(config.dataDir);
  process.once('exit', unlock);
  let storage: DiskStorage;
  try {
    storage = await DiskStorage.open(config.dataDir, {
      clusterId: formatId(config.clusterId),
      nodeId: config.memberId,
      nodeName: config.name,
      ...(failpoints !== undefined ? { failpoints } : {}),
    });
  } catch (err) {
    unlock();
    throw err;
  }
  const hasState = storage.lastIndex() > 0 || storage.initialState().hardState.term > 0;
  if (!hasState && config.initialClusterState === 'existing') {
    // Joining a running cluster: a member must have added this one (`etcdctl member add`);
    // the leader then sends its log or a snapshot (docs/operations.md).
    logger.info({ memberId: formatId(config.memberId) }, 'empty data dir and --initial-cluster-state existing: joining the running cluster');
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

  // SLIs: every answered client request, timestamped by the wall clock so the history kept
  // in the data dir means the same after a restart (docs/slo.md).
  const sloSpec = options.sloSpec ?? defaultSloSpec();
  const slo = NodeSlo.open({
    member: config.name,
    spec: sloSpec,
    clock: { nowMs: () => Date.now() },
    store: new FileSloHistoryStore(config.dataDir),
    persistIntervalMs: options.sloPersistIntervalMs ?? DEFAULT_SLO_PERSIST_INTERVAL_MS,
    onWarning: (message) => logger.warn(message),
  });
  node.metrics.setRequestBucketsSeconds(histogramBucketsSeconds(sloSpec));
  registerSloGauges(node.metrics.registry, () => slo.snapshot());
  const saveSlo = (): void => {
    slo.persistIfDue().catch((err: unknown) => logger.warn({ err }, 'could not save the SLO history'));
  };
  /** The SLI hook for every client API (HTTP here; the etcd gRPC server should call it too). */
  const recordAnswered = (method: string, outcome: RequestOutcome, latencyMs: number): void => {
    if (!slo.counts(method)) return;
    node.metrics.recordRequest(method, outcome, latencyMs);
    slo.record(method, outcome, latencyMs);
  };

  const http = new HttpApiServer({
    service: node,
    metricsText: async () => ({ contentType: node.metrics.contentType, text: await node.metrics.text() }),
    dashboardHtml,
    sloStatus: () => slo.statusDoc(),
    ...(failpoints !== undefined ? { failpoints } : {}),
    recorders: [(r) => recordAnswered(r.method, r.outcome, r.latencyMs)],
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
  // etcd's v3 gRPC API on --listen-client-urls (docs/etcd-compat.md).
  let etcd: EtcdGrpcServer;
  try {
    etcd = await EtcdGrpcServer.start({
      backend: nodeEtcdBackend(node),
      listenUrls: config.listenClientUrls,
      ...(config.clientTls === undefined ? {} : { tls: config.clientTls }),
      ninesVersion: version,
      onInternalError: (method, err) => logger.warn({ method, err }, 'etcd gRPC request failed on the server side'),
      onRequest: (r) => recordAnswered(r.method, outcomeOfError(r.error), r.latencyMs),
    });
  } catch (err) {
    await http.close(0);
    await storage.close();
    throw err;
  }
  let network: Awaited<ReturnType<typeof startPeerNetwork>>;
  try {
    network = await startPeerNetwork(config, node, logger);
  } catch (err) {
    await etcd.stop(0);
    await http.close(0);
    await storage.close();
    throw listenError('--listen-peer-urls', config.listenPeerUrls[0]!, err);
  }
  node.start(network);
  const sloTimer = setInterval(saveSlo, SLO_PERSIST_TICK_MS);
  sloTimer.unref();
  const sloAt = slo.snapshot().objectives[0];
  logger.info({ http: httpUrl, sloHistoryRequests: sloAt?.valid ?? 0 }, 'member started');

  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGTERM', () => resolve('SIGTERM'));
    process.once('SIGINT', () => resolve('SIGINT'));
  });
  if (fatalExit) return;
  logger.info({ signal }, 'shutting down');
  http.stopAccepting();
  const etcdStopped = etcd.stop(HTTP_CLOSE_GRACE_MS);
  await node.stop();
  await http.close(HTTP_CLOSE_GRACE_MS);
  await etcdStopped;
  clearInterval(sloTimer);
  await slo.flush().catch((err: unknown) => logger.warn({ err }, 'could not save the SLO history'));
  logger.info('stopped cleanly');
  logger.flush();
  process.exitCode = 0;
}
