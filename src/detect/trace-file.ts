import { InvalidArgumentError, LimitExceededError } from '../core/errors.js';
import { Limits } from '../core/limits.js';
import type { StallInterval } from './stall.js';
import { type Trace, type TraceEpoch, validateTrace } from './trace.js';

/**
 * The trace file format: JSON lines. The first line is a header,
 *   {"format":"nines-detect-trace","version":1,"name":"…","intervalMs":100,
 *    "epochs":[{"startMs":0,"crashMs":60000,"endMs":62000}],"stalls":[{"startMs":…,"endMs":…}]}
 * and every following non-empty line is one heartbeat: {"atMs": 123.45} (arrival time, ms,
 * non-decreasing). At most Limits.traceEventsMax heartbeats.
 */
export const TRACE_FORMAT = 'nines-detect-trace';
export const TRACE_VERSION = 1;

export interface TraceHeader {
  format: typeof TRACE_FORMAT;
  version: typeof TRACE_VERSION;
  name: string;
  intervalMs: number;
  epochs: TraceEpoch[];
  stalls: StallInterval[];
}

/** Serialises a trace (header + one line per heartbeat). */
export function formatTrace(trace: Trace): string {
  const header: TraceHeader = {
    format: TRACE_FORMAT,
    version: TRACE_VERSION,
    name: trace.name,
    intervalMs: trace.intervalMs,
    epochs: trace.epochs.map((e) => ({ startMs: e.startMs, crashMs: e.crashMs, endMs: e.endMs })),
    stalls: trace.stalls.map((s) => ({ startMs: s.startMs, endMs: s.endMs })),
  };
  const lines = [JSON.stringify(header)];
  for (const t of trace.arrivalsMs) lines.push(`{"atMs":${t}}`);
  return `${lines.join('\n')}\n`;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Parses a trace file's text. Errors name the source and line: `trace.jsonl:3: …`.
 */
export function parseTrace(text: string, source: string): Trace {
  const lines = text.split('\n');
  const fail = (line: number, message: string): never => {
    throw new InvalidArgumentError(`${source}:${line}: ${message}`);
  };
  const parseLine = (i: number): unknown => {
    try {
      return JSON.parse(lines[i]!);
    } catch {
      return fail(i + 1, 'not valid JSON');
    }
  };
  if (lines.length === 0 || lines[0]!.trim() === '') fail(1, 'empty file: expected a header line');
  const header = parseLine(0);
  if (!isRecord(header) || header.format !== TRACE_FORMAT) fail(1, `not a nines trace: the header needs "format":"${TRACE_FORMAT}"`);
  const h = header as Record<string, unknown>;
  if (h.version !== TRACE_VERSION) fail(1, `unsupported trace version ${String(h.version)} (this nines reads version ${TRACE_VERSION})`);
  const num = (v: unknown, what: string): number => {
    if (typeof v !== 'number' || !Number.isFinite(v)) return fail(1, `${what} must be a finite number`);
    return v;
  };
  const intervalMs = num(h.intervalMs, 'intervalMs');
  if (!Array.isArray(h.epochs)) fail(1, 'epochs must be an array of {startMs, crashMs, endMs}');
  const epochs = (h.epochs as unknown[]).map((e, i): TraceEpoch => {
    if (!isRecord(e)) return fail(1, `epochs[${i}] must be an object`);
    const crash = e.crashMs === null ? null : num(e.crashMs, `epochs[${i}].crashMs`);
    return { startMs: num(e.startMs, `epochs[${i}].startMs`), crashMs: crash, endMs: num(e.endMs, `epochs[${i}].endMs`) };
  });
  const stallsRaw = h.stalls ?? [];
  if (!Array.isArray(stallsRaw)) fail(1, 'stalls must be an array of {startMs, endMs}');
  const stalls = (stallsRaw as unknown[]).map((s, i): StallInterval => {
    if (!isRecord(s)) return fail(1, `stalls[${i}] must be an object`);
    return { startMs: num(s.startMs, `stalls[${i}].startMs`), endMs: num(s.endMs, `stalls[${i}].endMs`) };
  });
  const arrivals: number[] = [];
  let previousMs = Number.NEGATIVE_INFINITY;
  for (let i = 1; i < lines.length; i++) {
    if (lines[i]!.trim() === '') continue;
    if (arrivals.length >= Limits.traceEventsMax) throw new LimitExceededError('traceEventsMax', arrivals.length + 1, Limits.traceEventsMax);
    const ev = parseLine(i);
    if (!isRecord(ev) || typeof ev.atMs !== 'number' || !Number.isFinite(ev.atMs) || ev.atMs < 0) {
      fail(i + 1, 'expected a heartbeat {"atMs": <finite time >= 0>}');
    }
    const atMs = (ev as { atMs: number }).atMs;
    if (atMs < previousMs) fail(i + 1, `heartbeat at ${atMs} ms goes backwards (previous ${previousMs} ms)`);
    previousMs = atMs;
    arrivals.push(atMs);
  }
  const name = typeof h.name === 'string' && h.name !== '' ? h.name : source;
  return validateTrace({ name, intervalMs, arrivalsMs: Float64Array.from(arrivals), epochs, stalls }, source);
}
