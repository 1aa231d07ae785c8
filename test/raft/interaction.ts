import { readFileSync, writeFileSync } from 'node:fs';
import { type NodeId, nodeId, logIndex } from '../../src/core/ids.js';
import type { ConfChangeType } from '../../src/raft/confchange.js';
import type { RaftTestBugs } from '../../src/raft/config.js';
import type { Message } from '../../src/raft/messages.js';
import { fmtConf, fmtEntries, fmtFields, fmtMessage, fmtReady, fmtSnapshot } from './format.js';
import { applyAndAdvance, createNode, type NodeOptions, persistReady, restartNode, type TestNode } from './harness.js';

/**
 * A transcript interpreter in the style of etcd-io/raft's interaction tests. A test file is
 * a sequence of blocks:
 *
 *   # comments
 *   command arg key=value key=(1,2)
 *   ----
 *   expected output (no blank lines)
 *
 * separated by blank lines. Commands:
 *   add-nodes N [voters=(..)] [learners=(..)] [prevote=bool] [checkquorum=bool] [lease=bool]
 *             [inflight=N] [maxmsg=N] [maxuncommitted=N]
 *             [bugs=(commit-previous-term,no-truncation,double-vote)]
 *   campaign ID | propose ID DATA | conf-change ID add-voter|add-learner|remove|promote NODE
 *   tick ID MS | tick-heartbeat ID | tick-election ID
 *   process-ready [ID..] | deliver-msgs [ID..] [drop=(..)] | stabilize [ID..]
 *   partition A B / C .. | heal | status ID | raft-log ID | read-index ID CTX
 *   transfer-leader ID TO | snapshot ID | compact ID INDEX | restart ID
 *   report-unreachable ID PEER | report-snapshot ID PEER ok|fail | log-level none|info|debug
 * `log-level none` also silences Ready and message traffic (for set-up steps).
 */

type LogLevel = 'none' | 'info' | 'debug';

const INFO_EVENTS = new Set([
  'become-follower',
  'become-candidate',
  'become-precandidate',
  'become-leader',
  'step-down-no-quorum',
  'transfer-start',
  'transfer-abort',
  'timeout-now',
  'snapshot-restored',
  'snapshot-sent',
  'snapshot-ignored',
  'snapshot-timeout',
  'snapshot-without-self',
  'conf-change-applied',
  'conf-change-skipped',
  'conf-change-refused',
  'ignore-vote-in-lease',
  'ignore-campaign-unapplied-conf',
  'ignore-campaign-not-voter',
  'drop-proposal-no-leader',
]);

interface Command {
  readonly name: string;
  readonly args: string[];
  readonly kv: Map<string, string>;
}

function parseCommand(line: string): Command {
  const tokens = line.trim().split(/\s+/);
  const args: string[] = [];
  const kv = new Map<string, string>();
  for (const t of tokens.slice(1)) {
    const eq = t.indexOf('=');
    if (eq > 0) kv.set(t.slice(0, eq), t.slice(eq + 1));
    else args.push(t);
  }
  return { name: tokens[0] ?? '', args, kv };
}

function parseList(v: string | undefined): number[] | undefined {
  if (v === undefined) return undefined;
  const inner = v.replace(/^\(/, '').replace(/\)$/, '').trim();
  return inner === '' ? [] : inner.split(',').map((x) => Number(x));
}

/** `bugs=(commit-previous-term,no-truncation,double-vote)` */
function parseBugs(v: string): RaftTestBugs {
  const names = v.replace(/^\(/, '').replace(/\)$/, '').split(',');
  const bugs: { -readonly [K in keyof RaftTestBugs]: RaftTestBugs[K] } = {};
  for (const n of names) {
    if (n === 'commit-previous-term') bugs.commitPreviousTermByCount = true;
    else if (n === 'no-truncation') bugs.noConflictTruncation = true;
    else if (n === 'double-vote') bugs.doubleVote = true;
    else throw new Error(`unknown bug ${n}`);
  }
  return bugs;
}

function parseBool(v: string | undefined, dflt: boolean): boolean {
  return v === undefined ? dflt : v === 'true';
}

export class InteractionEnv {
  readonly nodes = new Map<number, TestNode>();
  readonly options = new Map<number, NodeOptions>();
  /** Messages in flight, in send order. */
  queue: Message[] = [];
  readonly blocked = new Set<string>();
  logLevel: LogLevel = 'info';
  #out: string[] = [];

  #emit(line: string): void {
    this.#out.push(line);
  }

  /** Ready and message traffic: silenced by `log-level none`. */
  #trace(line: string): void {
    if (this.logLevel !== 'none') this.#out.push(line);
  }

  #logger(id: number) {
    return (event: string, fields: Record<string, unknown>) => {
      if (this.logLevel === 'none') return;
      if (this.logLevel === 'info' && !INFO_EVENTS.has(event)) return;
      const f = fmtFields(fields);
      this.#emit(`${INFO_EVENTS.has(event) ? 'INFO' : 'DEBUG'} ${id} ${event}${f === '' ? '' : ` ${f}`}`);
    };
  }

  #node(arg: string | undefined): TestNode {
    const n = this.nodes.get(Number(arg));
    if (n === undefined) throw new Error(`no node ${String(arg)}`);
    return n;
  }

  #ids(args: string[]): number[] {
    return args.length > 0 ? args.map(Number) : [...this.nodes.keys()].sort((a, b) => a - b);
  }

  run(line: string): string {
    this.#out = [];
    const cmd = parseCommand(line);
    try {
      this.#dispatch(cmd);
    } catch (err) {
      const e = err as { code?: string; message?: string };
      this.#emit(`error: ${e.code !== undefined ? `${e.code}: ` : ''}${e.message ?? String(err)}`);
    }
    return this.#out.length === 0 ? 'ok' : this.#out.join('\n');
  }

  #dispatch(cmd: Command): void {
    const [a0, a1, a2] = cmd.args;
    switch (cmd.name) {
      case 'add-nodes':
        this.#addNodes(Number(a0), cmd.kv);
        return;
      case 'campaign':
        this.#node(a0).rn.campaign();
        return;
      case 'propose':
        this.#node(a0).rn.propose(new TextEncoder().encode(a1 ?? ''));
        return;
      case 'conf-change': {
        const types: Record<string, ConfChangeType> = {
          'add-voter': 'addVoter',
          'add-learner': 'addLearner',
          remove: 'removeNode',
          promote: 'promoteLearner',
        };
        const type = types[a1 ?? ''];
        if (type === undefined) throw new Error(`unknown conf change ${String(a1)}`);
        this.#node(a0).rn.proposeConfChange({ type, nodeId: nodeId(Number(a2)) });
        return;
      }
      case 'tick':
        this.#tick(this.#node(a0), Number(a1));
        return;
      case 'tick-heartbeat': {
        const n = this.#node(a0);
        this.#tick(n, n.rn.config.heartbeatIntervalMs);
        return;
      }
      case 'tick-election': {
        const n = this.#node(a0);
        this.#tick(n, 2 * n.rn.config.electionTimeoutMs);
        return;
      }
      case 'process-ready':
        for (const id of this.#ids(cmd.args)) this.#processReady(this.#node(String(id)));
        return;
      case 'deliver-msgs':
        this.#deliver(this.#ids(cmd.args), new Set(parseList(cmd.kv.get('drop')) ?? []));
        return;
      case 'stabilize':
        this.#stabilize(this.#ids(cmd.args));
        return;
      case 'partition':
        this.#partition(cmd.args);
        return;
      case 'heal':
        this.blocked.clear();
        return;
      case 'status':
        this.#status(this.#node(a0));
        return;
      case 'raft-log':
        this.#raftLog(this.#node(a0));
        return;
      case 'read-index':
        this.#node(a0).rn.readIndex(new TextEncoder().encode(a1 ?? ''));
        return;
      case 'transfer-leader':
        this.#node(a0).rn.transferLeadership(nodeId(Number(a1)));
        return;
      case 'snapshot': {
        const n = this.#node(a0);
        const snap = n.storage.createSnapshot(logIndex(n.appliedIndex), n.confState, new TextEncoder().encode(`snap@${n.appliedIndex}`));
        this.#emit(`snapshot ${fmtSnapshot(snap)}`);
        return;
      }
      case 'compact': {
        const n = this.#node(a0);
        n.storage.compact(logIndex(Number(a1)));
        this.#emit(`first index ${n.storage.firstIndex()}`);
        return;
      }
      case 'restart': {
        const n = this.#node(a0);
        restartNode(n, { ...this.options.get(n.id)!, logger: this.#logger(n.id) });
        this.queue = this.queue.filter((m) => m.to !== n.id);
        return;
      }
      case 'report-unreachable':
        this.#node(a0).rn.reportUnreachable(nodeId(Number(a1)));
        return;
      case 'report-snapshot':
        this.#node(a0).rn.reportSnapshot(nodeId(Number(a1)), a2 === 'ok');
        return;
      case 'log-level':
        if (a0 !== 'none' && a0 !== 'info' && a0 !== 'debug') throw new Error(`bad log level ${String(a0)}`);
        this.logLevel = a0;
        return;
      default:
        throw new Error(`unknown command ${cmd.name}`);
    }
  }

  #addNodes(count: number, kv: Map<string, string>): void {
    const first = this.nodes.size + 1;
    const ids = Array.from({ length: count }, (_, i) => first + i);
    const voters = parseList(kv.get('voters')) ?? ids;
    const learners = parseList(kv.get('learners')) ?? [];
    for (const id of ids) {
      const opts: NodeOptions = {
        voters,
        learners,
        preVote: parseBool(kv.get('prevote'), true),
        checkQuorum: parseBool(kv.get('checkquorum'), true),
        leaseReads: parseBool(kv.get('lease'), false),
        ...(kv.has('inflight') ? { maxInflightMsgs: Number(kv.get('inflight')) } : {}),
        ...(kv.has('maxmsg') ? { maxSizePerMsgBytes: Number(kv.get('maxmsg')) } : {}),
        ...(kv.has('maxuncommitted') ? { maxUncommittedEntriesBytes: Number(kv.get('maxuncommitted')) } : {}),
        ...(kv.has('bugs') ? { testBugs: parseBugs(kv.get('bugs')!) } : {}),
      };
      this.options.set(id, opts);
      const node = createNode(id, { ...opts, logger: this.#logger(id) });
      node.rn.tick(0);
      this.nodes.set(id, node);
    }
  }

  #tick(n: TestNode, deltaMs: number): void {
    n.nowMs += deltaMs;
    n.rn.tick(n.nowMs);
  }

  #processReady(n: TestNode): boolean {
    if (!n.rn.hasReady()) return false;
    this.#trace(`> ${n.id} handling Ready`);
    const rd = persistReady(n);
    if (rd === undefined) return false;
    for (const line of fmtReady(rd, '  ')) this.#trace(line);
    applyAndAdvance(n, rd);
    for (const m of rd.messages) this.queue.push(m);
    return true;
  }

  #isBlocked(m: Message): boolean {
    return this.blocked.has(`${m.from}-${m.to}`);
  }

  #deliver(ids: number[], drop: Set<number>): boolean {
    let any = false;
    for (const id of ids) {
      const mine = this.queue.filter((m) => m.to === id);
      if (mine.length === 0) continue;
      this.queue = this.queue.filter((m) => m.to !== id);
      any = true;
      this.#trace(`> ${id} receiving messages`);
      const node = this.nodes.get(id);
      for (const m of mine) {
        if (drop.has(id) || this.#isBlocked(m) || node === undefined) {
          this.#trace(`  dropped ${fmtMessage(m)}`);
          continue;
        }
        this.#trace(`  ${fmtMessage(m)}`);
        try {
          node.rn.step(m);
        } catch (err) {
          this.#emit(`  error: ${(err as Error).message}`);
        }
      }
    }
    return any;
  }

  #stabilize(ids: number[]): void {
    for (let round = 0; round < 1000; round++) {
      let any = false;
      for (const id of ids) any = this.#processReady(this.#node(String(id))) || any;
      any = this.#deliver(ids, new Set()) || any;
      if (!any) return;
    }
    throw new Error('stabilize did not converge in 1000 rounds');
  }

  #partition(args: string[]): void {
    const groups: number[][] = [[]];
    for (const a of args) {
      if (a === '/') groups.push([]);
      else groups[groups.length - 1]!.push(Number(a));
    }
    this.blocked.clear();
    for (const g of groups) {
      for (const h of groups) {
        if (g === h) continue;
        for (const x of g) for (const y of h) this.blocked.add(`${x}-${y}`);
      }
    }
    this.#emit(`partitioned ${groups.map((g) => g.join(' ')).join(' / ')}`);
  }

  #status(n: TestNode): void {
    const s = n.rn.status();
    this.#emit(
      `${s.id}: role=${s.role} term=${s.term} vote=${s.vote} lead=${s.lead} commit=${s.commit} applied=${s.applied} last=${s.lastIndex} ${fmtConf(s.confState)}`,
    );
    if (s.progress !== undefined) {
      for (const [id, p] of Object.entries(s.progress)) {
        this.#emit(`  ${id}: ${p.state} match=${p.match} next=${p.next}${p.isLearner ? ' learner' : ''}${p.inflight > 0 ? ` inflight=${p.inflight}` : ''}`);
      }
    }
  }

  #raftLog(n: TestNode): void {
    const first = n.storage.firstIndex();
    const last = n.storage.lastIndex();
    if (last < first) {
      this.#emit(`log empty (first index ${first})`);
      return;
    }
    this.#emit(fmtEntries(n.storage.entries(logIndex(first), logIndex(last + 1), Number.MAX_SAFE_INTEGER)));
  }
}

interface Block {
  readonly comments: string[];
  readonly command: string;
  readonly expected: string;
}

export function parseTranscript(text: string): Block[] {
  const blocks: Block[] = [];
  const lines = text.split('\n');
  let i = 0;
  while (i < lines.length) {
    const comments: string[] = [];
    while (i < lines.length && (lines[i]!.trim() === '' || lines[i]!.startsWith('#'))) {
      if (lines[i]!.startsWith('#')) comments.push(lines[i]!);
      i++;
    }
    if (i >= lines.length) {
      if (comments.length > 0) blocks.push({ comments, command: '', expected: '' });
      break;
    }
    const command = lines[i]!;
    i++;
    if (lines[i] !== '----') throw new Error(`line ${i + 1}: expected ---- after "${command}"`);
    i++;
    const out: string[] = [];
    while (i < lines.length && lines[i]!.trim() !== '') out.push(lines[i++]!);
    blocks.push({ comments, command, expected: out.join('\n') });
  }
  return blocks;
}

export interface TranscriptResult {
  readonly command: string;
  readonly expected: string;
  readonly actual: string;
}

/** Run a transcript file; with rewrite, write the actual outputs back as the new golden. */
export function runTranscript(path: string, rewrite: boolean): TranscriptResult[] {
  const blocks = parseTranscript(readFileSync(path, 'utf8'));
  const env = new InteractionEnv();
  const results: TranscriptResult[] = [];
  const written: string[] = [];
  for (const b of blocks) {
    if (b.command === '') {
      written.push(b.comments.join('\n'));
      continue;
    }
    const actual = env.run(b.command);
    results.push({ command: b.command, expected: b.expected, actual });
    written.push([...b.comments, b.command, '----', actual].join('\n'));
  }
  if (rewrite) writeFileSync(path, `${written.join('\n\n')}\n`);
  return results;
}

export type { NodeId };
