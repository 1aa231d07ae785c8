import { ErrorCodes, isNinesError } from '../core/errors.js';
import { type CompletionType, HistoryBuilder, type HistoryStats } from './history.js';
import { CheckLimits } from './limits.js';
import { OP_FS, type Operation, type OpF } from './types.js';

/** A problem with one line of a history file. */
export interface HistoryLineError {
  /** 1-based line number. */
  readonly line: number;
  readonly message: string;
}

export interface ParsedHistory {
  readonly operations: Operation[];
  readonly stats: HistoryStats;
  /** At most `errorsMax` errors, in line order; the history is unusable when non-empty. */
  readonly errors: HistoryLineError[];
  /** True when more errors existed than were collected. */
  readonly errorsTruncated: boolean;
}

export interface ParseOptions {
  /** Errors collected before stopping (default `CheckLimits.parseErrorsMax`). */
  readonly errorsMax?: number;
}

const EVENT_TYPES = new Set(['invoke', 'ok', 'fail', 'info']);

/**
 * Parse a Jepsen-style JSON-lines history: one event per line,
 * `{"process":0,"type":"invoke","f":"write","key":"x","value":3,"time":1000}` followed later by
 * that process's `ok` / `fail` / `info`. Blank lines are skipped. `key` defaults to `""`
 * (a single register); numeric keys become their decimal string. `time` is optional but must be
 * on all events or none; without it the event's position is its time.
 * Never throws on bad input: problems are returned in `errors` with their line numbers.
 */
export function parseHistory(text: string, options: ParseOptions = {}): ParsedHistory {
  const errorsMax = options.errorsMax ?? CheckLimits.parseErrorsMax;
  const builder = new HistoryBuilder();
  const errors: HistoryLineError[] = [];
  let errorsTruncated = false;
  let timed: boolean | undefined;
  let eventIndex = 0;
  let lineNo = 0;
  let start = 0;
  while (start <= text.length) {
    let end = text.indexOf('\n', start);
    if (end === -1) end = text.length;
    lineNo++;
    const raw = text.slice(start, end).trim();
    start = end + 1;
    if (raw === '') continue;
    const problem = parseLine(raw, lineNo, eventIndex, builder, timed);
    eventIndex++;
    if (typeof problem === 'boolean') {
      timed = problem;
      continue;
    }
    if (errors.length >= errorsMax) {
      errorsTruncated = true;
      break;
    }
    errors.push({ line: lineNo, message: problem.message });
    if (problem.fatal) break;
  }
  return { operations: builder.build(), stats: builder.stats, errors, errorsTruncated };
}

/** A line's problem; `fatal` stops parsing (a limit was hit). */
interface LineProblem {
  readonly message: string;
  readonly fatal: boolean;
}

function problem(message: string): LineProblem {
  return { message, fatal: false };
}

/** Returns whether the line carried a time on success, or its problem. */
function parseLine(
  raw: string,
  line: number,
  eventIndex: number,
  builder: HistoryBuilder,
  timed: boolean | undefined,
): boolean | LineProblem {
  let event: unknown;
  try {
    event = JSON.parse(raw);
  } catch (err) {
    return problem(`invalid JSON: ${(err as Error).message}`);
  }
  if (typeof event !== 'object' || event === null || Array.isArray(event)) return problem('expected a JSON object');
  const e = event as Record<string, unknown>;
  const type = e['type'];
  if (typeof type !== 'string' || !EVENT_TYPES.has(type)) {
    return problem(`"type" must be one of invoke, ok, fail, info; got ${JSON.stringify(type)}`);
  }
  const f = e['f'];
  if (typeof f !== 'string' || !(OP_FS as readonly string[]).includes(f)) {
    return problem(`unknown f ${JSON.stringify(f)}: expected read, write or cas`);
  }
  let key: string | undefined;
  if (e['key'] !== undefined) {
    const k = e['key'];
    if (typeof k === 'string') key = k;
    else if (typeof k === 'number' && Number.isFinite(k)) key = String(k);
    else return problem(`"key" must be a string or a number, got ${JSON.stringify(k)}`);
  }
  const hasTime = e['time'] !== undefined;
  if (timed !== undefined && hasTime !== timed) {
    return problem(hasTime ? '"time" given but earlier events had none' : '"time" missing but earlier events had it');
  }
  let timeMs = eventIndex;
  if (hasTime) {
    const t = e['time'];
    if (typeof t !== 'number' || !Number.isFinite(t)) return problem(`"time" must be a finite number, got ${JSON.stringify(t)}`);
    timeMs = t;
  }
  try {
    if (type === 'invoke') {
      builder.invoke(e['process'] as number | string, f as OpF, key ?? '', e['value'] ?? null, timeMs, line);
    } else {
      builder.complete(e['process'] as number | string, type as CompletionType, timeMs, e['value'], { f, key });
    }
  } catch (err) {
    if (isNinesError(err)) {
      return { message: err.message, fatal: err.code === ErrorCodes.LIMIT_EXCEEDED };
    }
    throw err;
  }
  return hasTime;
}
