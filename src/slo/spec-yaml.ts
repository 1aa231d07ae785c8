import { type Document, isMap, isScalar, LineCounter, parseAllDocuments } from 'yaml';
import { InvalidArgumentError } from '../core/errors.js';
import type { AlertSeverity, AlertWindowInput } from './alerts.js';
import { SloLimits } from './limits.js';
import { openSloToSpec } from './openslo.js';
import { buildSloSpec, type Objective, type ObjectiveKind, type SloSpec, type SloSpecInput } from './spec.js';
import { type YamlNode, YamlReader } from './yaml-reader.js';

export interface ParsedSloSpec {
  readonly spec: SloSpec;
  /** Parts of the file nines accepted but does not act on (e.g. OpenSLO alertPolicies). */
  readonly warnings: readonly string[];
}

/**
 * Parse an SLO spec file: the nines format (see docs/slo.md) or OpenSLO v1 `kind: SLO`
 * documents (ratio subset). Errors are InvalidArgumentErrors naming
 * `file:line:col: field: problem`; unknown fields are rejected.
 */
export function parseSloSpec(text: string, file = 'slo.yaml'): ParsedSloSpec {
  if (text.length > SloLimits.specBytesMax) {
    throw new InvalidArgumentError(`${file}: the spec is larger than ${SloLimits.specBytesMax} bytes`);
  }
  const lines = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter: lines, uniqueKeys: true });
  if (!Array.isArray(docs) || docs.length === 0 || docs.every((d) => d.contents === null)) {
    throw new InvalidArgumentError(`${file}: the spec is empty (see docs/slo.md for the format)`);
  }
  if (docs.length > SloLimits.specDocumentsMax) {
    throw new InvalidArgumentError(`${file}: at most ${SloLimits.specDocumentsMax} YAML documents, got ${docs.length}`);
  }
  for (const doc of docs) {
    const err = doc.errors[0];
    if (err !== undefined) {
      const pos = err.linePos?.[0];
      const firstLine = err.message.split('\n')[0] ?? err.message;
      throw new InvalidArgumentError(`${file}:${pos?.line ?? 1}:${pos?.col ?? 1}: invalid YAML: ${firstLine}`);
    }
  }
  const reader = new YamlReader(file, lines);
  const first = docs[0]!;
  const apiVersion: unknown = isMap(first.contents) ? first.contents.get('apiVersion', true) : undefined;
  const version = isScalar(apiVersion) ? String(apiVersion.value) : '';
  if (version.startsWith('openslo/')) {
    return openSloToSpec(reader, docs as Document.Parsed[]);
  }
  if (docs.length !== 1) {
    reader.fail(docs[1]!.contents, 'document', 'a nines spec is one YAML document (OpenSLO files may hold several)');
  }
  return { spec: nativeSpec(reader, first as Document.Parsed), warnings: [] };
}

const TOP_FIELDS = ['apiVersion', 'service', 'period', 'objectives', 'alerts'];
const OBJECTIVE_FIELDS = ['name', 'kind', 'target', 'threshold', 'methods'];
const WINDOW_FIELDS = ['severity', 'long', 'short', 'budgetFraction', 'burnRate'];

function nativeSpec(r: YamlReader, doc: Document.Parsed): SloSpec {
  const top = r.map(doc.contents, '', TOP_FIELDS);
  const input: { -readonly [K in keyof SloSpecInput]: SloSpecInput[K] } = {};
  const apiVersion = top.get('apiVersion');
  if (apiVersion && r.string(apiVersion.value, 'apiVersion') !== 'nines/v1') {
    r.fail(apiVersion.value, 'apiVersion', 'must be "nines/v1" (or "openslo/v1" for an OpenSLO document)');
  }
  const service = top.get('service');
  if (service) input.service = r.string(service.value, 'service');
  const period = top.get('period');
  if (period) input.periodMs = r.duration(period.value, 'period');
  const objectives = top.get('objectives');
  if (objectives) {
    input.objectives = r
      .list(objectives.value, 'objectives', SloLimits.objectivesMax)
      .map((node, i) => readObjective(r, node, `objectives[${i}]`));
  }
  const alerts = top.get('alerts');
  if (alerts) {
    const a = r.map(alerts.value, 'alerts', ['windows']);
    const windows = a.get('windows');
    if (windows) {
      input.alerts = r
        .list(windows.value, 'alerts.windows', SloLimits.alertWindowsMax)
        .map((node, i) => readWindow(r, node, `alerts.windows[${i}]`));
    }
  }
  try {
    return buildSloSpec(input);
  } catch (err) {
    throw locate(r, doc, err);
  }
}

function readObjective(r: YamlReader, node: YamlNode, field: string): Objective {
  const m = r.map(node, field, OBJECTIVE_FIELDS);
  const nameNode = m.get('name');
  if (!nameNode) r.fail(node, `${field}.name`, 'missing (every objective needs a name)');
  const kindNode = m.get('kind');
  if (!kindNode) r.fail(node, `${field}.kind`, 'missing: "availability" or "latency"');
  const kind = r.string(kindNode.value, `${field}.kind`);
  if (kind !== 'availability' && kind !== 'latency') {
    r.fail(kindNode.value, `${field}.kind`, `must be "availability" or "latency", got "${kind}"`);
  }
  const targetNode = m.get('target');
  if (!targetNode) r.fail(node, `${field}.target`, 'missing: a percentage such as 99.9');
  const objective: { -readonly [K in keyof Objective]: Objective[K] } = {
    name: r.text(nameNode.value, `${field}.name`),
    kind: kind as ObjectiveKind,
    target: readPercent(r, targetNode.value, `${field}.target`),
  };
  const threshold = m.get('threshold');
  if (threshold) objective.latencyThresholdMs = r.duration(threshold.value, `${field}.threshold`);
  const methods = m.get('methods');
  if (methods) {
    objective.methods = r
      .list(methods.value, `${field}.methods`, SloLimits.methodsMax)
      .map((n, i) => r.text(n, `${field}.methods[${i}]`));
  }
  return objective;
}

/** A target percentage, `99.9` or `"99.9%"`, returned as a fraction (0.999). */
export function readPercent(r: YamlReader, node: YamlNode, field: string): number {
  const text = r.text(node, field).trim();
  const value = Number(text.endsWith('%') ? text.slice(0, -1) : text);
  if (!Number.isFinite(value) || value <= 0 || value >= 100) {
    r.fail(node, field, `must be a percentage strictly between 0 and 100 (e.g. 99.9), got "${text}"`);
  }
  if (value < 1) {
    r.fail(node, field, `is a percentage: write 99.9 for 99.9%, not a fraction (got ${value})`);
  }
  return Number((value / 100).toPrecision(12));
}

function readWindow(r: YamlReader, node: YamlNode, field: string): AlertWindowInput {
  const m = r.map(node, field, WINDOW_FIELDS);
  const need = (name: string): YamlNode => {
    const entry = m.get(name);
    if (!entry) r.fail(node, `${field}.${name}`, 'missing');
    return entry.value;
  };
  const severityNode = need('severity');
  const severity = r.string(severityNode, `${field}.severity`);
  if (severity !== 'page' && severity !== 'ticket') {
    r.fail(severityNode, `${field}.severity`, `must be "page" or "ticket", got "${severity}"`);
  }
  const w: { -readonly [K in keyof AlertWindowInput]: AlertWindowInput[K] } = {
    severity: severity as AlertSeverity,
    longWindowMs: r.duration(need('long'), `${field}.long`),
    shortWindowMs: r.duration(need('short'), `${field}.short`),
  };
  const fraction = m.get('budgetFraction');
  if (fraction) w.budgetFraction = r.number(fraction.value, `${field}.budgetFraction`);
  const burn = m.get('burnRate');
  if (burn) w.burnRate = r.number(burn.value, `${field}.burnRate`);
  return w;
}

/**
 * Give a validation error from `buildSloSpec` (which names a field path such as
 * `objectives[1].name`) the line of that field in the document.
 */
function locate(r: YamlReader, doc: Document.Parsed, err: unknown): unknown {
  if (!(err instanceof InvalidArgumentError)) return err;
  const match = /^([A-Za-z][\w.[\]]*): /.exec(err.message);
  const path: (string | number)[] = [];
  for (const part of match?.[1]?.split('.') ?? []) {
    const m = /^(\w+)((?:\[\d+\])*)$/.exec(part);
    if (!m) break;
    path.push(m[1]!);
    for (const idx of m[2]!.matchAll(/\[(\d+)\]/g)) path.push(Number(idx[1]));
  }
  for (let n = path.length; n > 0; n--) {
    const node = doc.getIn(path.slice(0, n), true) as YamlNode;
    if (node && typeof node === 'object' && 'range' in node) {
      return new InvalidArgumentError(`${r.where(node)}: ${err.message}`, { cause: err });
    }
  }
  return new InvalidArgumentError(`${r.where(doc.contents)}: ${err.message}`, { cause: err });
}
