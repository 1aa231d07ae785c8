import { ErrorCodes } from '../../core/errors.js';
import { HttpError } from './errors.js';

/**
 * A tiny method+path router. A route's path is exact, or a prefix ending in `/*` whose rest
 * (percent-decoded) is handed to the handler as `rest` — used for `/v1/kv/{key}`, where a
 * key may itself contain slashes.
 */
export interface Route<C> {
  /** Stable method name for metrics and SLIs, e.g. "kv.put". */
  readonly name: string;
  readonly method: string;
  readonly path: string;
  readonly handler: (ctx: C, rest: string) => Promise<void> | void;
}

export interface Match<C> {
  readonly route: Route<C>;
  readonly rest: string;
}

export class Router<C> {
  readonly #routes: Route<C>[] = [];

  add(name: string, method: string, path: string, handler: Route<C>['handler']): this {
    this.#routes.push({ name, method, path, handler });
    return this;
  }

  /**
   * The route for `method` and `pathname`. Throws 404 NOT_FOUND for an unknown path and 405
   * for a known path with another method (listing the allowed ones).
   */
  match(method: string, pathname: string): Match<C> {
    const allowed: string[] = [];
    for (const route of this.#routes) {
      const rest = matchPath(route.path, pathname);
      if (rest === undefined) continue;
      if (route.method === method || (method === 'HEAD' && route.method === 'GET')) return { route, rest };
      allowed.push(route.method);
    }
    if (allowed.length > 0) {
      throw new HttpError(405, ErrorCodes.INVALID_ARGUMENT, `method ${method} is not allowed on ${pathname}; use ${allowed.join(', ')}`);
    }
    throw new HttpError(404, ErrorCodes.NOT_FOUND, `no such route: ${method} ${pathname} (see docs/http-api.md)`);
  }
}

function matchPath(pattern: string, pathname: string): string | undefined {
  if (!pattern.endsWith('/*')) return pattern === pathname ? '' : undefined;
  const prefix = pattern.slice(0, -1);
  if (!pathname.startsWith(prefix) || pathname.length === prefix.length) return undefined;
  const raw = pathname.slice(prefix.length);
  try {
    return decodeURIComponent(raw);
  } catch {
    throw new HttpError(400, ErrorCodes.INVALID_ARGUMENT, `path ${pathname} has a malformed percent-encoding`);
  }
}
