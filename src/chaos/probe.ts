import { type Clock, SystemClock } from '../core/clock.js';
import { assert, InvalidArgumentError } from '../core/errors.js';
import type { ProbeCycleView } from '../slo/probe-report.js';
import { ProbeLimits } from '../slo/probe-limits.js';
import { failoverOrder, failsOver, type ProbeRead, ProbeSession, type ProbeStep } from '../slo/probe-session.js';
import { type ProbeAttempt, ProbeStats, type ProbeSummary } from '../slo/probe-stats.js';

export interface ProbeOptions {
  /** HTTP API base URLs (`http://host:port`), tried in order, failing over on errors. */
  readonly endpoints: readonly string[];
  /** The prober's id: its keys are `nines-probe/<id>/…`. */
  readonly id: string;
  /** Time between the starts of two cycles (a cycle = one write + one read). */
  readonly intervalMs: number;
  /** The run stops starting cycles after this long. */
  readonly durationMs: number;
  /** Budget of one attempt, across all the endpoints it tries. */
  readonly timeoutMs: number;
  /** Called after every cycle (for the live output). */
  readonly onCycle?: (cycle: ProbeCycleView) => void;
  /** Stops the run early (e.g. on Ctrl-C); the summary covers what ran. */
  readonly signal?: AbortSignal;
  /** Delete the prober's keys at the end (default true). */
  readonly cleanup?: boolean;
  readonly clock?: Clock;
}

export interface ProbeRunResult {
  readonly summary: ProbeSummary;
  /** How long the run took, ms. */
  readonly elapsedMs: number;
  /** Whether the prober's keys were deleted at the end. */
  readonly cleanedUp: boolean;
}

/** Check probe options; errors name the flag. */
export function checkProbeOptions(o: ProbeOptions): void {
  if (o.endpoints.length === 0 || o.endpoints.length > ProbeLimits.endpointsMax) {
    throw new InvalidArgumentError(`--endpoints: give 1 to ${ProbeLimits.endpointsMax} endpoints`);
  }
  if (!(o.intervalMs >= ProbeLimits.intervalMsMin)) {
    throw new InvalidArgumentError(`--interval must be at least ${ProbeLimits.intervalMsMin}ms, got ${o.intervalMs}ms`);
  }
  if (!(o.durationMs > 0 && o.durationMs <= ProbeLimits.durationMsMax)) {
    throw new InvalidArgumentError(`--duration must be more than 0 and at most 7d, got ${o.durationMs}ms`);
  }
  if (!(o.timeoutMs >= ProbeLimits.timeoutMsMin && o.timeoutMs <= ProbeLimits.timeoutMsMax)) {
    throw new InvalidArgumentError(
      `--timeout must be from ${ProbeLimits.timeoutMsMin}ms to ${ProbeLimits.timeoutMsMax / 1000}s, got ${o.timeoutMs}ms`,
    );
  }
  const cycles = Math.ceil(o.durationMs / o.intervalMs);
  if (2 * cycles > ProbeLimits.attemptsMax) {
    throw new InvalidArgumentError(
      `--duration ÷ --interval gives ${cycles} cycles; at most ${ProbeLimits.attemptsMax / 2} (raise --interval or shorten --duration)`,
    );
  }
}

/** The answer of one try on one endpoint. */
interface TryResult {
  readonly status: number;
  readonly code: string;
  readonly body: unknown;
}

async function tryOnce(endpoint: string, step: ProbeStep, timeoutMs: number): Promise<TryResult> {
  const url = `${endpoint}/v1/kv/${encodeURIComponent(step.key)}`;
  const init: RequestInit =
    step.kind === 'write'
      ? { method: 'PUT', body: JSON.stringify({ value: step.value }), headers: { 'content-type': 'application/json' } }
      : { method: 'GET' };
  init.signal = AbortSignal.timeout(Math.max(1, Math.floor(timeoutMs)));
  try {
    const res = await fetch(url, init);
    const text = await res.text();
    let body: unknown;
    try {
      body = text === '' ? {} : JSON.parse(text);
    } catch {
      body = {};
    }
    const code = (body as { code?: unknown }).code;
    return { status: res.status, code: typeof code === 'string' ? code : `HTTP_${res.status}`, body };
  } catch (err) {
    const e = err as { name?: string; cause?: { code?: string } };
    // No code (e.g. a port fetch refuses to use): UNREACHABLE.
    const code = e.name === 'TimeoutError' || e.name === 'AbortError' ? 'TIMEOUT' : (e.cause?.code ?? 'UNREACHABLE');
    return { status: 0, code, body: undefined };
  }
}

/**
 * Run a synthetic outside-in probe against a nines cluster's HTTP API: every interval a
 * write of the prober's next sequence number and a linearizable read of the newest
 * acknowledged one, each one attempt that fails over between endpoints within
 * `timeoutMs`. Bounded: cycles stop after `durationMs` (each attempt at most `timeoutMs`
 * and one try per endpoint), then the keys are deleted (best effort, one timeout).
 */
export async function runProbe(o: ProbeOptions): Promise<ProbeRunResult> {
  checkProbeOptions(o);
  const clock = o.clock ?? new SystemClock();
  const endpoints = o.endpoints.map((e) => e.replace(/\/+$/, ''));
  const session = new ProbeSession(o.id);
  const stats = new ProbeStats();
  const startMs = clock.nowMs();
  const endMs = startMs + o.durationMs;
  let preferred = 0;
  let lastEndpoint: string | undefined;

  const attempt = async (step: ProbeStep): Promise<ProbeAttempt> => {
    const t0 = clock.nowMs();
    const deadline = t0 + o.timeoutMs;
    let last: TryResult = { status: 0, code: 'TIMEOUT', body: undefined };
    let endpoint: string | undefined;
    for (const i of failoverOrder(preferred, endpoints.length)) {
      const left = deadline - clock.nowMs();
      if (left <= 0) break;
      endpoint = endpoints[i]!;
      last = await tryOnce(endpoint, step, left);
      const answered = last.status >= 200 && last.status < 300;
      const notFound = step.kind === 'read' && last.status === 404;
      if (answered || notFound) {
        preferred = i;
        lastEndpoint = endpoint;
        if (step.kind === 'write') return { op: 'write', startMs: t0, endMs: clock.nowMs(), ok: true, endpoint };
        const value = answered ? (last.body as { value?: unknown }).value : undefined;
        const check = session.checkRead(step as ProbeRead, typeof value === 'string' ? value : undefined);
        const a = { op: 'read' as const, startMs: t0, endMs: clock.nowMs(), ok: check.ok, endpoint };
        return check.ok ? a : { ...a, error: check.error };
      }
      if (!failsOver(last.status)) break;
    }
    const failed: ProbeAttempt = { op: step.kind, startMs: t0, endMs: clock.nowMs(), ok: false, error: last.code };
    return endpoint === undefined ? failed : { ...failed, endpoint };
  };

  const maxCycles = Math.ceil(o.durationMs / o.intervalMs);
  let nextTickMs = startMs;
  for (let cycle = 0; cycle < maxCycles && !o.signal?.aborted; cycle++) {
    const before = { attempts: stats.attempts, successes: stats.successes };
    const errors: string[] = [];
    const write = session.nextWrite();
    const w = await attempt(write);
    session.writeDone(write, w.ok);
    stats.add(w);
    if (!w.ok) errors.push(w.error ?? 'UNKNOWN');
    const read = session.nextRead();
    if (read !== undefined && !o.signal?.aborted) {
      const r = await attempt(read);
      stats.add(r);
      if (!r.ok) errors.push(r.error ?? 'UNKNOWN');
    }
    o.onCycle?.({
      elapsedMs: clock.nowMs() - startMs,
      attempts: stats.attempts - before.attempts,
      successes: stats.successes - before.successes,
      errors,
      endpoint: lastEndpoint,
      summary: stats.summary(),
    });
    // The next tick; ticks missed while an attempt hung are skipped, not made up in a burst.
    nextTickMs = Math.max(nextTickMs + o.intervalMs, clock.nowMs());
    if (nextTickMs >= endMs) break;
    await sleepUntil(clock, nextTickMs, o.signal);
  }
  assert(stats.attempts <= 2 * maxCycles, 'at most two attempts per cycle');
  const cleanedUp = o.cleanup === false ? false : await deleteKeys(clock, endpoints, preferred, session.keyPrefix, o.timeoutMs);
  return { summary: stats.summary(), elapsedMs: clock.nowMs() - startMs, cleanedUp };
}

function sleepUntil(clock: Clock, atMs: number, signal: AbortSignal | undefined): Promise<void> {
  const waitMs = atMs - clock.nowMs();
  if (waitMs <= 0 || signal?.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, waitMs);
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** Delete every key under the prober's prefix: one try per endpoint within `timeoutMs`. */
async function deleteKeys(
  clock: Clock,
  endpoints: readonly string[],
  preferred: number,
  prefix: string,
  timeoutMs: number,
): Promise<boolean> {
  const deadlineMs = clock.nowMs() + timeoutMs;
  for (const i of failoverOrder(preferred, endpoints.length)) {
    const left = deadlineMs - clock.nowMs();
    if (left <= 0) return false;
    try {
      const res = await fetch(`${endpoints[i]}/v1/kv/${encodeURIComponent(prefix)}?prefix=true`, {
        method: 'DELETE',
        signal: AbortSignal.timeout(Math.max(1, Math.floor(left))),
      });
      await res.text();
      if (res.ok) return true;
      if (!failsOver(res.status)) return false;
    } catch {
      // try the next endpoint
    }
  }
  return false;
}
