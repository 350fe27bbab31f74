/**
 * Scenario parameters (analysis spec §2.4, §2.5): an explicit spec/specs is passed through untouched (the Scenario
 * agent validates it); otherwise `changes` come from params.changes or from the question's change expressions
 * (router/scenario-changes.ts), with metric, sector(s) and horizon_months resolved default → entity → explicit.
 */
import { AnalysisError, type Intent, type Sector, type SectorOrAll, type SeriesMetric } from '../model.js';
import type { ParamWarning, ResolveInput, ResolvedParams, ParamClarification } from '../intent-params.js';
import { clarificationOnly, EntityMapper, type ParamAccepts } from './entity-mapper.js';
import { buildScenarioChange, defaultScenarioChanges, noChange, type ScenarioChange } from './scenario-changes.js';

/** Longest horizon of a scenario spec (§3.5); longer forward times are capped (HORIZON_CAPPED). */
export const SCENARIO_MAX_HORIZON = 96;

type Params = Record<string, unknown>;

/** What the scenario resolution needs from the intent's parameter table. */
export interface ScenarioParamTable {
  /** Parameter names in table order. */
  names: readonly string[];
  defaults: Readonly<Record<string, unknown>>;
  accepts: ParamAccepts;
  /** Throws when the resolved params do not match the schema (a programming error). */
  validate(params: Params): void;
}

function clone<T>(v: T): T {
  return Array.isArray(v) ? (v.slice() as T) : v;
}

/** Scenario params of scenario.apply, .compare or .batch (see the module comment). */
export function resolveScenarioParams(
  intent: Intent,
  explicit: Params,
  input: ResolveInput,
  def: ScenarioParamTable,
): ResolvedParams {
  const kind = intent === 'scenario.apply' ? 'apply' : intent === 'scenario.compare' ? 'compare' : 'batch';
  const specKey = kind === 'apply' ? 'spec' : 'specs';
  const mapper = new EntityMapper(intent, input.mode === 'ask' ? input.entities : undefined, def.accepts);
  const e = mapper.entities;

  if (explicit[specKey] !== undefined) {
    const params: Params = {};
    for (const name of def.names) if (explicit[name] !== undefined) params[name] = explicit[name];
    e.changes.forEach((c) => mapper.ignore('changes', c, `params.${specKey} was given`));
    e.sectors.forEach((_, i) => mapper.useSector(i));
    return { params, defaults_applied: [], entities_ignored: mapper.ignoredList(), warnings: [], clarification: null };
  }
  if (input.mode === 'endpoint' && explicit.changes === undefined) {
    throw new AnalysisError('missing_param', `params.${specKey} is required`);
  }
  if (input.mode === 'ask' && !mapper.seriesOnly()) return clarificationOnly(mapper.clarification);

  const warnings: ParamWarning[] = [];
  const defaultsApplied: string[] = [];
  const pick = <T>(name: string, fromEntity: T | undefined): T => {
    if (explicit[name] !== undefined) return explicit[name] as T;
    if (fromEntity !== undefined) return fromEntity;
    const d = def.defaults[name];
    defaultsApplied.push(name);
    return clone(d) as T;
  };

  // Metric: the first change expression naming one, else the first metric named, else the default.
  const explicitChanges = explicit.changes as ScenarioChange[] | undefined;
  const ownMetric = e.changes.find((c) => c.metric !== null)?.metric ?? undefined;
  const entityMetric = (ownMetric ?? e.metrics[0]) as SeriesMetric | undefined;
  const metric = pick<SeriesMetric>('metric', explicitChanges?.[0]?.metric ?? entityMetric);
  if (entityMetric !== undefined && explicit.metric === undefined) mapper.useMetric(entityMetric);

  // Horizon: the first forward time, capped at 96 months.
  let horizonFromEntity: number | undefined;
  const fi = e.time.findIndex((t) => t.kind === 'forward');
  if (fi >= 0) {
    const t = e.time[fi]!;
    if (t.kind === 'forward') {
      mapper.useTime(fi);
      horizonFromEntity = Math.min(t.forward_months, SCENARIO_MAX_HORIZON);
      if (t.forward_months > SCENARIO_MAX_HORIZON && explicit.horizon_months === undefined) {
        warnings.push({
          code: 'HORIZON_CAPPED',
          message: `The question asks for ${t.forward_months} months ahead; the horizon is capped at ${SCENARIO_MAX_HORIZON} months.`,
          details: { requested_months: t.forward_months, horizon_months: SCENARIO_MAX_HORIZON },
        });
      }
    }
  }

  // Changes.
  const usedChanges = new Set<number>();
  let built: ScenarioChange[] = [];
  let invalidReason: string | undefined;
  if (explicitChanges !== undefined) {
    built = explicitChanges.map((c) => ({ ...c }));
    e.changes.forEach((c) => mapper.ignore('changes', c, 'params.changes was given'));
  } else {
    e.changes.forEach((c, i) => {
      if (c.metric !== null && c.metric !== metric) {
        mapper.ignore('changes', c, `names ${c.metric}, while the scenario metric is ${metric}`);
        return;
      }
      const r = buildScenarioChange(c, metric);
      if (!r.ok) {
        invalidReason ??= r.reason;
        mapper.ignore('changes', c, r.reason);
        return;
      }
      if (r.assumedPercentagePoints) {
        warnings.push({
          code: 'ASSUMED_PERCENTAGE_POINTS',
          message: `"${c.text}" has no unit; ${metric} is a percentage, so the change is read as ${c.magnitude} percentage points.`,
          details: { text: c.text, magnitude: c.magnitude },
        });
      }
      usedChanges.add(i);
      built.push(r.change);
    });
    const limit = kind === 'batch' ? 1 : 10;
    if (built.length > limit) {
      const extra = [...usedChanges].slice(limit);
      for (const i of extra) {
        usedChanges.delete(i);
        mapper.ignore(
          'changes',
          e.changes[i],
          kind === 'batch' ? 'a batch applies one change to every sector' : 'at most 10 scenarios are compared',
        );
      }
      built = built.slice(0, limit);
    }
    if (kind === 'compare') {
      if (built.length === 1) built.push(noChange(metric));
      else if (built.length === 0 && e.cues.scenario_cases) {
        built = defaultScenarioChanges(metric);
        warnings.push({
          code: 'DEFAULT_SCENARIOS_USED',
          message:
            'The question gives no numbers; three default scenarios are compared: 5% lower, no change, 5% higher.',
          details: { scenarios: built.map((c) => c.label) },
        });
      }
    }
  }
  if (built.length === 0) {
    const clarification: ParamClarification = { reason: 'missing_parameter', missing: ['changes'] };
    if (invalidReason !== undefined) clarification.detail = invalidReason;
    return { params: {}, defaults_applied: [], entities_ignored: [], warnings: [], clarification };
  }

  const params: Params = {};
  if (kind === 'batch') {
    const named: Sector[] = [];
    e.sectors.forEach((s, i) => {
      mapper.useSector(i);
      if (s !== 'ALL') named.push(s);
    });
    params.changes = built;
    params.sectors = pick('sectors', named.length > 0 ? named : undefined);
    params.weights = explicit.weights !== undefined ? explicit.weights : null;
    params.metric = metric;
    params.horizon_months = pick('horizon_months', horizonFromEntity);
  } else {
    let sector: SectorOrAll | undefined;
    if (e.sectors.length > 0) {
      sector = e.sectors[0]!;
      mapper.useSector(0);
    }
    params.changes = built;
    params.metric = metric;
    params.sector = pick('sector', sector);
    params.horizon_months = pick('horizon_months', horizonFromEntity);
    if (kind === 'apply' && explicit.format !== undefined) params.format = explicit.format;
  }
  def.validate(params);
  return {
    params,
    defaults_applied: defaultsApplied,
    entities_ignored: mapper.ignoredList(usedChanges),
    warnings,
    clarification: null,
  };
}
