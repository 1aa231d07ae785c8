import type { Command } from 'commander';
import { CONFIG_KEYS, type ConfigKey, EMPTY_RAW_CONFIG, readConfigFile, validateNodeConfig, withFlags } from '../server/config.js';
import { runNode } from '../server/run.js';
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
  'log-level': 'log level: fatal | error | warn | info | debug | trace | silent (default info)',
};

function camel(key: string): string {
  return key.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}

export function registerStart(program: Command): void {
  const cmd = program
    .command('start')
    .description('Run one nines member (etcd-style flags; see docs/operations.md). Stops cleanly on SIGTERM/SIGINT.')
    .option('--config <file>', 'YAML config file with the same keys as the flags (etcd config-file format); flags override it');
  for (const key of CONFIG_KEYS) cmd.option(`--${key} <value>`, FLAG_HELP[key]);
  cmd.action(
    action(async (opts: Record<string, unknown>) => {
      const flags: Partial<Record<ConfigKey, unknown>> = {};
      for (const key of CONFIG_KEYS) {
        const v = opts[camel(key)];
        if (v !== undefined) flags[key] = v;
      }
      const base = typeof opts['config'] === 'string' ? readConfigFile(opts['config']) : EMPTY_RAW_CONFIG;
      const config = validateNodeConfig(withFlags(base, flags));
      await runNode(config);
      // Everything is closed; if a stray handle would keep the process alive, exit anyway.
      setTimeout(() => process.exit(process.exitCode ?? 0), EXIT_GRACE_MS).unref();
    }),
  );
}
