import { checkHistory } from '../check/checker.js';
import { exponential } from '../core/random.js';
import { SimLimits } from './limits.js';
import { Nemesis, type NemesisStats } from './nemesis.js';
import type { NetworkStats } from './network.js';
import { drawParams, type SimOptions, type SimParams } from './params.js';
import type { Violation } from './safety.js';
import { formatTraceItem } from './trace-format.js';
import { ProbeScript, RandomWorkload, ValueCounter } from './workload.js';
import { World } from './world.js';

/** Options of one swarm run beyond the seed's draws. */
export interface RunOptions extends SimOptions {
  /** Keep the formatted event trace even when the run passes (`--trace`). */
  readonly keepTrace?: boolean;
  /** Events kept in the trace ring (default `SimLimits.traceEventsMax`). */
  readonly traceEvents?: number;
  /** Replace drawn parameters (experiments and focused tests; printed like drawn ones). */
  readonly overrides?: Partial<SimParams>;
  /** Search steps for the linearizability check (deterministic budget). */
  readonly checkStepsMax?: number;
}

/** What one run did and found. */
export interface SimResult {
  readonly seed: number;
  readonly params: SimParams;
  readonly ok: boolean;
  readonly violations: readonly Violation[];
  readonly stats: {
    readonly virtualMs: number;
    readonly events: number;
    readonly ops: { readonly invoked: number; readonly ok: number; readonly fail: number; readonly info: number };
    readonly leaderTerms: number;
    readonly faults: NemesisStats;
    readonly network: NetworkStats;
    /** Unsynced Ready writes thrown away by crashes. */
    readonly lostUnsyncedWrites: number;
    /** Highest log index applied anywhere. */
    readonly commitIndex: number;
    /** From healing until the final write was acknowledged, or null when it never was. */
    readonly livenessMs: number | null;
    readonly linearizable: boolean | 'unknown' | 'skipped';
  };
  /** The last events, oldest first: present when the run failed or `keepTrace` was set. */
  readonly trace: readonly string[];
}

const CHECK_STEPS_MAX_DEFAULT = 20_000_000;
/** Between retries of the liveness probe (virtual ms). */
const PROBE_BACKOFF_MS = 50;

/**
 * One VOPR-style run: draw every parameter from the seed, run the safety phase (workload plus
 * faults) for `safetyDurationMs`, then the liveness phase — heal the network, stop packet
 * loss, restart and resume every node — in which a final write must be acknowledged and every
 * node must apply up to it within `livenessBoundMs`. Then check the final states agree, no
 * acknowledged write was lost, and the client history is linearizable. Every loop is bounded
 * (events per run, virtual time, search steps).
 */
export function runSim(options: RunOptions): SimResult {
  const params = { ...drawParams(options), ...options.overrides };
  const world = new World(params, options.traceEvents ?? SimLimits.traceEventsMax);
  const values = new ValueCounter();
  const safetyEndMs = params.safetyDurationMs;
  const workRandom = world.random.fork();
  for (let c = 0; c < params.clients; c++) {
    const source = new RandomWorkload(params, workRandom.fork(), values, () => world.nowMs < safetyEndMs);
    world.addClient(source, params.clientTimeoutMs, () => exponential(workRandom, params.thinkTimeMeanMs));
    world.startClient(c, workRandom.float() * params.thinkTimeMeanMs);
  }
  const probe = new ProbeScript(params.keys, values);
  world.addClient(probe, params.clientTimeoutMs, () => PROBE_BACKOFF_MS);
  const nemesis = new Nemesis(world, params.faults, world.random.fork(), safetyEndMs);
  world.startAll();
  nemesis.begin();
  world.runUntilTime(safetyEndMs);

  let livenessMs: number | null = null;
  if (!world.stopped) {
    world.note('phase', 'liveness: heal, no loss, every node up');
    world.heal();
    world.network.setLossRate(0);
    for (const n of world.nodes) {
      if (!n.up) world.restart(n.id);
      else if (n.paused) world.resume(n.id);
    }
    const healedMs = world.nowMs;
    probe.begin();
    world.startClient(params.clients);
    const deadlineMs = healedMs + params.livenessBoundMs;
    let ackedMs: number | null = null;
    const converged = (): boolean => {
      if (!probe.finished) return false;
      ackedMs ??= world.nowMs;
      // Converged: every node up and at the same applied index, at or past the final write.
      const applied = world.nodes[0]!.kv.appliedIndex;
      return world.nodes.every((n) => n.up && n.kv.appliedIndex === applied && applied >= probe.finalIndex);
    };
    const done = world.runUntil(converged, deadlineMs);
    if (ackedMs !== null) livenessMs = ackedMs - healedMs;
    if (!done && !world.stopped) {
      const leader = world.leader();
      const why =
        leader === undefined
          ? 'no leader'
          : !probe.finished
            ? `leader ${leader.id} (term ${leader.term}) but the final write/reads did not complete`
            : `nodes did not converge at or past ${probe.finalIndex}: ${world.nodes.map((n) => `${n.id}@${n.kv.appliedIndex}`).join(' ')}`;
      world.checker.report('liveness', world.nowMs, `${params.livenessBoundMs}ms after healing: ${why}`);
    }
  }

  let linearizable: SimResult['stats']['linearizable'] = 'skipped';
  if (world.checker.ok) finalChecks(world);
  if (world.checker.ok) {
    const verdict = checkHistory(world.history.toOperations().ops, {
      model: 'cas-register',
      stepsMax: options.checkStepsMax ?? CHECK_STEPS_MAX_DEFAULT,
    });
    linearizable = verdict.valid;
    if (verdict.valid === false) {
      const f = verdict.failure;
      const blocked = f?.blockedBy;
      world.checker.report(
        'linearizability',
        world.nowMs,
        `key ${f?.key ?? '?'} is not linearizable` +
          (blocked ? `: cannot place ${blocked.f} ${JSON.stringify(blocked.value)} by process ${blocked.process} ` +
            `[${blocked.invokeMs.toFixed(3)}ms..${blocked.completeMs?.toFixed(3) ?? '?'}ms]` +
            (blocked.output !== undefined ? ` returning ${JSON.stringify(blocked.output)}` : '') : '') +
          (f ? ` after ${f.prefixLength} ops (state ${JSON.stringify(f.stateAfterPrefix)})` : ''),
      );
    }
  }

  const ok = world.checker.ok;
  const network = { ...world.network.stats };
  return {
    seed: params.seed,
    params,
    ok,
    violations: [...world.checker.violations],
    stats: {
      virtualMs: round3(world.nowMs),
      events: world.stats.events,
      ops: world.history.counts(),
      leaderTerms: world.checker.leaderTerms,
      faults: { ...nemesis.stats },
      network,
      lostUnsyncedWrites: world.nodes.reduce((s, n) => s + n.lostWrites, 0),
      commitIndex: world.checker.committedMax,
      livenessMs: livenessMs === null ? null : round3(livenessMs),
      linearizable,
    },
    trace: !ok || options.keepTrace ? world.trace.items().map(formatTraceItem) : [],
  };
}

/** After convergence (same applied index everywhere): the states agree and hold every acknowledged write. */
function finalChecks(world: World): void {
  const digests = world.nodes.map((n) => n.kv.digest());
  const first = digests[0];
  for (let i = 1; i < digests.length; i++) {
    if (digests[i] !== first) {
      world.checker.report(
        'divergent-state',
        world.nowMs,
        `node ${world.nodes[i]!.id} state {${digests[i]}} differs from node ${world.nodes[0]!.id} {${first}}`,
      );
      return;
    }
  }
  for (const a of world.acknowledged) {
    const at = world.checker.commandAt(a.index);
    if (at !== a.id) {
      world.checker.report(
        'lost-write',
        world.nowMs,
        `request ${a.id} was acknowledged at index ${a.index}, but the log holds ${at === undefined ? 'no command' : `request ${at}`} there`,
      );
      return;
    }
  }
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}
