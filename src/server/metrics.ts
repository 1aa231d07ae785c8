import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import { REQUEST_OUTCOMES, type RequestOutcome } from '../slo/outcome.js';

/** A point-in-time view of the node that gauges read at scrape time. */
export interface MetricsSnapshot {
  term: number;
  role: string;
  isLeader: boolean;
  hasLeader: boolean;
  commitIndex: number;
  appliedIndex: number;
  revision: number;
  proposalsPending: number;
  readsPending: number;
  peers: readonly { name: string; suspicion: number | null }[];
}

const ROLES = ['follower', 'candidate', 'precandidate', 'leader', 'learner'] as const;

/** Latency buckets in seconds: 0.5 ms … 10 s. */
const LATENCY_BUCKETS_S = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/**
 * The node's Prometheus metrics (prom-client), in their own registry. Counters and histograms
 * are updated by the node as things happen; gauges read `snapshot()` when scraped.
 */
export class NodeMetrics {
  readonly registry = new Registry();
  readonly leaderChanges: Counter;
  readonly proposalsCommitted: Counter;
  readonly proposalsFailed: Counter<'reason'>;
  readonly snapshotsTaken: Counter;
  readonly snapshotsInstalled: Counter;
  readonly fsyncSeconds: Histogram;
  readonly applySeconds: Histogram;
  readonly requests: Counter<'method' | 'outcome'>;
  requestSeconds: Histogram<'method'>;
  readonly #loopDelay = monitorEventLoopDelay({ resolution: 10 });

  constructor(snapshot: () => MetricsSnapshot, labels: { name: string; memberId: string }) {
    const registers = [this.registry];
    this.registry.setDefaultLabels({ member: labels.name });
    collectDefaultMetrics({ register: this.registry, prefix: 'nines_process_' });
    this.#loopDelay.enable();
    this.leaderChanges = new Counter({ name: 'nines_raft_leader_changes_total', help: 'Leader changes seen by this member.', registers });
    this.proposalsCommitted = new Counter({
      name: 'nines_proposals_committed_total',
      help: 'Proposals made through this member that were committed and applied.',
      registers,
    });
    this.proposalsFailed = new Counter({
      name: 'nines_proposals_failed_total',
      help: 'Proposals made through this member that failed (no leader, timeout, overload, shutdown).',
      labelNames: ['reason'],
      registers,
    });
    this.snapshotsTaken = new Counter({ name: 'nines_snapshots_taken_total', help: 'Local snapshots taken.', registers });
    this.snapshotsInstalled = new Counter({
      name: 'nines_snapshots_installed_total',
      help: 'Snapshots received from the leader and installed.',
      registers,
    });
    this.fsyncSeconds = new Histogram({
      name: 'nines_disk_fsync_duration_seconds',
      help: 'Time to persist one raft Ready (one LMDB transaction, fsynced).',
      buckets: LATENCY_BUCKETS_S,
      registers,
    });
    this.applySeconds = new Histogram({
      name: 'nines_apply_duration_seconds',
      help: 'Time to apply one batch of committed entries to the key-value store.',
      buckets: LATENCY_BUCKETS_S,
      registers,
    });
    this.requests = new Counter({
      name: 'nines_requests_total',
      help: 'Client requests answered, by method and outcome (good | bad | client_error).',
      labelNames: ['method', 'outcome'],
      registers,
    });
    this.requestSeconds = new Histogram({
      name: 'nines_request_duration_seconds',
      help: 'Client request latency, by method (requests that did not fail on the server side).',
      labelNames: ['method'],
      buckets: LATENCY_BUCKETS_S,
      registers,
    });
    const gauge = (name: string, help: string, read: (s: MetricsSnapshot) => number): void => {
      new Gauge({
        name,
        help,
        registers,
        collect() {
          this.set(read(snapshot()));
        },
      });
    };
    gauge('nines_raft_term', 'Current raft term.', (s) => s.term);
    gauge('nines_raft_is_leader', '1 if this member is the leader.', (s) => (s.isLeader ? 1 : 0));
    gauge('nines_raft_has_leader', '1 if this member knows a leader.', (s) => (s.hasLeader ? 1 : 0));
    gauge('nines_raft_commit_index', 'Highest log index known committed.', (s) => s.commitIndex);
    gauge('nines_raft_applied_index', 'Highest log index applied to the store.', (s) => s.appliedIndex);
    gauge('nines_kv_revision', 'Current store revision.', (s) => s.revision);
    gauge('nines_proposals_pending', 'Proposals waiting to be applied.', (s) => s.proposalsPending);
    gauge('nines_reads_pending', 'Linearizable reads waiting for their read index.', (s) => s.readsPending);
    const loopDelay = this.#loopDelay;
    new Gauge({
      name: 'nines_event_loop_lag_seconds',
      help: 'Event-loop delay (p99 over the last scrape interval).',
      registers,
      collect() {
        this.set(Number.isFinite(loopDelay.percentile(99)) ? loopDelay.percentile(99) / 1e9 : 0);
        loopDelay.reset();
      },
    });
    new Gauge({
      name: 'nines_raft_role',
      help: '1 for the role this member has now, 0 for the others.',
      labelNames: ['role'],
      registers,
      collect() {
        const role = snapshot().role;
        for (const r of ROLES) this.set({ role: r }, r === role ? 1 : 0);
      },
    });
    new Gauge({
      name: 'nines_peer_suspicion',
      help: "This member's failure detector suspicion of each peer (0 trusted; large or +Inf when silent).",
      labelNames: ['peer'],
      registers,
      collect() {
        this.reset();
        for (const p of snapshot().peers) if (p.suspicion !== null) this.set({ peer: p.name }, p.suspicion);
      },
    });
    for (const outcome of REQUEST_OUTCOMES) this.requests.inc({ method: 'kv.put', outcome }, 0);
  }

  /**
   * Record one answered client request (the SLI hook). The duration histogram is observed
   * only for requests that did not fail on the server side (the contract of
   * src/slo/rules.ts: a latency objective's bad events are bad + count − bucket{le}).
   */
  recordRequest(method: string, outcome: RequestOutcome, latencyMs: number): void {
    this.requests.inc({ method, outcome });
    if (outcome !== 'bad') this.requestSeconds.observe({ method }, latencyMs / 1000);
  }

  /**
   * Use these request-duration buckets (seconds; `histogramBucketsSeconds(spec)` puts one at
   * every latency threshold of the SLO spec), merged with the defaults. Call before serving.
   */
  setRequestBucketsSeconds(bucketsSeconds: readonly number[]): void {
    const buckets = [...new Set([...LATENCY_BUCKETS_S, ...bucketsSeconds])].sort((a, b) => a - b);
    this.registry.removeSingleMetric('nines_request_duration_seconds');
    this.requestSeconds = new Histogram({
      name: 'nines_request_duration_seconds',
      help: 'Client request latency, by method (requests that did not fail on the server side).',
      labelNames: ['method'],
      buckets,
      registers: [this.registry],
    });
  }

  /** Event-loop delay p99 so far, in ms (for /livez). */
  eventLoopDelayP99Ms(): number {
    const p = this.#loopDelay.percentile(99);
    return Number.isFinite(p) ? p / 1e6 : 0;
  }

  async text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  stop(): void {
    this.#loopDelay.disable();
  }
}
