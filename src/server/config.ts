import { accessSync, constants as fsConstants, readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { InvalidArgumentError } from '../core/errors.js';
import type { NodeId } from '../core/ids.js';
import type { PeerTlsOptions } from '../transport/peer-tls.js';
import { clusterIdFor, memberIdForPeer } from './member-id.js';

/**
 * A node's configuration, validated in one place (`validateNodeConfig`). Keys use etcd's
 * flag and config-file names; the same keys work as `--flags` and in a `--config` YAML file.
 * Precedence: defaults < config file < command-line flags.
 */
export const CONFIG_KEYS = [
  'name',
  'data-dir',
  'listen-client-urls',
  'advertise-client-urls',
  'listen-peer-urls',
  'initial-advertise-peer-urls',
  'listen-http-urls',
  'initial-cluster',
  'initial-cluster-http',
  'initial-cluster-state',
  'initial-cluster-token',
  'heartbeat-interval',
  'election-timeout',
  'detector',
  'snapshot-count',
  'log-level',
  'cert-file',
  'key-file',
  'trusted-ca-file',
  'client-cert-auth',
  'peer-cert-file',
  'peer-key-file',
  'peer-trusted-ca-file',
  'peer-client-cert-auth',
  'quota-backend-bytes',
] as const;
export type ConfigKey = (typeof CONFIG_KEYS)[number];

/** etcd config-file keys nines accepts in a file but does not use yet (a warning, not an error). */
const ETCD_KEYS_IGNORED: ReadonlySet<string> = new Set([
  'wal-dir',
  'max-snapshots',
  'max-wals',
  'max-txn-ops',
  'max-request-bytes',
  'listen-metrics-urls',
  'discovery',
  'discovery-fallback',
  'discovery-proxy',
  'discovery-srv',
  'strict-reconfig-check',
  'enable-v2',
  'enable-pprof',
  'proxy',
  'proxy-failure-wait',
  'proxy-refresh-interval',
  'proxy-dial-timeout',
  'proxy-write-timeout',
  'proxy-read-timeout',
  'client-transport-security',
  'peer-transport-security',
  'debug',
  'logger',
  'log-outputs',
  'force-new-cluster',
  'auto-compaction-mode',
  'auto-compaction-retention',
  'cors',
  'enable-grpc-gateway',
  'snapshot-catchup-entries',
]);

export const DETECTORS = ['fixed', 'adaptive'] as const;
export type DetectorName = (typeof DETECTORS)[number];
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export const ConfigDefaults = {
  name: 'default',
  clientUrl: 'http://localhost:2379',
  peerUrl: 'http://localhost:2380',
  /** The HTTP/JSON API listens on the first client URL's port + this, unless given. */
  httpPortOffset: 2,
  initialClusterToken: 'nines-cluster',
  /** etcd's default heartbeat: 100 ms. */
  heartbeatIntervalMs: 100,
  /** etcd's default election timeout: 1000 ms. */
  electionTimeoutMs: 1000,
  /** etcd requires election-timeout >= 5 × heartbeat-interval. */
  electionToHeartbeatRatioMin: 5,
  /** etcd's upper bound on --election-timeout. */
  electionTimeoutMsMax: 50_000,
  detector: 'adaptive' as DetectorName,
  snapshotCount: 10_000,
  /** etcd's default backend quota: 2 GiB. */
  quotaBackendBytes: 2 * 1024 ** 3,
  /** etcd's suggested maximum quota: 8 GiB. */
  quotaBackendBytesMax: 8 * 1024 ** 3,
  logLevel: 'info' as LogLevel,
} as const;

/** One member of the cluster as the configuration knows it. */
export interface MemberConfig {
  readonly id: NodeId;
  readonly name: string;
  readonly peerUrl: string;
  /** Its HTTP/JSON API, when known (`--initial-cluster-http`). */
  readonly httpUrl?: string;
}

export interface NodeConfig {
  readonly name: string;
  readonly dataDir: string;
  readonly listenClientUrls: readonly string[];
  readonly advertiseClientUrls: readonly string[];
  readonly listenPeerUrls: readonly string[];
  readonly initialAdvertisePeerUrls: readonly string[];
  readonly listenHttpUrls: readonly string[];
  readonly initialClusterState: 'new' | 'existing';
  readonly initialClusterToken: string;
  readonly heartbeatIntervalMs: number;
  readonly electionTimeoutMs: number;
  readonly detector: DetectorName;
  readonly snapshotCount: number;
  /** etcd's --quota-backend-bytes: past it NOSPACE is raised and writes refused (0 = default). */
  readonly quotaBackendBytes: number;
  readonly logLevel: LogLevel;
  /** This member's id (derived from its first advertised peer URL and the token, as etcd). */
  readonly memberId: NodeId;
  /** The cluster id (derived from the token). */
  readonly clusterId: number;
  /** Every member of the initial cluster, this one included, sorted by name. */
  readonly members: readonly MemberConfig[];
  /** Warnings to log at start (e.g. etcd config keys nines ignores). */
  readonly warnings: readonly string[];
  /** TLS for the etcd gRPC client listener (https:// client URLs), from etcd's flags. */
  readonly clientTls?: ClientTlsConfig;
  /** Mutual TLS between members (https:// peer URLs), from etcd's --peer-* flags. */
  readonly peerTls?: PeerTlsConfig;
}

/** etcd's peer TLS flags: --peer-cert-file, --peer-key-file, --peer-trusted-ca-file, --peer-client-cert-auth. */
export type PeerTlsConfig = PeerTlsOptions;

/** etcd's client TLS flags: --cert-file, --key-file, --trusted-ca-file, --client-cert-auth. */
export interface ClientTlsConfig {
  readonly certFile: string;
  readonly keyFile: string;
  readonly trustedCaFile?: string;
  readonly clientCertAuth: boolean;
}

/** Where a raw value came from, so errors can name it as the user wrote it. */
export type ValueSource = 'flag' | 'file' | 'default';
export interface RawConfig {
  readonly values: Partial<Record<ConfigKey, unknown>>;
  readonly sources: Partial<Record<ConfigKey, ValueSource>>;
  readonly file?: string;
  readonly warnings: readonly string[];
}

/** Read a `--config` YAML file: etcd's keys; unknown keys are refused, unused etcd keys warned. */
export function readConfigFile(path: string): RawConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new InvalidArgumentError(`--config: cannot read ${path}: ${(err as Error).message}`);
  }
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    throw new InvalidArgumentError(`--config: ${path} is not valid YAML: ${(err as Error).message}`);
  }
  if (doc === null || doc === undefined) doc = {};
  if (typeof doc !== 'object' || Array.isArray(doc)) {
    throw new InvalidArgumentError(`--config: ${path} must be a YAML mapping of etcd config keys`);
  }
  const values: Partial<Record<ConfigKey, unknown>> = {};
  const sources: Partial<Record<ConfigKey, ValueSource>> = {};
  const warnings: string[] = [];
  for (const [key, value] of Object.entries(doc as Record<string, unknown>)) {
    if ((CONFIG_KEYS as readonly string[]).includes(key)) {
      if (value === null || value === undefined) continue;
      values[key as ConfigKey] = value;
      sources[key as ConfigKey] = 'file';
    } else if (ETCD_KEYS_IGNORED.has(key)) {
      warnings.push(`config file ${path}: etcd key "${key}" is not supported by nines yet and is ignored`);
    } else {
      throw new InvalidArgumentError(
        `--config: ${path} has unknown key "${key}"; known keys: ${CONFIG_KEYS.join(', ')}`,
      );
    }
  }
  return { values, sources, file: path, warnings };
}

/** Overlay command-line values (only those the user gave) on a raw config. */
export function withFlags(base: RawConfig, flags: Partial<Record<ConfigKey, unknown>>): RawConfig {
  const values = { ...base.values };
  const sources = { ...base.sources };
  for (const key of CONFIG_KEYS) {
    const value = flags[key];
    if (value === undefined) continue;
    values[key] = value;
    sources[key] = 'flag';
  }
  return base.file === undefined
    ? { values, sources, warnings: base.warnings }
    : { values, sources, file: base.file, warnings: base.warnings };
}

export const EMPTY_RAW_CONFIG: RawConfig = { values: {}, sources: {}, warnings: [] };

/**
 * Validate and complete a configuration: fill defaults, parse URLs and the member list,
 * reject contradictions. Every error names the flag (or config-file key) and says why.
 */
export function validateNodeConfig(raw: RawConfig): NodeConfig {
  const label = (key: ConfigKey): string =>
    raw.sources[key] === 'file' ? `config key "${key}" (in ${raw.file ?? 'config file'})` : `--${key}`;
  const fail = (key: ConfigKey, why: string): never => {
    throw new InvalidArgumentError(`${label(key)} ${why}`);
  };
  const str = (key: ConfigKey): string | undefined => {
    const v = raw.values[key];
    if (v === undefined) return undefined;
    if (typeof v === 'number') return String(v);
    if (typeof v !== 'string') return fail(key, `must be a string, got ${JSON.stringify(v)}`);
    return v.trim();
  };
  const urls = (key: ConfigKey): string[] | undefined => {
    const v = raw.values[key];
    if (v === undefined) return undefined;
    const parts = Array.isArray(v) ? v.map(String) : String(v).split(',');
    const list = parts.map((p) => p.trim()).filter((p) => p !== '');
    if (list.length === 0) return fail(key, 'must list at least one URL');
    const https =
      key === 'listen-client-urls' || key === 'advertise-client-urls' || key === 'listen-peer-urls' || key === 'initial-advertise-peer-urls';
    return list.map((u) => normaliseUrl(u, (why) => fail(key, why), https));
  };
  const int = (key: ConfigKey, dflt: number, min: number, max: number): number => {
    const v = raw.values[key];
    if (v === undefined) return dflt;
    const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : Number.NaN;
    if (!Number.isSafeInteger(n) || n < min || n > max) {
      return fail(key, `must be an integer from ${min} to ${max}, got ${JSON.stringify(v)}`);
    }
    return n;
  };

  const name = str('name') ?? ConfigDefaults.name;
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/.test(name)) {
    fail('name', `must be 1-63 characters of letters, digits, ".", "_" or "-", got "${name}"`);
  }
  const dataDir = str('data-dir') ?? `${name}.nines`;
  if (dataDir === '') fail('data-dir', 'must not be empty');

  const listenClientUrls = urls('listen-client-urls') ?? [ConfigDefaults.clientUrl];
  const advertiseClientUrls = urls('advertise-client-urls') ?? listenClientUrls;
  const listenPeerUrls = urls('listen-peer-urls') ?? [ConfigDefaults.peerUrl];
  const initialAdvertisePeerUrls = urls('initial-advertise-peer-urls') ?? listenPeerUrls;
  const listenHttpUrls = urls('listen-http-urls') ?? [defaultHttpUrl(listenClientUrls[0]!)];
  if (listenPeerUrls.length > 1) fail('listen-peer-urls', 'takes one URL in nines (one peer listener)');
  if (listenHttpUrls.length > 1) fail('listen-http-urls', 'takes one URL in nines (one HTTP listener)');

  const stateText = str('initial-cluster-state') ?? 'new';
  if (stateText !== 'new' && stateText !== 'existing') {
    fail('initial-cluster-state', `must be "new" or "existing", got "${stateText}"`);
  }
  const initialClusterToken = str('initial-cluster-token') ?? ConfigDefaults.initialClusterToken;
  if (initialClusterToken === '') fail('initial-cluster-token', 'must not be empty');

  const heartbeatIntervalMs = int('heartbeat-interval', ConfigDefaults.heartbeatIntervalMs, 1, 10_000);
  const electionTimeoutMs = int('election-timeout', ConfigDefaults.electionTimeoutMs, 1, ConfigDefaults.electionTimeoutMsMax);
  if (electionTimeoutMs < ConfigDefaults.electionToHeartbeatRatioMin * heartbeatIntervalMs) {
    fail(
      'election-timeout',
      `(${electionTimeoutMs} ms) must be at least ${ConfigDefaults.electionToHeartbeatRatioMin} times --heartbeat-interval (${heartbeatIntervalMs} ms)`,
    );
  }
  const detector = str('detector') ?? ConfigDefaults.detector;
  if (!(DETECTORS as readonly string[]).includes(detector)) {
    fail('detector', `must be one of ${DETECTORS.join(', ')}, got "${detector}"`);
  }
  const snapshotCount = int('snapshot-count', ConfigDefaults.snapshotCount, 1, 1_000_000_000);
  const quotaText = int('quota-backend-bytes', 0, 0, ConfigDefaults.quotaBackendBytesMax);
  const quotaBackendBytes = quotaText === 0 ? ConfigDefaults.quotaBackendBytes : quotaText;
  const logLevel = str('log-level') ?? ConfigDefaults.logLevel;
  if (!(LOG_LEVELS as readonly string[]).includes(logLevel)) {
    fail('log-level', `must be one of ${LOG_LEVELS.join(', ')}, got "${logLevel}"`);
  }

  // The member list: name=peerUrl pairs; this node must be in it with its advertised URL.
  const peerUrl = initialAdvertisePeerUrls[0]!;
  const clusterText = str('initial-cluster') ?? `${name}=${peerUrl}`;
  const pairs = parsePairs(clusterText, (why) => fail('initial-cluster', why), true);
  const httpPairs = new Map(parsePairs(str('initial-cluster-http') ?? '', (why) => fail('initial-cluster-http', why)));
  if (pairs.length === 0) fail('initial-cluster', 'must list at least this member as name=peer-url');
  const names = new Set<string>();
  for (const [memberName] of pairs) {
    if (names.has(memberName)) {
      fail('initial-cluster', `names member "${memberName}" twice (nines takes one peer URL per member)`);
    }
    names.add(memberName);
  }
  for (const httpName of httpPairs.keys()) {
    if (!names.has(httpName)) fail('initial-cluster-http', `names "${httpName}", which is not in --initial-cluster`);
  }
  const mine = pairs.find(([memberName]) => memberName === name);
  if (mine === undefined) {
    fail('initial-cluster', `must include this member "${name}" (as ${name}=${peerUrl})`);
  } else if (!initialAdvertisePeerUrls.includes(mine[1])) {
    fail(
      'initial-cluster',
      `gives ${name}=${mine[1]} but --initial-advertise-peer-urls is ${initialAdvertisePeerUrls.join(',')}; they must match`,
    );
  }
  const members: MemberConfig[] = pairs
    .map(([memberName, url]) => {
      const httpUrl = httpPairs.get(memberName) ?? (memberName === name ? listenHttpUrls[0] : undefined);
      const id = memberIdForPeer(url, initialClusterToken);
      return httpUrl === undefined ? { id, name: memberName, peerUrl: url } : { id, name: memberName, peerUrl: url, httpUrl };
    })
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const ids = new Set(members.map((m) => m.id));
  if (ids.size !== members.length) fail('initial-cluster', 'gives two members the same peer URL (each member needs its own)');
  const memberId = memberIdForPeer(mine![1], initialClusterToken);

  const clientTls = clientTlsConfig(raw.values['client-cert-auth'], str, fail, listenClientUrls);
  const peerTls = peerTlsConfig(raw.values['peer-client-cert-auth'], str, fail, {
    listen: listenPeerUrls,
    advertise: initialAdvertisePeerUrls,
    cluster: pairs.map(([, url]) => url),
  });

  return {
    ...(clientTls === undefined ? {} : { clientTls }),
    ...(peerTls === undefined ? {} : { peerTls }),
    name,
    dataDir,
    listenClientUrls,
    advertiseClientUrls,
    listenPeerUrls,
    initialAdvertisePeerUrls,
    listenHttpUrls,
    initialClusterState: stateText as 'new' | 'existing',
    initialClusterToken,
    heartbeatIntervalMs,
    electionTimeoutMs,
    detector: detector as DetectorName,
    snapshotCount,
    quotaBackendBytes,
    logLevel: logLevel as LogLevel,
    memberId,
    // The token alone: a member added later (`member add`) lists other members than the
    // bootstrap did, and must still join the same cluster.
    clusterId: clusterIdFor(initialClusterToken, []),
    members,
    warnings: raw.warnings,
  };
}

/** `http://host:port` with an explicit port and no path; anything else is refused. */
export function normaliseUrl(text: string, fail: (why: string) => never, allowHttps = false): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return fail(`has "${text}", which is not a URL (expected http://host:port)`);
  }
  if (url.protocol !== 'http:' && !(allowHttps && url.protocol === 'https:')) {
    return fail(`has "${text}": only http:// URLs are supported here${allowHttps ? ' (or https:// with the TLS flags: --cert-file/--key-file for client URLs, --peer-cert-file/--peer-key-file for peer URLs)' : ''}`);
  }
  if (url.port === '') return fail(`has "${text}": give an explicit port, e.g. http://127.0.0.1:2379`);
  if (url.pathname !== '/' || url.search !== '' || url.hash !== '') {
    return fail(`has "${text}": a URL here takes no path or query`);
  }
  return `${url.protocol}//${url.host}`;
}

function defaultHttpUrl(clientUrl: string): string {
  const url = new URL(clientUrl);
  // URL.hostname keeps the brackets of an IPv6 literal, so this round-trips.
  return `http://${url.hostname}:${Number(url.port) + ConfigDefaults.httpPortOffset}`;
}

function parsePairs(text: string, fail: (why: string) => never, allowHttps = false): [string, string][] {
  const out: [string, string][] = [];
  for (const part of text.split(',')) {
    const item = part.trim();
    if (item === '') continue;
    const eq = item.indexOf('=');
    if (eq <= 0) fail(`has "${item}"; expected name=http://host:port`);
    const memberName = item.slice(0, eq).trim();
    const url = normaliseUrl(item.slice(eq + 1).trim(), (why) => fail(`entry "${memberName}" ${why}`), allowHttps);
    out.push([memberName, url]);
  }
  return out;
}

/** Host and port to listen on, from a validated URL. */
export function hostPort(url: string): { host: string; port: number } {
  const u = new URL(url);
  const host = u.hostname.startsWith('[') ? u.hostname.slice(1, -1) : u.hostname;
  return { host, port: Number(u.port) };
}

/** etcd's client TLS flags, checked against the client URLs' schemes. */
function clientTlsConfig(
  clientCertAuthValue: unknown,
  str: (key: ConfigKey) => string | undefined,
  fail: (key: ConfigKey, why: string) => never,
  listenClientUrls: readonly string[],
): ClientTlsConfig | undefined {
  const certFile = str('cert-file');
  const keyFile = str('key-file');
  const trustedCaFile = str('trusted-ca-file');
  // A YAML boolean, a bare --client-cert-auth switch (true) or the text true/false.
  const authText = String(clientCertAuthValue ?? 'false').trim().toLowerCase();
  if (authText !== 'true' && authText !== 'false') fail('client-cert-auth', `must be true or false, got "${authText}"`);
  const clientCertAuth = authText === 'true';
  const https = listenClientUrls.filter((u) => u.startsWith('https:'));
  if (https.length > 0 && https.length < listenClientUrls.length) {
    fail('listen-client-urls', 'mixes http:// and https:// URLs; use one scheme for all client URLs');
  }
  if (certFile === undefined && keyFile === undefined) {
    if (https.length > 0) fail('listen-client-urls', `has ${https[0]}: https:// needs --cert-file and --key-file`);
    if (trustedCaFile !== undefined || clientCertAuth) fail('trusted-ca-file', 'and --client-cert-auth need --cert-file and --key-file');
    return undefined;
  }
  if (certFile === undefined) return fail('cert-file', 'is required with --key-file');
  if (keyFile === undefined) return fail('key-file', 'is required with --cert-file');
  if (https.length === 0) fail('listen-client-urls', 'must use https:// URLs when --cert-file/--key-file are given');
  if (clientCertAuth && trustedCaFile === undefined) fail('client-cert-auth', 'needs --trusted-ca-file (the CA that signs client certificates)');
  return { certFile, keyFile, clientCertAuth, ...(trustedCaFile === undefined ? {} : { trustedCaFile }) };
}

/**
 * etcd's peer TLS flags, checked against the peer URLs' schemes: https:// peer URLs need
 * --peer-cert-file and --peer-key-file (and vice versa), every member's peer URL uses the same
 * scheme, and the named files are readable.
 */
function peerTlsConfig(
  clientCertAuthValue: unknown,
  str: (key: ConfigKey) => string | undefined,
  fail: (key: ConfigKey, why: string) => never,
  urls: { listen: readonly string[]; advertise: readonly string[]; cluster: readonly string[] },
): PeerTlsConfig | undefined {
  const certFile = str('peer-cert-file');
  const keyFile = str('peer-key-file');
  const trustedCaFile = str('peer-trusted-ca-file');
  const authText = String(clientCertAuthValue ?? 'false').trim().toLowerCase();
  if (authText !== 'true' && authText !== 'false') fail('peer-client-cert-auth', `must be true or false, got "${authText}"`);
  const clientCertAuth = authText === 'true';
  const lists: Array<[ConfigKey, readonly string[]]> = [
    ['listen-peer-urls', urls.listen],
    ['initial-advertise-peer-urls', urls.advertise],
    ['initial-cluster', urls.cluster],
  ];
  if (certFile === undefined && keyFile === undefined) {
    for (const [key, list] of lists) {
      const https = list.find((u) => u.startsWith('https:'));
      if (https !== undefined) fail(key, `has ${https}: only http:// peer URLs work without peer TLS; https:// needs --peer-cert-file and --peer-key-file`);
    }
    if (trustedCaFile !== undefined) fail('peer-trusted-ca-file', 'needs --peer-cert-file and --peer-key-file');
    if (clientCertAuth) fail('peer-client-cert-auth', 'needs --peer-cert-file and --peer-key-file');
    return undefined;
  }
  if (certFile === undefined) return fail('peer-cert-file', 'is required with --peer-key-file');
  if (keyFile === undefined) return fail('peer-key-file', 'is required with --peer-cert-file');
  for (const [key, list] of lists) {
    const plain = list.find((u) => !u.startsWith('https:'));
    if (plain !== undefined) fail(key, `has ${plain}: with --peer-cert-file/--peer-key-file every peer URL must be https://`);
  }
  if (clientCertAuth && trustedCaFile === undefined) {
    fail('peer-client-cert-auth', 'needs --peer-trusted-ca-file (the CA that signs peer certificates)');
  }
  const readable: Array<[ConfigKey, string | undefined]> = [
    ['peer-cert-file', certFile],
    ['peer-key-file', keyFile],
    ['peer-trusted-ca-file', trustedCaFile],
  ];
  for (const [key, path] of readable) {
    if (path === undefined) continue;
    try {
      accessSync(path, fsConstants.R_OK);
    } catch (err) {
      fail(key, `${path}: cannot read the file (${(err as Error).message})`);
    }
  }
  return { certFile, keyFile, clientCertAuth, ...(trustedCaFile === undefined ? {} : { trustedCaFile }) };
}
