import { CorruptError, ErrorCodes, NinesError } from '../core/errors.js';
import type { NodeId } from '../core/ids.js';
import type { ConfState } from '../raft/types.js';
import type { MemberConfig } from './config.js';

/**
 * The replicated metadata of the members (etcd's member attributes): peer URLs, name and
 * client URLs per member id. Raft's ConfState says who votes; this table says where they
 * are. Changed only by control entries applied in log order (so every member holds the same
 * table) and carried in snapshots. Pure: no I/O, no clock.
 */
export interface MemberRecord {
  readonly id: NodeId;
  /** Empty until the member publishes its attributes after starting (as etcd). */
  readonly name: string;
  readonly peerUrls: readonly string[];
  readonly clientUrls: readonly string[];
  /** Its HTTP/JSON API, when it published one. */
  readonly httpUrl?: string;
}

/** A change to the table, carried in a control entry (`{ kind: 'member', ... }`). */
export type MemberCommand =
  /** Announce a member before the conf change that adds it (MemberAdd). */
  | { readonly op: 'announce'; readonly id: NodeId; readonly peerUrls: readonly string[] }
  /** A started member's own attributes (name, client URLs). */
  | { readonly op: 'attributes'; readonly id: NodeId; readonly name: string; readonly clientUrls: readonly string[]; readonly httpUrl?: string }
  /** New peer URLs (MemberUpdate). */
  | { readonly op: 'update'; readonly id: NodeId; readonly peerUrls: readonly string[] };

/** Members the table holds at most (announced but never added included). */
export const MEMBER_RECORDS_MAX = 1_000;

export class MemberTable {
  readonly #records = new Map<NodeId, MemberRecord>();

  /** The table seeded with the bootstrap members of `--initial-cluster` (no client URLs yet). */
  static seeded(members: readonly MemberConfig[]): MemberTable {
    const t = new MemberTable();
    for (const m of members) {
      t.#records.set(m.id, {
        id: m.id,
        name: m.name,
        peerUrls: [m.peerUrl],
        clientUrls: [],
        ...(m.httpUrl === undefined ? {} : { httpUrl: m.httpUrl }),
      });
    }
    return t;
  }

  get(id: NodeId): MemberRecord | undefined {
    return this.#records.get(id);
  }

  /** Apply one command (unknown ids in `attributes`/`update` create the record). */
  apply(cmd: MemberCommand): void {
    const old = this.#records.get(cmd.id);
    const base: MemberRecord = old ?? { id: cmd.id, name: '', peerUrls: [], clientUrls: [] };
    switch (cmd.op) {
      case 'announce':
      case 'update':
        this.#set({ ...base, peerUrls: [...cmd.peerUrls] });
        return;
      case 'attributes': {
        const { httpUrl: _drop, ...rest } = base;
        this.#set({ ...rest, name: cmd.name, clientUrls: [...cmd.clientUrls], ...(cmd.httpUrl === undefined ? {} : { httpUrl: cmd.httpUrl }) });
        return;
      }
      default: {
        const never: never = cmd;
        throw new CorruptError(`unknown member command ${JSON.stringify(never)}`);
      }
    }
  }

  #set(r: MemberRecord): void {
    if (!this.#records.has(r.id) && this.#records.size >= MEMBER_RECORDS_MAX) {
      // Forget the oldest record (an announced member never added); the map keeps insertion order.
      const first = this.#records.keys().next();
      if (!first.done) this.#records.delete(first.value);
    }
    this.#records.set(r.id, r);
  }

  /** Drop a removed member's record (applied with its removeNode conf change). */
  remove(id: NodeId): void {
    this.#records.delete(id);
  }

  /** The members of `cs` with their records, voters and learners, sorted by id. */
  members(cs: ConfState): (MemberRecord & { isLearner: boolean })[] {
    const ids = [...cs.voters, ...cs.learners].sort((a, b) => a - b);
    return ids.map((id) => ({ ...(this.#records.get(id) ?? { id, name: '', peerUrls: [], clientUrls: [] }), isLearner: cs.learners.includes(id) }));
  }

  toJSON(): MemberRecord[] {
    return [...this.#records.values()];
  }

  static fromJSON(value: unknown): MemberTable {
    if (!Array.isArray(value)) throw new CorruptError('member table in a snapshot is not a list');
    const t = new MemberTable();
    for (const r of value as unknown[]) t.#records.set(memberRecord(r).id, memberRecord(r));
    return t;
  }
}

function strings(v: unknown): v is string[] {
  return Array.isArray(v) && v.every((x) => typeof x === 'string');
}

function memberRecord(v: unknown): MemberRecord {
  const r = v as Record<string, unknown> | null;
  if (r === null || typeof r !== 'object' || typeof r.id !== 'number' || !Number.isSafeInteger(r.id) || r.id <= 0) {
    throw new CorruptError(`malformed member record ${JSON.stringify(v)}`);
  }
  if (typeof r.name !== 'string' || !strings(r.peerUrls) || !strings(r.clientUrls) || (r.httpUrl !== undefined && typeof r.httpUrl !== 'string')) {
    throw new CorruptError(`malformed member record ${JSON.stringify(v)}`);
  }
  const base = { id: r.id as NodeId, name: r.name, peerUrls: r.peerUrls, clientUrls: r.clientUrls };
  return typeof r.httpUrl === 'string' ? { ...base, httpUrl: r.httpUrl } : base;
}

/** Parse a member command from a control entry body; CorruptError when malformed. */
export function memberCommand(v: unknown): MemberCommand {
  const c = v as Record<string, unknown> | null;
  const idOk = c !== null && typeof c === 'object' && typeof c.id === 'number' && Number.isSafeInteger(c.id) && c.id > 0;
  if (idOk && (c.op === 'announce' || c.op === 'update') && strings(c.peerUrls)) {
    return { op: c.op, id: c.id as NodeId, peerUrls: c.peerUrls };
  }
  if (idOk && c.op === 'attributes' && typeof c.name === 'string' && strings(c.clientUrls)) {
    const base = { op: 'attributes' as const, id: c.id as NodeId, name: c.name, clientUrls: c.clientUrls };
    return typeof c.httpUrl === 'string' ? { ...base, httpUrl: c.httpUrl } : base;
  }
  throw new CorruptError(`malformed member command ${JSON.stringify(v)}`);
}

/** etcd allows one learner at a time (etcd's maxLearners). */
export const MEMBER_LEARNERS_MAX = 1;
/** A learner is in sync when its match index is at least this fraction of the leader's (etcd's rule). */
export const LEARNER_READY_FRACTION = 0.9;

/** Why a membership request was refused, named as etcd's error (the etcd edge maps `reason`). */
export type MembershipRefusal = 'peerUrlExists' | 'memberNotFound' | 'memberNotLearner' | 'learnerNotReady' | 'memberNotEnoughStarted' | 'tooManyLearners';

export class MembershipError extends NinesError {
  readonly reason: MembershipRefusal;
  constructor(reason: MembershipRefusal, message: string) {
    super(reason === 'memberNotFound' ? ErrorCodes.NOT_FOUND : ErrorCodes.INVALID_ARGUMENT, message);
    this.name = 'MembershipError';
    this.reason = reason;
  }
}
