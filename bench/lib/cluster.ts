/** What the benchmark needs from a running local cluster, whichever system it is. */

export interface LeaderEndpoint {
  readonly name: string;
  /** Base URL of the HTTP API the load generator uses (nines' HTTP/JSON API, etcd's JSON gateway). */
  readonly httpUrl: string;
  /** The member's client URL (where the etcd gRPC API is served). */
  readonly clientUrl: string;
}

export interface RunningCluster {
  /** Wait until every member is up and healthy; fails early when a member exits. */
  waitReady(timeoutMs?: number): Promise<void>;
  /** The leader every member agrees on. */
  leader(timeoutMs?: number): Promise<LeaderEndpoint>;
  /** SIGTERM every member, SIGKILL after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
  /** Last resort (process exit): SIGKILL whatever still runs. */
  killSync(): void;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
