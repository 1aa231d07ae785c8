import { join } from 'node:path';

/**
 * The plan of a local etcd cluster and the command line of each member (pure: no I/O), so the
 * flags can be tested without starting etcd. Member i (0-based) uses `basePort + 10·i` for
 * clients and `+1` for peers, like `nines up`.
 */

export const ETCD_PORT_STRIDE = 10;

export interface EtcdMemberPlan {
  readonly name: string;
  /** etcd's --data-dir (created by etcd itself). */
  readonly dataDir: string;
  /** Where the member's stdout and stderr go. */
  readonly logFile: string;
  readonly clientUrl: string;
  readonly peerUrl: string;
}

export interface EtcdClusterPlan {
  readonly token: string;
  readonly members: readonly EtcdMemberPlan[];
}

export interface EtcdPlanOptions {
  /** A directory that holds one data dir and one log file per member. */
  readonly rootDir: string;
  readonly nodes: number;
  readonly basePort: number;
  readonly host: string;
  readonly token: string;
}

export function planEtcdCluster(options: EtcdPlanOptions): EtcdClusterPlan {
  if (!Number.isSafeInteger(options.nodes) || options.nodes < 1) throw new RangeError(`nodes must be a positive integer, got ${options.nodes}`);
  const portMax = options.basePort + ETCD_PORT_STRIDE * (options.nodes - 1) + 1;
  if (options.basePort < 1 || portMax > 65_535) throw new RangeError(`base port ${options.basePort} leaves no room for ${options.nodes} members`);
  const members: EtcdMemberPlan[] = [];
  for (let i = 0; i < options.nodes; i++) {
    const port = options.basePort + ETCD_PORT_STRIDE * i;
    const name = `etcd${i + 1}`;
    members.push({
      name,
      dataDir: join(options.rootDir, name),
      logFile: join(options.rootDir, `${name}.log`),
      clientUrl: `http://${options.host}:${port}`,
      peerUrl: `http://${options.host}:${port + 1}`,
    });
  }
  return { token: options.token, members };
}

/** The `--initial-cluster` value: name=peer-url,… in member order. */
export function initialClusterFlag(plan: EtcdClusterPlan): string {
  return plan.members.map((m) => `${m.name}=${m.peerUrl}`).join(',');
}

/**
 * The arguments of `etcd` for one member of a new cluster. fsync stays on (etcd's default;
 * `--unsafe-no-fsync` is never passed) and every other setting keeps etcd's default.
 */
export function etcdArgs(plan: EtcdClusterPlan, member: EtcdMemberPlan): string[] {
  if (!plan.members.includes(member)) throw new RangeError(`member ${member.name} is not part of the plan`);
  return [
    '--name',
    member.name,
    '--data-dir',
    member.dataDir,
    '--listen-client-urls',
    member.clientUrl,
    '--advertise-client-urls',
    member.clientUrl,
    '--listen-peer-urls',
    member.peerUrl,
    '--initial-advertise-peer-urls',
    member.peerUrl,
    '--initial-cluster',
    initialClusterFlag(plan),
    '--initial-cluster-state',
    'new',
    '--initial-cluster-token',
    plan.token,
  ];
}
