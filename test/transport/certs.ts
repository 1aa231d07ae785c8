import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const HAS_OPENSSL = spawnSync('openssl', ['version']).status === 0;

export interface PeerCerts {
  readonly dir: string;
  /** The cluster's CA. */
  readonly caFile: string;
  /** A peer certificate for IP 127.0.0.1 (serverAuth and clientAuth), signed by `caFile`. */
  readonly certFile: string;
  readonly keyFile: string;
  /** Another CA, and a peer certificate for 127.0.0.1 it signed (not trusted by `caFile`). */
  readonly otherCaFile: string;
  readonly otherCertFile: string;
  readonly otherKeyFile: string;
  remove(): void;
}

/** Throwaway peer certificates made with openssl (EC P-256, valid one day) in a temp dir. */
export function makePeerCerts(): PeerCerts {
  const dir = mkdtempSync(join(tmpdir(), 'nines-peer-tls-'));
  const ssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe', timeout: 20_000 });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  writeFileSync(join(dir, 'peer.ext'), 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth,clientAuth\n');
  for (const [ca, leaf] of [
    ['ca', 'peer'],
    ['other-ca', 'other'],
  ] as const) {
    ssl('req', '-x509', ...ec, '-keyout', `${ca}.key`, '-out', `${ca}.crt`, '-days', '1', '-subj', `/CN=nines-${ca}`);
    ssl('req', ...ec, '-keyout', `${leaf}.key`, '-out', `${leaf}.csr`, '-subj', `/CN=nines-${leaf}`);
    ssl('x509', '-req', '-in', `${leaf}.csr`, '-CA', `${ca}.crt`, '-CAkey', `${ca}.key`, '-CAcreateserial', '-out', `${leaf}.crt`, '-days', '1', '-extfile', 'peer.ext');
  }
  return {
    dir,
    caFile: join(dir, 'ca.crt'),
    certFile: join(dir, 'peer.crt'),
    keyFile: join(dir, 'peer.key'),
    otherCaFile: join(dir, 'other-ca.crt'),
    otherCertFile: join(dir, 'other.crt'),
    otherKeyFile: join(dir, 'other.key'),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
