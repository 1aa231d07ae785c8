import type { Command } from 'commander';
import { CONFIG_KEYS, type ConfigKey, EMPTY_RAW_CONFIG, readConfigFile, validateNodeConfig, withFlags } from '../server/config.js';
import { parseDurationMs } from '../core/duration.js';
import { InvalidArgumentError } from '../core/errors.js';
import { runNode } from '../server/run.js';
import type { SloSpec } from '../slo/spec.js';
import { readSpecFile } from './slo.js';
import { action } from './util.js';

/** After a clean stop, how long stray handles may keep the process alive. */
const EXIT_GRACE_MS = 500;

/** Each config key's flag help (etcd's flag names). */
const FLAG_HELP: Record<ConfigKey, string> = {
  name: 'human-readable name of this member (default "default")',
  'data-dir': 'path to the data directory (default "<name>.nines")',
  'listen-client-urls': 'URLs to listen on for etcd client traffic (default http://localhost:2379)',
  'advertise-client-urls': "this member's client URLs to advertise (default: --listen-client-urls)",
  'listen-peer-urls': 'URL to listen on for peer traffic (default http://localhost:2380)',
  'initial-advertise-peer-urls': "this member's peer URL to advertise (default: --listen-peer-urls)",
  'listen-http-urls': 'URL for the HTTP/JSON API, /livez, /readyz, /metrics and the dashboard (default: first client port + 2)',
  'initial-cluster': 'initial cluster as name=peer-url,... (default "<name>=<advertised peer url>")',
  'initial-cluster-http': "members' HTTP URLs as name=http-url,... (lets the dashboard and status find them)",
  'initial-cluster-state': '"new" to bootstrap a cluster, "existing" to restart/join one (default new)',
  'initial-cluster-token': 'cluster token: part of the cluster id; peers with another token are refused (default "nines-cluster")',
  'heartbeat-interval': 'leader heartbeat interval, ms (default 100)',
  'election-timeout': 'election timeout, ms, at least 5 × heartbeat interval (default 1000)',
  detector: 'leader failure detector: fixed | adaptive (default adaptive)',
  'snapshot-count': 'applied entries between snapshots (default 10000)',
  'quota-backend-bytes': 'key-space size past which the NOSPACE alarm is raised and writes refused, as etcd (default 0 = 2 GiB)',
  'log-level': 'log level: fatal | error | warn | info | debug | trace | silent (default info)',
  'cert-file': 'TLS certificate for the etcd gRPC client listener (with https:// --listen-client-urls)',
  'key-file': 'TLS private key for --cert-file',
  'trusted-ca-file': 'CA bundle that signs client certificates (for --client-cert-auth)',
  'client-cert-auth': 'require client certificates signed by --trusted-ca-file (true | false, default false)',
  'peer-cert-file': 'TLS certificate this member presents to peers, as listener and dialer (with https:// peer URLs)',
  'peer-key-file': 'TLS private key for --peer-cert-file',
  'peer-trusted-ca-file': 'CA bundle that signs peer certificates (for --peer-client-cert-auth; verifies dialed peers too)',
  'peer-client-cert-auth': 'require peers to present certificates signed by --peer-trusted-ca-file (true | false, default false)',
};

function camel(key: string): string {
  return key.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}

export function registerStart(program: Command): void {
  const cmd = program
    .command('start')
    .description('Run one nines member (etcd-style flags; see docs/operations.md). Stops cleanly on SIGTERM/SIGINT.')
    .option('--config <file>', 'YAML config file with the same keys as the flags (etcd config-file format); flags override it');
  // --client-cert-auth and --peer-client-cert-auth are switches in etcd; they also take an explicit true/false.
  const switches: ReadonlySet<ConfigKey> = new Set(['client-cert-auth', 'peer-client-cert-auth']);
  for (const key of CONFIG_KEYS) cmd.option(switches.has(key) ? `--${key} [value]` : `--${key} <value>`, FLAG_HELP[key]);
  cmd.option('--slo <file>', 'SLO spec (YAML: nines format or OpenSLO v1, see docs/slo.md); default 99.9% availability and 99% < 100ms over 30d');
  cmd.option('--slo-persist-interval <duration>', 'how often the SLO history is saved to the data dir while requests come (and at shutdown)', '30s');
  cmd.action(
    action(async (opts: Record<string, unknown>) => {
      const flags: Partial<Record<ConfigKey, unknown>> = {};
      for (const key of CONFIG_KEYS) {
        const v = opts[camel(key)];
        if (v !== undefined) flags[key] = v;
      }
      const base = typeof opts['config'] === 'string' ? readConfigFile(opts['config']) : EMPTY_RAW_CONFIG;
      const config = validateNodeConfig(withFlags(base, flags));
      let sloSpec: SloSpec | undefined;
      if (typeof opts['slo'] === 'string') {
        const parsed = readSpecFile(opts['slo']);
        for (const w of parsed.warnings) process.stderr.write(`nines: warning: ${w}\n`);
        sloSpec = parsed.spec;
      }
      const sloPersistIntervalMs = persistInterval(String(opts['sloPersistInterval']));
      await runNode(config, sloSpec === undefined ? { sloPersistIntervalMs } : { sloSpec, sloPersistIntervalMs });
      // Everything is closed; if a stray handle would keep the process alive, exit anyway.
      setTimeout(() => process.exit(process.exitCode ?? 0), EXIT_GRACE_MS).unref();
    }),
  );
}

function persistInterval(text: string): number {
  let ms: number;
  try {
    ms = parseDurationMs(text);
  } catch {
    ms = Number.NaN;
  }
  if (!(ms >= 100 && ms <= 3_600_000)) {
    throw new InvalidArgumentError(`--slo-persist-interval must be a duration from 100ms to 1h (e.g. 30s), got "${text}"`);
  }
  return ms;
}
