/**
 * Named limits and defaults of the put benchmark (bench/cluster-put.ts). Every request loop
 * is bounded by a count and a time; every wait has a deadline.
 */
export const BenchLimits = {
  /** Members per cluster (issue 4: a 3-node loopback cluster). */
  clusterSize: 3,
  /** Requests a single load phase may issue, whatever its duration. */
  requestsPerPhaseMax: 2_000_000,
  /** In-flight requests a phase may use. */
  inflightMax: 1_024,
  /** One request's timeout; a phase therefore ends at most this long after its deadline. */
  requestTimeoutMs: 10_000,
  /** Response bodies larger than this are an error (a put answer is a few hundred bytes). */
  responseBytesMax: 64 * 1024,
  /** How long a cluster gets to elect a leader and answer health checks. */
  readyTimeoutMs: 60_000,
  /** Poll period while waiting for readiness or a leader. */
  readyPollMs: 100,
  /** How long members get to exit after SIGTERM before SIGKILL. */
  stopGraceMs: 10_000,
  /** Value sizes accepted by --value-size (etcd's request limit is 1.5 MiB). */
  valueBytesMax: 1024 * 1024,
  /** Keys accepted by --keys. */
  keysMax: 1_000_000,
  /** Rounds accepted by --rounds. */
  roundsMax: 20,
  /** Port candidates tried when looking for a free block. */
  portProbeAttemptsMax: 50,
} as const;

export const BenchDefaults = {
  /** Bytes of every value written (same for both systems). */
  valueBytes: 256,
  /** Distinct keys written round-robin (same key space for both systems). */
  keys: 1_000,
  /** Duration of every measured phase; `--quick` uses quickPhaseMs. */
  phaseMs: 5_000,
  quickPhaseMs: 2_000,
  /** Warm-up before measuring (connections, JIT, first allocations). */
  warmupMs: 1_000,
  quickWarmupMs: 500,
  /** In-flight counts of the throughput rows (1 is the sequential row). */
  inflight: [1, 16, 64, 256] as readonly number[],
  /** First ports tried for the nines and etcd clusters. */
  ninesBasePort: 31_000,
  etcdBasePort: 32_000,
} as const;
