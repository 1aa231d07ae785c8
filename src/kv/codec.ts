import { Packr } from 'msgpackr';
import { CorruptError, InvalidArgumentError, LimitExceededError } from '../core/errors.js';
import type { KvCommand } from './commands.js';
import { KvLimits } from './limits.js';
import { validateCommand } from './validate.js';

/**
 * The bytes of a command in a raft entry: msgpack of `{v, t, c}` — format version, the
 * leader-proposed time in ms, and the command. Decoding untrusted bytes never crashes:
 * undecodable bytes or an unknown version raise `CorruptError`, a well-formed but invalid
 * command raises `InvalidArgumentError`.
 */
export const COMMAND_FORMAT_VERSION = 1;

/** A command with the time the leader proposed it at. */
export interface KvProposal {
  readonly command: KvCommand;
  readonly nowMs: number;
}

const packr = new Packr({ useRecords: false, moreTypes: false, mapsAsObjects: true });

function checkTime(nowMs: unknown): number {
  if (typeof nowMs !== 'number' || !Number.isSafeInteger(nowMs) || nowMs < 0) {
    throw new InvalidArgumentError(`command time must be a non-negative integer of ms, got ${String(nowMs)}`);
  }
  return nowMs;
}

/** Encodes a command for proposal. Validates it first, so nothing invalid enters the log. */
export function encodeCommand(command: KvCommand, nowMs: number): Uint8Array {
  validateCommand(command);
  checkTime(nowMs);
  const bytes = packr.pack({ v: COMMAND_FORMAT_VERSION, t: nowMs, c: command });
  if (bytes.length > KvLimits.commandBytesMax) {
    throw new LimitExceededError('encoded command bytes', bytes.length, KvLimits.commandBytesMax);
  }
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length);
}

/** Decodes what `encodeCommand` made. */
export function decodeCommand(bytes: Uint8Array): KvProposal {
  if (!(bytes instanceof Uint8Array)) throw new InvalidArgumentError('command bytes must be a Uint8Array');
  if (bytes.length > KvLimits.commandBytesMax) {
    throw new LimitExceededError('encoded command bytes', bytes.length, KvLimits.commandBytesMax);
  }
  let envelope: unknown;
  try {
    envelope = packr.unpack(bytes);
  } catch (err) {
    throw new CorruptError(`kv command bytes are not valid msgpack: ${(err as Error).message}`, { cause: err });
  }
  if (typeof envelope !== 'object' || envelope === null || Array.isArray(envelope)) {
    throw new CorruptError('kv command bytes do not hold a command envelope');
  }
  const e = envelope as Record<string, unknown>;
  if (e['v'] !== COMMAND_FORMAT_VERSION) {
    throw new CorruptError(`kv command format version ${String(e['v'])} is not supported (expected ${COMMAND_FORMAT_VERSION})`);
  }
  const nowMs = checkTime(e['t']);
  return { command: validateCommand(e['c']), nowMs };
}
