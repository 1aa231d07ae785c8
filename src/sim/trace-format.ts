import type { TraceItem } from './world.js';

/** Fields of a message or request worth a glance in a trace, in a fixed order. */
const FIELDS = ['index', 'logTerm', 'commit', 'reject', 'rejectHint', 'f', 'key', 'value', 'expected', 'kind', 'leaderHint', 'reason'];

/** Format one trace item as a line: `  1234.567ms recv app 1->2 t3 index=4 entries=2`. */
export function formatTraceItem(item: TraceItem): string {
  return `${item.atMs.toFixed(3).padStart(12)}ms ${item.what}${formatDetail(item.detail)}`;
}

function formatDetail(detail: unknown): string {
  if (detail === '' || detail === undefined || detail === null) return '';
  if (typeof detail !== 'object') return ` ${String(detail)}`;
  const d = detail as Record<string, unknown>;
  const parts: string[] = [];
  if (typeof d.type === 'string' && typeof d.from === 'number') {
    parts.push(`${d.type} ${d.from}->${String(d.to)} t${String(d.term)}`);
  } else if (typeof d.id === 'number') {
    parts.push(`#${d.id}`);
  }
  for (const f of FIELDS) {
    if (d[f] !== undefined) parts.push(`${f}=${JSON.stringify(d[f])}`);
  }
  if (Array.isArray(d.entries)) {
    const es = d.entries as { index: number; term: number }[];
    parts.push(es.length === 0 ? 'entries=0' : `entries=${es[0]!.index}..${es[es.length - 1]!.index}@t${es[es.length - 1]!.term}`);
  }
  const snap = d.snapshot as { metadata?: { index: number; term: number } } | undefined;
  if (snap?.metadata) parts.push(`snapshot=${snap.metadata.index}@t${snap.metadata.term}`);
  return ` ${parts.join(' ')}`;
}
