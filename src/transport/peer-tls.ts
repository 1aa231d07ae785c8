import { readFileSync } from 'node:fs';
import { checkServerIdentity, type PeerCertificate } from 'node:tls';
import { InvalidArgumentError } from '../core/errors.js';

/** etcd's peer TLS flags: --peer-cert-file, --peer-key-file, --peer-trusted-ca-file, --peer-client-cert-auth. */
export interface PeerTlsOptions {
  /** PEM certificate this member presents, both as listener and as dialer. */
  readonly certFile: string;
  readonly keyFile: string;
  /** CA bundle peers' certificates are verified against (default: the system CAs). */
  readonly trustedCaFile?: string;
  /** Require and verify a certificate from every dialing peer (mutual TLS). */
  readonly clientCertAuth: boolean;
}

/** The loaded PEM material, ready for `tls.createServer` / `tls.connect`. */
export interface PeerTlsMaterial {
  readonly cert: Buffer;
  readonly key: Buffer;
  readonly ca?: Buffer;
  readonly clientCertAuth: boolean;
}

function read(flag: string, path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new InvalidArgumentError(`${flag} ${path}: cannot read the file (${(err as Error).message})`, { cause: err });
  }
}

/** Read the files named by the options; errors name the flag and the path. */
export function loadPeerTls(options: PeerTlsOptions): PeerTlsMaterial {
  if (options.clientCertAuth && options.trustedCaFile === undefined) {
    throw new InvalidArgumentError('--peer-client-cert-auth needs --peer-trusted-ca-file: the CA that signs peer certificates');
  }
  const cert = read('--peer-cert-file', options.certFile);
  const key = read('--peer-key-file', options.keyFile);
  const base = { cert, key, clientCertAuth: options.clientCertAuth };
  return options.trustedCaFile === undefined ? base : { ...base, ca: read('--peer-trusted-ca-file', options.trustedCaFile) };
}

/**
 * Server-identity check for a dialed peer: the certificate must name `host` — an IP SAN when the
 * peer URL has an IP address (the usual case for peer URLs), else a DNS SAN. Returns an Error
 * when it does not, as `tls.connect`'s `checkServerIdentity` expects.
 */
export function peerServerIdentity(host: string, cert: PeerCertificate): Error | undefined {
  return checkServerIdentity(host, cert);
}
