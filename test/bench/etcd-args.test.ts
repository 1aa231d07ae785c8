import { describe, expect, it } from 'vitest';
import { ETCD_PORT_STRIDE, etcdArgs, initialClusterFlag, planEtcdCluster } from '../../bench/lib/etcd-args.js';

const plan = planEtcdCluster({ rootDir: '/tmp/bench-x', nodes: 3, basePort: 32_000, host: '127.0.0.1', token: 'tok-1' });

/** Flag → value pairs of an argument list (every etcd flag used takes one value). */
function flagMap(args: readonly string[]): Map<string, string> {
  expect(args.length % 2).toBe(0);
  const map = new Map<string, string>();
  for (let i = 0; i < args.length; i += 2) {
    expect(args[i]!.startsWith('--')).toBe(true);
    expect(map.has(args[i]!)).toBe(false);
    map.set(args[i]!, args[i + 1]!);
  }
  return map;
}

describe('planEtcdCluster', () => {
  it('gives each member its own name, data dir, log file and client/peer ports', () => {
    expect(plan.members.map((m) => m.name)).toEqual(['etcd1', 'etcd2', 'etcd3']);
    expect(plan.members.map((m) => m.clientUrl)).toEqual(['http://127.0.0.1:32000', 'http://127.0.0.1:32010', 'http://127.0.0.1:32020']);
    expect(plan.members.map((m) => m.peerUrl)).toEqual(['http://127.0.0.1:32001', 'http://127.0.0.1:32011', 'http://127.0.0.1:32021']);
    expect(new Set(plan.members.map((m) => m.dataDir)).size).toBe(3);
    for (const m of plan.members) {
      expect(m.dataDir.startsWith('/tmp/bench-x/')).toBe(true);
      expect(m.logFile.startsWith('/tmp/bench-x/')).toBe(true);
      expect(m.logFile).not.toBe(m.dataDir);
    }
    expect(ETCD_PORT_STRIDE).toBeGreaterThanOrEqual(2);
  });

  it('rejects a base port that leaves no room and a non-positive size', () => {
    expect(() => planEtcdCluster({ rootDir: '/t', nodes: 3, basePort: 65_530, host: '127.0.0.1', token: 't' })).toThrow(RangeError);
    expect(() => planEtcdCluster({ rootDir: '/t', nodes: 0, basePort: 2379, host: '127.0.0.1', token: 't' })).toThrow(RangeError);
  });
});

describe('etcdArgs', () => {
  it('passes the etcd flags of a new cluster for each member, with the shared initial cluster and token', () => {
    const cluster = initialClusterFlag(plan);
    expect(cluster).toBe('etcd1=http://127.0.0.1:32001,etcd2=http://127.0.0.1:32011,etcd3=http://127.0.0.1:32021');
    for (const member of plan.members) {
      const flags = flagMap(etcdArgs(plan, member));
      expect(Object.fromEntries(flags)).toEqual({
        '--name': member.name,
        '--data-dir': member.dataDir,
        '--listen-client-urls': member.clientUrl,
        '--advertise-client-urls': member.clientUrl,
        '--listen-peer-urls': member.peerUrl,
        '--initial-advertise-peer-urls': member.peerUrl,
        '--initial-cluster': cluster,
        '--initial-cluster-state': 'new',
        '--initial-cluster-token': 'tok-1',
      });
      // fsync stays on: the unsafe flag must never appear.
      expect(etcdArgs(plan, member).some((a) => a.includes('unsafe'))).toBe(false);
    }
  });

  it('refuses a member that is not part of the plan', () => {
    const other = planEtcdCluster({ rootDir: '/other', nodes: 1, basePort: 40_000, host: '127.0.0.1', token: 't' });
    expect(() => etcdArgs(plan, other.members[0]!)).toThrow(RangeError);
  });
});
