import { InvalidArgumentError } from '../core/errors.js';

/** Host and port of a peer URL: `http://h:p`, `https://h:p`, `tcp://h:p` or bare `h:p`. */
export function parsePeerUrl(url: string): { host: string; port: number } {
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(url) ? url : `tcp://${url}`;
  let parsed: URL;
  try {
    parsed = new URL(withScheme);
  } catch {
    throw new InvalidArgumentError(`peer URL "${url}" is not a URL: use e.g. http://127.0.0.1:2380`);
  }
  const port = Number(parsed.port);
  if (parsed.hostname === '' || !Number.isInteger(port) || port <= 0 || port > 65535) {
    throw new InvalidArgumentError(`peer URL "${url}" needs a host and a port, e.g. http://127.0.0.1:2380`);
  }
  const host = parsed.hostname.startsWith('[') ? parsed.hostname.slice(1, -1) : parsed.hostname;
  return { host, port };
}
