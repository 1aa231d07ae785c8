import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { EMPTY_RAW_CONFIG, readConfigFile, validateNodeConfig, withFlags } from '../../src/server/config.js';
import { clusterIdFor, memberIdFor } from '../../src/server/member-id.js';

const flags = (values: Record<string, unknown>) => validateNodeConfig(withFlags(EMPTY_RAW_CONFIG, values));

describe('validateNodeConfig', () => {
  const dir = mkdtempSync(join(tmpdir(), 'nines-config-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('fills etcd-like defaults for a single member', () => {
    const c = flags({});
    expect(c.name).toBe('default');
    expect(c.dataDir).toBe('default.nines');
    expect(c.listenClientUrls).toEqual(['http://localhost:2379']);
    expect(c.listenPeerUrls).toEqual(['http://localhost:2380']);
    expect(c.listenHttpUrls).toEqual(['http://localhost:2381']);
    expect(c.heartbeatIntervalMs).toBe(100);
    expect(c.electionTimeoutMs).toBe(1000);
    expect(c.detector).toBe('adaptive');
    expect(c.snapshotCount).toBe(10_000);
    expect(c.quotaBackendBytes).toBe(2 * 1024 ** 3);
    expect(c.members).toHaveLength(1);
    expect(c.members[0]!.id).toBe(c.memberId);
  });

  it('derives member ids from name, peer URL and token, and the cluster id from all of them', () => {
    const cluster = 'a=http://127.0.0.1:3001,b=http://127.0.0.1:3002,c=http://127.0.0.1:3003';
    const a = flags({ name: 'a', 'initial-advertise-peer-urls': 'http://127.0.0.1:3001', 'initial-cluster': cluster, 'initial-cluster-token': 't1' });
    const b = flags({ name: 'b', 'initial-advertise-peer-urls': 'http://127.0.0.1:3002', 'initial-cluster': cluster, 'initial-cluster-token': 't1' });
    const other = flags({ name: 'a', 'initial-advertise-peer-urls': 'http://127.0.0.1:3001', 'initial-cluster': cluster, 'initial-cluster-token': 't2' });
    expect(a.clusterId).toBe(b.clusterId);
    expect(a.members.map((m) => m.id)).toEqual(b.members.map((m) => m.id));
    expect(a.memberId).not.toBe(b.memberId);
    expect(other.clusterId).not.toBe(a.clusterId);
    expect(other.memberId).not.toBe(a.memberId);
  });

  it('gives safe, positive, deterministic ids', () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), fc.string(), (name, url, token) => {
        const id = memberIdFor(name, url, token);
        expect(Number.isSafeInteger(id) && id > 0).toBe(true);
        expect(memberIdFor(name, url, token)).toBe(id);
        expect(clusterIdFor(token, [id])).toBe(clusterIdFor(token, [id]));
      }),
    );
  });

  it.each([
    [{ 'heartbeat-interval': 'fast' }, /--heartbeat-interval must be an integer/],
    [{ 'election-timeout': '300' }, /--election-timeout \(300 ms\) must be at least 5 times --heartbeat-interval \(100 ms\)/],
    [{ 'election-timeout': '60000' }, /--election-timeout must be an integer from 1 to 50000/],
    [{ detector: 'psychic' }, /--detector must be one of fixed, adaptive/],
    [{ 'initial-cluster-state': 'maybe' }, /--initial-cluster-state must be "new" or "existing"/],
    [{ 'listen-client-urls': 'localhost:2379' }, /--listen-client-urls has "localhost:2379"/],
    [{ 'listen-peer-urls': 'https://127.0.0.1:2380' }, /--listen-peer-urls .*only http:\/\//],
    [{ 'listen-peer-urls': 'http://127.0.0.1' }, /--listen-peer-urls .*explicit port/],
    [{ name: 'bad name!' }, /--name must be 1-63 characters/],
    [{ 'initial-cluster': 'other=http://127.0.0.1:9' }, /--initial-cluster must include this member "default"/],
    [{ 'initial-cluster': 'default=http://127.0.0.1:9' }, /--initial-cluster gives default=http:\/\/127.0.0.1:9 but --initial-advertise-peer-urls/],
    [{ 'initial-cluster': 'default=http://localhost:2380,default=http://localhost:2390' }, /names member "default" twice/],
    [{ 'initial-cluster': 'default' }, /--initial-cluster has "default"; expected name=/],
    [{ 'initial-cluster-http': 'ghost=http://127.0.0.1:1' }, /--initial-cluster-http names "ghost"/],
    [{ 'snapshot-count': '0' }, /--snapshot-count must be an integer from 1/],
    [{ 'initial-cluster-token': '' }, /--initial-cluster-token must not be empty/],
  ])('refuses %j naming the flag', (values, message) => {
    expect(() => flags(values)).toThrow(message);
  });

  it('reads an etcd-style YAML config file; flags override it; errors name the file key', () => {
    const file = join(dir, 'nines.yaml');
    writeFileSync(
      file,
      [
        'name: infra1',
        'data-dir: /tmp/infra1',
        'listen-peer-urls: http://127.0.0.1:12380',
        'initial-cluster: infra1=http://127.0.0.1:12380,infra2=http://127.0.0.1:22380',
        'heartbeat-interval: 50',
        'election-timeout: 500',
        'quota-backend-bytes: 8589934592',
        'max-wals: 5',
        '',
      ].join('\n'),
    );
    const raw = readConfigFile(file);
    expect(raw.warnings.join()).toContain('max-wals');
    expect(raw.warnings.join()).not.toContain('quota-backend-bytes');
    const c = validateNodeConfig(withFlags(raw, { 'election-timeout': '750' }));
    expect(c.name).toBe('infra1');
    expect(c.quotaBackendBytes).toBe(8589934592);
    expect(c.dataDir).toBe('/tmp/infra1');
    expect(c.heartbeatIntervalMs).toBe(50);
    expect(c.electionTimeoutMs).toBe(750);
    expect(c.members.map((m) => m.name)).toEqual(['infra1', 'infra2']);

    writeFileSync(file, 'name: x\nheartbeat-interval: -5\n');
    expect(() => validateNodeConfig(readConfigFile(file))).toThrow(/config key "heartbeat-interval" \(in .*nines.yaml\) must be an integer/);
    writeFileSync(file, 'name: x\nheartbeat-intervall: 5\n');
    expect(() => readConfigFile(file)).toThrow(/unknown key "heartbeat-intervall"/);
    writeFileSync(file, 'name: [unclosed\n');
    expect(() => readConfigFile(file)).toThrow(/not valid YAML/);
    expect(() => readConfigFile(join(dir, 'missing.yaml'))).toThrow(/--config: cannot read/);
  });
});
