import { decodeConfChange } from '../../src/raft/confchange.js';
import type { Message } from '../../src/raft/messages.js';
import type { Ready } from '../../src/raft/rawnode.js';
import type { ConfState, Entry, Snapshot } from '../../src/raft/types.js';

/** Readable one-line renderings for transcripts. */

const decoder = new TextDecoder();

export function fmtBytes(b: Uint8Array): string {
  return JSON.stringify(decoder.decode(b));
}

export function fmtEntry(e: Entry): string {
  if (e.type === 'confChange') {
    const cc = decodeConfChange(e.data);
    return `${e.term}/${e.index} conf ${cc.type} ${cc.nodeId}`;
  }
  return `${e.term}/${e.index} ${fmtBytes(e.data)}`;
}

export function fmtEntries(ents: readonly Entry[]): string {
  return `[${ents.map(fmtEntry).join(', ')}]`;
}

export function fmtConf(cs: ConfState): string {
  const l = cs.learners.length > 0 ? ` learners=(${cs.learners.join(',')})` : '';
  return `voters=(${cs.voters.join(',')})${l}`;
}

export function fmtSnapshot(s: Snapshot): string {
  return `index=${s.metadata.index} term=${s.metadata.term} ${fmtConf(s.metadata.confState)} data=${fmtBytes(s.data)}`;
}

export function fmtMessage(m: Message): string {
  const head = `${m.from}->${m.to} ${m.type} term=${m.term}`;
  switch (m.type) {
    case 'app':
      return `${head} logTerm=${m.logTerm} index=${m.index} commit=${m.commit} entries=${fmtEntries(m.entries)}`;
    case 'appResp':
      return m.reject
        ? `${head} reject index=${m.index} hintIndex=${m.rejectHint} hintTerm=${m.logTerm}`
        : `${head} index=${m.index}`;
    case 'vote':
    case 'preVote':
      return `${head} index=${m.index} logTerm=${m.logTerm}${m.transfer ? ' transfer' : ''}`;
    case 'voteResp':
    case 'preVoteResp':
      return `${head} ${m.reject ? 'rejected' : 'granted'}`;
    case 'heartbeat':
      return `${head} commit=${m.commit}${m.context.length > 0 ? ` ctx=${fmtBytes(m.context)}` : ''}`;
    case 'heartbeatResp':
      return `${head}${m.context.length > 0 ? ` ctx=${fmtBytes(m.context)}` : ''}`;
    case 'snap':
      return `${head} snapshot ${fmtSnapshot(m.snapshot)}`;
    case 'timeoutNow':
      return head;
    case 'readIndex':
      return `${head} ctx=${fmtBytes(m.context)}`;
    case 'readIndexResp':
      return `${head} index=${m.index} ctx=${fmtBytes(m.context)}`;
    case 'prop':
      return `${head} entries=${fmtEntries(m.entries)}`;
    case 'transferLeader':
      return `${head} transferee=${m.transferee}`;
    default: {
      const never: never = m;
      return JSON.stringify(never);
    }
  }
}

export function fmtReady(rd: Ready, indent: string): string[] {
  const out: string[] = [];
  if (rd.softState) out.push(`${indent}soft: lead=${rd.softState.lead} role=${rd.softState.role}`);
  if (rd.hardState) out.push(`${indent}hard: term=${rd.hardState.term} vote=${rd.hardState.vote} commit=${rd.hardState.commit}`);
  if (rd.snapshot) out.push(`${indent}snapshot: ${fmtSnapshot(rd.snapshot)}`);
  if (rd.entries.length > 0) out.push(`${indent}entries: ${fmtEntries(rd.entries)}`);
  if (rd.committedEntries.length > 0) out.push(`${indent}committed: ${fmtEntries(rd.committedEntries)}`);
  for (const rs of rd.readStates) out.push(`${indent}read-state: index=${rs.index} ctx=${fmtBytes(rs.context)}`);
  for (const m of rd.messages) out.push(`${indent}send ${fmtMessage(m)}`);
  return out;
}

export function fmtFields(fields: Record<string, unknown>): string {
  return Object.entries(fields)
    .filter(([k]) => k !== 'id')
    .map(([k, v]) => `${k}=${Array.isArray(v) ? `(${v.join(',')})` : String(v)}`)
    .join(' ');
}
