import { readFileSync } from 'node:fs';
import * as grpc from '@grpc/grpc-js';
import { InvalidArgumentError } from '../../core/errors.js';

/** etcd's client TLS flags (`--cert-file`, `--key-file`, `--trusted-ca-file`, `--client-cert-auth`). */
export interface EtcdTlsOptions {
  readonly certFile: string;
  readonly keyFile: string;
  /** CA bundle clients' certificates are verified against. */
  readonly trustedCaFile?: string;
  /** Require and verify a client certificate (needs `trustedCaFile`). */
  readonly clientCertAuth?: boolean;
}

function read(flag: string, path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new InvalidArgumentError(`${flag} ${path}: cannot read the file (${(err as Error).message})`, { cause: err });
  }
}

/** Server credentials from files; insecure when `tls` is undefined. Errors name the flag. */
export function serverCredentials(tls: EtcdTlsOptions | undefined): grpc.ServerCredentials {
  if (tls === undefined) return grpc.ServerCredentials.createInsecure();
  if (tls.clientCertAuth === true && tls.trustedCaFile === undefined) {
    throw new InvalidArgumentError('--client-cert-auth needs --trusted-ca-file: the CA that signs client certificates');
  }
  const cert = read('--cert-file', tls.certFile);
  const key = read('--key-file', tls.keyFile);
  const ca = tls.trustedCaFile === undefined ? null : read('--trusted-ca-file', tls.trustedCaFile);
  try {
    return grpc.ServerCredentials.createSsl(ca, [{ cert_chain: cert, private_key: key }], tls.clientCertAuth === true);
  } catch (err) {
    throw new InvalidArgumentError(`--cert-file/--key-file: not a usable PEM certificate and key (${(err as Error).message})`, { cause: err });
  }
}
