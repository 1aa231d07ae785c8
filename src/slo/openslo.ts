import { type Document, isMap } from 'yaml';
import { InvalidArgumentError } from '../core/errors.js';
import { SloLimits } from './limits.js';
import type { ParsedSloSpec } from './spec-yaml.js';
import { buildSloSpec, type Objective, type SloSpec } from './spec.js';
import type { YamlNode, YamlReader } from './yaml-reader.js';

/**
 * OpenSLO v1, the ratio subset: `kind: SLO` documents (and `kind: SLI` documents they
 * reference by `indicatorRef`) whose indicator is a `ratioMetric` over nines' own metrics,
 * with a rolling `timeWindow` and `budgetingMethod: Occurrences`. nines measures its SLIs
 * itself, so the indicator's `good` (or `bad`) query tells which objective it is:
 * - `nines_request_duration_seconds_bucket{le="0.1"}` → latency, threshold 100 ms;
 * - `nines_requests_total` → availability;
 * - a `method="x"` or `method=~"a|b"` matcher → a methods filter.
 * Every SLO document must use the same time window (one period per nines spec).
 * `alertPolicies` are accepted and ignored (nines uses its burn-rate table): a warning.
 */
export function openSloToSpec(r: YamlReader, docs: readonly Document.Parsed[]): ParsedSloSpec {
  const warnings: string[] = [];
  const slis = new Map<string, YamlNode>();
  const slos: { doc: Document.Parsed; top: ReturnType<YamlReader['map']> }[] = [];
  docs.forEach((doc, d) => {
    const field = `document ${d + 1}`;
    const top = r.map(doc.contents, field, ['apiVersion', 'kind', 'metadata', 'spec']);
    const apiVersion = top.get('apiVersion');
    if (!apiVersion || r.string(apiVersion.value, `${field}.apiVersion`) !== 'openslo/v1') {
      r.fail(apiVersion?.value ?? doc.contents, `${field}.apiVersion`, 'must be "openslo/v1"');
    }
    const kindNode = top.get('kind');
    const kind = kindNode ? r.string(kindNode.value, `${field}.kind`) : '';
    if (kind === 'SLI') {
      const name = metadataName(r, top.get('metadata')?.value, `${field}.metadata`);
      slis.set(name, top.get('spec')?.value);
    } else if (kind === 'SLO') {
      slos.push({ doc, top });
    } else {
      r.fail(kindNode?.value ?? doc.contents, `${field}.kind`, `nines reads kind SLO (and SLI); got "${kind}"`);
    }
  });
  if (slos.length === 0) r.fail(docs[0]!.contents, 'kind', 'no kind: SLO document found');
  let periodMs: number | undefined;
  let periodNode: YamlNode;
  let service: string | undefined;
  const objectives: Objective[] = [];
  for (const { doc, top } of slos) {
    const name = metadataName(r, top.get('metadata')?.value, 'metadata');
    const field = `SLO ${name}`;
    const spec = r.map(top.get('spec')?.value ?? doc.contents, `${field}.spec`, [
      'description',
      'service',
      'indicator',
      'indicatorRef',
      'timeWindow',
      'budgetingMethod',
      'objectives',
      'alertPolicies',
    ]);
    const serviceNode = spec.get('service');
    if (serviceNode) service ??= r.string(serviceNode.value, `${field}.spec.service`);
    if (spec.has('alertPolicies')) {
      warnings.push(`${r.where(spec.get('alertPolicies')!.key)}: ${field}: alertPolicies ignored; nines alerts on its burn-rate table`);
    }
    const method = spec.get('budgetingMethod');
    if (method && r.string(method.value, `${field}.spec.budgetingMethod`) !== 'Occurrences') {
      r.fail(method.value, `${field}.spec.budgetingMethod`, 'only Occurrences is supported (a ratio of good events)');
    }
    const windowNode = spec.get('timeWindow');
    if (!windowNode) r.fail(top.get('spec')?.value, `${field}.spec.timeWindow`, 'missing (e.g. - duration: 30d)');
    const windows = r.list(windowNode.value, `${field}.spec.timeWindow`, 1);
    if (windows.length !== 1) r.fail(windowNode.value, `${field}.spec.timeWindow`, 'give exactly one time window');
    const tw = r.map(windows[0], `${field}.spec.timeWindow[0]`, ['duration', 'isRolling'], {
      calendar: 'calendar windows are not supported: nines measures rolling periods',
    });
    const durationNode = tw.get('duration');
    if (!durationNode) r.fail(windows[0], `${field}.spec.timeWindow[0].duration`, 'missing (e.g. 30d)');
    const rolling = tw.get('isRolling');
    if (rolling && !r.boolean(rolling.value, `${field}.spec.timeWindow[0].isRolling`)) {
      r.fail(rolling.value, `${field}.spec.timeWindow[0].isRolling`, 'only rolling windows are supported');
    }
    const ms = r.duration(durationNode.value, `${field}.spec.timeWindow[0].duration`);
    if (periodMs !== undefined && ms !== periodMs) {
      r.fail(durationNode.value, `${field}.spec.timeWindow[0].duration`, `differs from the first SLO's (${r.where(periodNode)}); nines uses one period`);
    }
    periodMs = ms;
    periodNode = durationNode.value;
    const indicator = readIndicator(r, spec, slis, field);
    const objNode = spec.get('objectives');
    if (!objNode) r.fail(top.get('spec')?.value, `${field}.spec.objectives`, 'missing (e.g. - target: 0.999)');
    const list = r.list(objNode.value, `${field}.spec.objectives`, SloLimits.objectivesMax);
    list.forEach((node, i) => {
      const f = `${field}.spec.objectives[${i}]`;
      const o = r.map(node, f, ['displayName', 'target', 'targetPercent'], {
        op: 'op/value are for threshold metrics; nines reads ratio metrics only',
        value: 'op/value are for threshold metrics; nines reads ratio metrics only',
        timeSliceTarget: 'only budgetingMethod Occurrences is supported',
        timeSliceWindow: 'only budgetingMethod Occurrences is supported',
        indicator: 'put the indicator in the SLO spec, not in an objective',
        indicatorRef: 'put the indicator in the SLO spec, not in an objective',
        compositeWeight: 'composite SLOs are not supported',
      });
      const target = readTarget(r, o, node, f);
      objectives.push({
        ...indicator,
        name: list.length === 1 ? name : `${name}-${i + 1}`,
        target,
      });
    });
  }
  try {
    const spec: SloSpec = buildSloSpec({ periodMs: periodMs!, objectives, ...(service ? { service } : {}) });
    return { spec, warnings };
  } catch (err) {
    if (err instanceof InvalidArgumentError) {
      throw new InvalidArgumentError(`${r.where(slos[0]!.doc.contents)}: ${err.message}`, { cause: err });
    }
    throw err;
  }
}

function metadataName(r: YamlReader, node: YamlNode, field: string): string {
  const m = r.map(node, field, ['name', 'displayName', 'labels', 'annotations']);
  const name = m.get('name');
  if (!name) r.fail(node, `${field}.name`, 'missing');
  return r.text(name.value, `${field}.name`);
}

function readTarget(r: YamlReader, o: ReturnType<YamlReader['map']>, node: YamlNode, f: string): number {
  const t = o.get('target');
  const tp = o.get('targetPercent');
  if (t && tp) r.fail(tp.key, `${f}.targetPercent`, 'give target or targetPercent, not both');
  if (t) {
    const v = r.number(t.value, `${f}.target`);
    if (!(v > 0 && v < 1)) r.fail(t.value, `${f}.target`, `OpenSLO target is a fraction in (0, 1), e.g. 0.999; got ${v}`);
    return v;
  }
  if (tp) {
    const v = r.number(tp.value, `${f}.targetPercent`);
    if (!(v > 0 && v < 100)) r.fail(tp.value, `${f}.targetPercent`, `must be in (0, 100), got ${v}`);
    return Number((v / 100).toPrecision(12));
  }
  return r.fail(node, `${f}.target`, 'missing (target: 0.999 or targetPercent: 99.9)');
}

type Indicator = Pick<Objective, 'kind'> & { latencyThresholdMs?: number; methods?: string[] };

function readIndicator(
  r: YamlReader,
  spec: ReturnType<YamlReader['map']>,
  slis: ReadonlyMap<string, YamlNode>,
  field: string,
): Indicator {
  const inline = spec.get('indicator');
  const ref = spec.get('indicatorRef');
  if (inline && ref) r.fail(ref.key, `${field}.spec.indicatorRef`, 'give indicator or indicatorRef, not both');
  let sliSpec: YamlNode;
  if (inline) {
    const ind = r.map(inline.value, `${field}.spec.indicator`, ['metadata', 'spec']);
    sliSpec = ind.get('spec')?.value;
    if (!sliSpec) r.fail(inline.value, `${field}.spec.indicator.spec`, 'missing');
  } else if (ref) {
    const refName = r.text(ref.value, `${field}.spec.indicatorRef`);
    if (!slis.has(refName)) r.fail(ref.value, `${field}.spec.indicatorRef`, `no kind: SLI document named "${refName}" in this file`);
    sliSpec = slis.get(refName);
  } else {
    return r.fail(spec.get('objectives')?.key, `${field}.spec.indicator`, 'missing (indicator or indicatorRef)');
  }
  const s = r.map(sliSpec, `${field}.indicator.spec`, ['description', 'ratioMetric'], {
    thresholdMetric: 'only ratioMetric indicators are supported',
  });
  const ratio = s.get('ratioMetric');
  if (!ratio) r.fail(sliSpec, `${field}.indicator.spec.ratioMetric`, 'missing');
  const rm = r.map(ratio.value, `${field}.ratioMetric`, ['counter', 'good', 'bad', 'total'], {
    raw: 'raw ratio metrics are not supported: use good/total',
    rawType: 'raw ratio metrics are not supported: use good/total',
  });
  const source = rm.get('good') ?? rm.get('bad');
  if (!source) r.fail(ratio.value, `${field}.ratioMetric.good`, 'missing (good or bad)');
  const query = readQuery(r, source.value, `${field}.ratioMetric.${source.key.value as string}`);
  return classifyQuery(r, query.node, query.text, field);
}

function readQuery(r: YamlReader, node: YamlNode, field: string): { node: YamlNode; text: string } {
  const ms = r.map(node, field, ['metricSource']);
  const src = ms.get('metricSource');
  if (!src) r.fail(node, `${field}.metricSource`, 'missing');
  const m = r.map(src.value, `${field}.metricSource`, ['type', 'metricSourceRef', 'spec']);
  const spec = m.get('spec');
  if (!spec || !isMap(spec.value)) r.fail(src.value, `${field}.metricSource.spec`, 'missing (with a query)');
  const q = spec.value.get('query', true) as YamlNode;
  if (!q) r.fail(spec.value, `${field}.metricSource.spec.query`, 'missing');
  return { node: q, text: r.string(q, `${field}.metricSource.spec.query`) };
}

function classifyQuery(r: YamlReader, node: YamlNode, query: string, field: string): Indicator {
  const methods = methodsOf(query);
  const extra = methods ? { methods } : {};
  if (query.includes('nines_request_duration_seconds_bucket')) {
    const le = /le\s*=\s*"([^"]+)"/.exec(query);
    const seconds = Number(le?.[1]);
    if (!le || !(seconds > 0) || !Number.isFinite(seconds)) {
      r.fail(node, `${field}.query`, 'a latency indicator needs an le="<seconds>" matcher on nines_request_duration_seconds_bucket');
    }
    return { kind: 'latency', latencyThresholdMs: Number((seconds * 1000).toPrecision(12)), ...extra };
  }
  if (query.includes('nines_requests_total')) return { kind: 'availability', ...extra };
  return r.fail(
    node,
    `${field}.query`,
    'nines measures its own SLIs: the query must use nines_requests_total (availability) or nines_request_duration_seconds_bucket{le=...} (latency)',
  );
}

function methodsOf(query: string): string[] | undefined {
  const eq = /method\s*=\s*"([^"]+)"/.exec(query);
  if (eq) return [eq[1]!];
  const re = /method\s*=~\s*"([^"]+)"/.exec(query);
  if (re) return re[1]!.split('|').filter((m) => m.length > 0);
  return undefined;
}
