import { InvalidArgumentError } from '../core/errors.js';
import { exponential, normal, type Random, SeededRandom } from '../core/random.js';
import type { StallInterval } from './stall.js';
import { type Trace, type TraceEpoch, validateTrace } from './trace.js';

/**
 * Seeded heartbeat-trace families. Each trace is a sequence of epochs (incarnations of the
 * sender); every epoch ends with a crash at a known, random time followed by `downMs` of
 * silence. The sender heartbeats every `intervalMs` (100 ms); what differs is the network and
 * the processes. Same seed → same trace.
 */
export const traceFamilyNames = ['lan', 'lognormal', 'pareto', 'bursty-loss', 'gc-pauses', 'monitor-stalls', 'regime-change'] as const;
export type TraceFamilyName = (typeof traceFamilyNames)[number];

export const traceFamilyDescriptions: Record<TraceFamilyName, string> = {
  lan: 'LAN: 100 ms heartbeats, ~1 ms jitter, 0.05% loss',
  lognormal: 'heavy-tailed delays: lognormal, median 20 ms, σ_ln 0.6',
  pareto: 'heavy-tailed delays: Pareto, minimum 5 ms, shape 1.5',
  'bursty-loss': 'bursty loss: Gilbert–Elliott (good 0.1%, bad 60% loss, mean burst 4 heartbeats)',
  'gc-pauses': 'sender stop-the-world pauses of 50 ms–2 s (log-uniform) every ~30 s',
  'monitor-stalls': 'monitor event-loop stalls of 1, 5 and 10 s every ~60 s (heartbeats queue until the stall ends)',
  'regime-change': 'network 5× slower from the middle of each epoch (lognormal, median 10 ms → 50 ms)',
};

export interface TraceOptions {
  seed: number;
  /** Epochs (crashes). Default 4. */
  epochs?: number;
  /** Up time of an epoch before its crash, at most (the crash is at 75–100% of it). Default 5 min. */
  epochUpMs?: number;
  /** Silence after each crash before the next epoch. Default 30 s. */
  downMs?: number;
}

/** Upper bound on heartbeats generated per epoch (a bounded loop). */
const EPOCH_HEARTBEATS_MAX = 1_000_000;
const INTERVAL_MS = 100;

interface EpochPlan {
  readonly startMs: number;
  readonly crashMs: number;
  readonly endMs: number;
}

/** What a family decides: how long each message takes (null: lost) and where the processes pause. */
interface FamilyModel {
  /** Network delay of the heartbeat sent at `sendMs`, or null if it is lost. */
  delayMs(random: Random, sendMs: number, plan: EpochPlan): number | null;
  /** Sender stop-the-world pauses inside the epoch, sorted. */
  senderPauses(random: Random, plan: EpochPlan): StallInterval[];
  /** Monitor stalls inside the epoch, sorted. */
  monitorStalls(random: Random, plan: EpochPlan): StallInterval[];
}

function lanDelayMs(random: Random): number {
  return 0.3 + Math.abs(normal(random, 0, 0.7)) + exponential(random, 0.3);
}

function lognormalMs(random: Random, medianMs: number, sigmaLn: number): number {
  return medianMs * Math.exp(normal(random, 0, sigmaLn));
}

/** Intervals of random length drawn by `durationMs`, separated by exponential gaps with `meanGapMs`, inside [fromMs, toMs]. */
function poissonIntervals(
  random: Random,
  fromMs: number,
  toMs: number,
  meanGapMs: number,
  durationMs: (k: number) => number,
): StallInterval[] {
  const out: StallInterval[] = [];
  let t = fromMs + exponential(random, meanGapMs);
  for (let k = 0; t < toMs && k < EPOCH_HEARTBEATS_MAX; k++) {
    const d = durationMs(k);
    if (t + d >= toMs) break;
    out.push({ startMs: t, endMs: t + d });
    t += d + exponential(random, meanGapMs);
  }
  return out;
}

const none = (): StallInterval[] => [];

function gilbertElliott(): FamilyModel {
  let bad = false;
  return {
    delayMs(random) {
      // Transition first, then lose with the state's probability.
      bad = bad ? random.float() >= 0.25 : random.float() < 0.002;
      const lossProbability = bad ? 0.6 : 0.001;
      if (random.float() < lossProbability) return null;
      return 1 + lanDelayMs(random);
    },
    senderPauses: none,
    monitorStalls: none,
  };
}

function model(family: TraceFamilyName): FamilyModel {
  switch (family) {
    case 'lan':
      return { delayMs: (r) => (r.float() < 0.0005 ? null : lanDelayMs(r)), senderPauses: none, monitorStalls: none };
    case 'lognormal':
      return { delayMs: (r) => lognormalMs(r, 20, 0.6), senderPauses: none, monitorStalls: none };
    case 'pareto':
      return { delayMs: (r) => Math.min(20_000, 5 * (1 - r.float()) ** (-1 / 1.5)), senderPauses: none, monitorStalls: none };
    case 'bursty-loss':
      return gilbertElliott();
    case 'gc-pauses':
      return {
        delayMs: (r) => lanDelayMs(r),
        // 50 ms–2 s, log-uniform; none in the last 5 s before the crash, so T_D measures detection, not the pause.
        senderPauses: (r, p) => poissonIntervals(r, p.startMs, p.crashMs - 5000, 30_000, () => 50 * 40 ** r.float()),
        monitorStalls: none,
      };
    case 'monitor-stalls':
      return {
        delayMs: (r) => lanDelayMs(r),
        senderPauses: none,
        // 1, 5, 10 s in turn; none in the last 15 s before the crash (the crash happens in normal operation).
        monitorStalls: (r, p) => poissonIntervals(r, p.startMs + 20_000, p.crashMs - 15_000, 60_000, (k) => [1000, 5000, 10_000][k % 3]!),
      };
    case 'regime-change':
      return {
        delayMs: (r, sendMs, p) => lognormalMs(r, 10, 0.4) * (sendMs >= (p.startMs + p.crashMs) / 2 ? 5 : 1),
        senderPauses: none,
        monitorStalls: none,
      };
  }
}

/** Heartbeat send times: every interval, except that a paused sender sends once when the pause ends and continues from there. */
function sendTimes(random: Random, plan: EpochPlan, pauses: readonly StallInterval[]): number[] {
  const out: number[] = [];
  let t = plan.startMs + random.float() * INTERVAL_MS;
  let p = 0;
  for (let k = 0; t < plan.crashMs && k < EPOCH_HEARTBEATS_MAX; k++) {
    while (p < pauses.length && pauses[p]!.endMs <= t) p++;
    const pause = pauses[p];
    if (pause !== undefined && t >= pause.startMs) t = pause.endMs;
    if (t >= plan.crashMs) break;
    out.push(t);
    t += INTERVAL_MS;
  }
  return out;
}

/** Arrivals during a monitor stall are only seen when it ends. */
function deliverAfterStalls(arrivalMs: number, stalls: readonly StallInterval[]): number {
  for (const s of stalls) {
    if (arrivalMs >= s.startMs && arrivalMs < s.endMs) return s.endMs;
  }
  return arrivalMs;
}

/** A seeded trace of one family. */
export function generateTrace(family: TraceFamilyName, options: TraceOptions): Trace {
  if (!traceFamilyNames.includes(family)) {
    throw new InvalidArgumentError(`unknown trace family "${family}": choose one of ${traceFamilyNames.join(', ')}`);
  }
  const epochCount = options.epochs ?? 4;
  const epochUpMs = options.epochUpMs ?? 300_000;
  const downMs = options.downMs ?? 30_000;
  if (!Number.isSafeInteger(epochCount) || epochCount < 1 || epochCount > 10_000) {
    throw new InvalidArgumentError(`epochs must be an integer from 1 to 10000, got ${epochCount}`);
  }
  if (!(Number.isFinite(epochUpMs) && epochUpMs >= 60_000)) throw new InvalidArgumentError(`epochUpMs must be >= 60000, got ${epochUpMs}`);
  if (!(Number.isFinite(downMs) && downMs >= 1000)) throw new InvalidArgumentError(`downMs must be >= 1000, got ${downMs}`);
  const random = new SeededRandom(options.seed);
  const m = model(family);
  const arrivals: number[] = [];
  const epochs: TraceEpoch[] = [];
  const stalls: StallInterval[] = [];
  let startMs = 0;
  for (let e = 0; e < epochCount; e++) {
    const crashMs = startMs + epochUpMs * (0.75 + 0.25 * random.float());
    const plan: EpochPlan = { startMs, crashMs, endMs: crashMs + downMs };
    const pauses = m.senderPauses(random, plan);
    const epochStalls = m.monitorStalls(random, plan);
    const epochArrivals: number[] = [];
    for (const sendMs of sendTimes(random, plan, pauses)) {
      const delayMs = m.delayMs(random, sendMs, plan);
      if (delayMs === null) continue;
      const arrivalMs = deliverAfterStalls(sendMs + delayMs, epochStalls);
      if (arrivalMs < plan.endMs) epochArrivals.push(arrivalMs);
    }
    epochArrivals.sort((a, b) => a - b);
    arrivals.push(...epochArrivals);
    stalls.push(...epochStalls);
    epochs.push(plan);
    startMs = plan.endMs;
  }
  return validateTrace({ name: family, intervalMs: INTERVAL_MS, arrivalsMs: Float64Array.from(arrivals), epochs, stalls });
}

/** The seed of a family in a bench run: independent of which other families run. */
export function familySeed(seed: number, family: TraceFamilyName): number {
  return seed * 16 + traceFamilyNames.indexOf(family);
}
