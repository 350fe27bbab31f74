/**
 * Parameters per intent (analysis spec §2.4): a strict JSON schema per intent (unknown names rejected), defaults,
 * the parameters agent endpoints require, and resolution in the order default → entity-mapped → explicit.
 *
 * - Schema violations of explicit params (type, range, unknown name) raise ParamsValidationError (HTTP 422
 *   validation_failed). Semantic problems raise AnalysisError: missing_param, unknown_metric, unknown_sector,
 *   invalid_param (HTTP 400).
 * - In `ask` mode, entities the intent cannot use go to `entities_ignored`; a question whose metric the intent does
 *   not support, or a scenario question without a usable change, yields `clarification` instead of params.
 */
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import {
  AnalysisError,
  GCC_COUNTRIES,
  GCC_METRICS,
  INTENTS,
  SECTORS,
  SERIES_METRICS,
  type Intent,
  type MetricId,
  type SectorOrAll,
  type SeriesMetric,
  type WarningCode,
} from './model.js';
import { mirrorOf, type Entities } from './router/entities.js';
import { clarificationOnly, EntityMapper } from './router/entity-mapper.js';
import { resolveScenarioParams, SCENARIO_MAX_HORIZON } from './router/scenario-params.js';

export { mirrorOf };

export type ResolveMode = 'ask' | 'endpoint';

export interface ResolveInput {
  /** The question's entities (ask mode); absent on agent endpoints. */
  entities?: Entities;
  /** The request's `params`. */
  explicit?: Record<string, unknown> | null;
  mode: ResolveMode;
}

export type IgnoredEntityKind = 'sectors' | 'metrics' | 'countries' | 'time' | 'changes' | 'top_n' | 'methods';

export interface IgnoredEntity {
  entity: IgnoredEntityKind;
  value: unknown;
  reason: string;
}

export interface ParamWarning {
  code: WarningCode;
  message: string;
  details?: Record<string, unknown>;
}

export interface ParamClarification {
  reason: 'missing_parameter' | 'unsupported_metric';
  /** Parameter names the question does not supply (missing_parameter) or "metric" (unsupported_metric). */
  missing: string[];
  /** unsupported_metric: the metric the question named and the metrics the intent supports. */
  metric?: MetricId;
  supported?: readonly MetricId[];
  /** missing_parameter: why the question's change expressions could not be used, if it had any. */
  detail?: string;
}

export interface ResolvedParams {
  /** Effective parameters, keys in the order of the intent's parameter table. */
  params: Record<string, unknown>;
  /** Names of parameters that took a (non-null) default, in table order. */
  defaults_applied: string[];
  entities_ignored: IgnoredEntity[];
  warnings: ParamWarning[];
  /** Set (ask mode only) when the question cannot be answered as asked; `params` is then empty. */
  clarification: ParamClarification | null;
}

/** ajv-style schema failure of explicit params (HTTP 422 validation_failed). */
export class ParamsValidationError extends Error {
  readonly code = 'validation_failed';
  /** Service error details: path "body.params.<name>" (or "body.intent"). */
  readonly details: { path: string; message: string }[];

  constructor(
    readonly intent: string,
    readonly errors: readonly ErrorObject[],
    root = 'body.params',
  ) {
    const details = errors.map((e) => ({ path: errorPath(root, e), message: errorMessage(e) }));
    super(`params do not match the schema of ${intent}: ${details.map((d) => `${d.path} ${d.message}`).join('; ')}`);
    this.name = 'ParamsValidationError';
    this.details = details;
  }
}

function errorPath(root: string, e: ErrorObject): string {
  const base = root + e.instancePath.replace(/\//g, '.');
  if (e.keyword === 'additionalProperties') return `${base}.${String(e.params.additionalProperty)}`;
  if (e.keyword === 'required') return `${base}.${String(e.params.missingProperty)}`;
  return base;
}

function errorMessage(e: ErrorObject): string {
  if (e.keyword === 'additionalProperties') return `unknown parameter '${String(e.params.additionalProperty)}'`;
  if (e.keyword === 'enum') return `${e.message ?? 'invalid'}: ${(e.params.allowedValues as unknown[]).join(', ')}`;
  return e.message ?? 'invalid';
}

// ----------------------------------------------------------------------------------------------------------------
// Vocabularies

const CROSS_SECTION_METRICS: readonly SeriesMetric[] = SERIES_METRICS;
const FORECAST_METHODS = ['seasonal_naive', 'ewma', 'rolling_mean', 'theil_sen'] as const;
const CORRELATION_METHODS = ['spearman', 'pearson'] as const;
/** Longest horizon of predict.forecast and predict.scenario_compare (§2.4). */
const FORECAST_MAX_HORIZON = 24;

/** Cross-section metrics except `outcome` and its mirror, in canonical metric order. */
function defaultDrivers(outcome: MetricId, pool: readonly MetricId[] = CROSS_SECTION_METRICS): MetricId[] {
  return pool.filter((m) => m !== outcome && m !== mirrorOf(outcome));
}

// ----------------------------------------------------------------------------------------------------------------
// Schemas

type Schema = Record<string, unknown>;

const str = (max = 64): Schema => ({ type: 'string', minLength: 1, maxLength: max });
const strOrNull = (max = 64): Schema => ({ type: ['string', 'null'], minLength: 1, maxLength: max });
const num = (extra: Schema): Schema => ({ type: 'number', ...extra });
const int = (extra: Schema): Schema => ({ type: 'integer', ...extra });
const period: Schema = { type: ['string', 'null'], pattern: '^[0-9]{4}(-[0-9]{2})?(-[0-9]{2})?$' };
const frequency: Schema = { enum: ['auto', 'monthly', 'annual'] };
const metricList = (max: number): Schema => ({
  type: 'array',
  items: str(),
  minItems: 1,
  maxItems: max,
  uniqueItems: true,
});
const specValue: Schema = { type: ['object', 'string'] };
const TRANSFORM_SCHEMA: Schema = {
  oneOf: [
    {
      type: 'object',
      additionalProperties: false,
      required: ['type', 'value'],
      properties: { type: { const: 'additive' }, value: { type: 'number' } },
    },
    {
      type: 'object',
      additionalProperties: false,
      required: ['type', 'value'],
      properties: { type: { const: 'multiplicative' }, value: { type: 'number', minimum: -1, maximum: 1 } },
    },
    {
      type: 'object',
      additionalProperties: false,
      required: ['type', 'value'],
      properties: { type: { const: 'target_level' }, value: { type: 'number' } },
    },
    {
      type: 'object',
      additionalProperties: false,
      required: ['type', 'rate', 'per'],
      properties: {
        type: { const: 'growth_override' },
        rate: { type: 'number', minimum: -1, maximum: 1 },
        per: { enum: ['year', 'month'] },
      },
    },
  ],
};
/** One change as the router builds it (see router/scenario-changes.ts). */
export const CHANGE_SCHEMA: Schema = {
  type: 'object',
  additionalProperties: false,
  required: ['metric', 'direction', 'magnitude', 'unit', 'mode', 'transform'],
  properties: {
    metric: str(),
    direction: { enum: [-1, 0, 1] },
    magnitude: { type: 'number', minimum: 0 },
    unit: { enum: ['percent', 'pp', 'qar', 'plain'] },
    mode: { enum: ['by', 'to', 'rate'] },
    rate_period: { enum: ['year', 'month'] },
    text: { type: 'string', maxLength: 500 },
    label: { type: 'string', minLength: 1, maxLength: 100 },
    transform: TRANSFORM_SCHEMA,
  },
};
const changes = (min: number, max: number): Schema => ({
  type: 'array',
  items: CHANGE_SCHEMA,
  minItems: min,
  maxItems: max,
});

// ----------------------------------------------------------------------------------------------------------------
// Intent definitions

type Params = Record<string, unknown>;
type DefaultValue = unknown | ((p: Params) => unknown);

interface IntentDef {
  properties: Record<string, Schema>;
  defaults: Record<string, DefaultValue>;
  /** Required on agent endpoints; in ask mode a default fills them with DEFAULT_APPLIED (§3.0.3). */
  required: readonly string[];
  /** Alternatives of which one is required on endpoints (scenario spec/specs or changes). */
  requiredOneOf?: readonly string[];
  /** Metric-valued params and the metrics each allows (explicit values outside: unknown_metric). */
  metrics: Record<string, readonly MetricId[]>;
  /** Metric-list params and the metrics they allow. */
  metricLists?: Record<string, readonly MetricId[]>;
  /** Sector params: 'series' allows ALL, 'focus' turns ALL into null, 'strict' forbids ALL. */
  sectors: Record<string, 'series' | 'focus' | 'strict'>;
  sectorLists?: Record<string, 'strict'>;
  /** Maps the question's entities (ask mode). */
  map(m: EntityMapper): void;
  /** Checks across params after resolution; throws AnalysisError invalid_param. */
  check?(p: Params, intent: Intent): void;
}

const focusSector = { focus_sector: strOrNull() };
const seriesBase = {
  metric: str(),
  sector: str(),
  start: period,
  end: period,
  base_period: period,
  frequency,
};
const seriesDefaults = {
  metric: 'employment',
  sector: 'ALL',
  start: null,
  end: null,
  base_period: null,
  frequency: 'auto',
};

const DEFS: Record<Intent, IntentDef> = {
  'pattern.anomalies': {
    properties: {
      metric: str(),
      level: { enum: ['sector', 'company'] },
      sector: strOrNull(),
      z_threshold: num({ exclusiveMinimum: 0 }),
      min_sample_size: int({ minimum: 3 }),
      winsor_p: num({ minimum: 0, maximum: 0.25 }),
    },
    defaults: {
      metric: 'attrition',
      level: 'sector',
      sector: null,
      z_threshold: 2.5,
      min_sample_size: 5,
      winsor_p: 0.05,
    },
    required: [],
    metrics: { metric: ['attrition', 'retention', 'qatarization', 'avg_salary', 'employment'] },
    sectors: { sector: 'focus' },
    map(m) {
      const metric = m.firstAllowed('metric', ['attrition', 'retention', 'qatarization', 'avg_salary', 'employment']);
      const sector = m.focusSector('sector');
      if (m.entities.cues.company && sector !== null && (metric === null || metric === 'retention')) {
        m.set('level', 'company');
        m.set('metric', 'retention');
      }
    },
    check(p) {
      if (p.level === 'company' && (p.sector === null || p.metric !== 'retention')) {
        throw new AnalysisError('invalid_param', 'level company needs a named sector and the metric retention');
      }
    },
  },

  'pattern.correlation': {
    properties: {
      x_metric: str(),
      y_metric: str(),
      method: { enum: [...CORRELATION_METHODS] },
      min_correlation: num({ exclusiveMinimum: 0, maximum: 1 }),
      min_sample_size: int({ minimum: 3 }),
      ...focusSector,
    },
    defaults: {
      x_metric: 'qatarization',
      y_metric: 'attrition',
      method: 'spearman',
      min_correlation: 0.5,
      min_sample_size: 5,
      focus_sector: null,
    },
    required: [],
    metrics: { x_metric: CROSS_SECTION_METRICS, y_metric: CROSS_SECTION_METRICS },
    sectors: { focus_sector: 'focus' },
    map(m) {
      const pair = m.metricPair(CROSS_SECTION_METRICS);
      if (pair) {
        const [a, b] = pair;
        if (b !== null) {
          m.set('x_metric', a);
          m.set('y_metric', b);
        } else if (a === 'attrition' || a === 'retention') {
          m.set('x_metric', 'qatarization');
          m.set('y_metric', a);
        } else {
          m.set('x_metric', a);
          m.set('y_metric', 'attrition');
        }
      }
      m.method('method', CORRELATION_METHODS);
      m.focusSector('focus_sector');
    },
    check(p) {
      pairCheck(p.x_metric as MetricId, p.y_metric as MetricId, 'x_metric', 'y_metric');
    },
  },

  'pattern.root_causes': {
    properties: {
      outcome: str(),
      drivers: metricList(CROSS_SECTION_METRICS.length),
      top_n: int({ minimum: 1, maximum: 50 }),
      ...focusSector,
    },
    defaults: {
      outcome: 'attrition',
      drivers: (p: Params) => defaultDrivers(p.outcome as MetricId),
      top_n: 3,
      focus_sector: null,
    },
    required: [],
    metrics: { outcome: ['attrition', 'retention', 'qatarization'] },
    metricLists: { drivers: CROSS_SECTION_METRICS },
    sectors: { focus_sector: 'focus' },
    map(m) {
      // metrics[0] → outcome if allowed, other metrics → drivers (§2.4); only metrics without a sector
      // cross-section (the GCC ones) make the question unsupported.
      if (!m.crossSectionOnly()) return;
      const outcome = m.firstAllowed('outcome', ['attrition', 'retention', 'qatarization'], false) ?? 'attrition';
      m.drivers('drivers', outcome, CROSS_SECTION_METRICS);
      m.topN('top_n');
      m.focusSector('focus_sector');
    },
    check(p) {
      driversCheck(p.outcome as MetricId, p.drivers as MetricId[]);
    },
  },

  'pattern.best_practices': {
    properties: { metric: str(), top_n: int({ minimum: 1, maximum: 50 }), ...focusSector },
    defaults: { metric: 'qatarization', top_n: 5, focus_sector: null },
    required: [],
    metrics: { metric: ['qatarization', 'retention', 'attrition', 'avg_salary'] },
    sectors: { focus_sector: 'focus' },
    map(m) {
      m.firstAllowed('metric', ['qatarization', 'retention', 'attrition', 'avg_salary']);
      m.topN('top_n');
      m.focusSector('focus_sector');
    },
  },

  'strategy.gcc_benchmark': {
    properties: {
      metric: str(),
      source: { enum: ['synthetic', 'world_bank'] },
      countries: { type: 'array', items: { enum: [...GCC_COUNTRIES] }, minItems: 1, maxItems: 6, uniqueItems: true },
      min_countries: int({ minimum: 2, maximum: 6 }),
    },
    defaults: {
      metric: 'unemployment',
      source: (p: Params) => (p.metric === 'unemployment' ? 'synthetic' : 'world_bank'),
      countries: [...GCC_COUNTRIES],
      min_countries: 3,
    },
    required: [],
    metrics: { metric: GCC_METRICS },
    sectors: {},
    map(m) {
      m.firstAllowed('metric', GCC_METRICS);
      m.countries();
      if (m.entities.cues.world_bank) m.set('source', 'world_bank');
    },
    check(p) {
      if (p.source === 'synthetic' && p.metric !== 'unemployment') {
        throw new AnalysisError(
          'invalid_param',
          `source synthetic covers unemployment only, not '${String(p.metric)}'`,
        );
      }
    },
  },

  'strategy.talent_competition': {
    properties: { high_multiplier: num({ exclusiveMinimum: 1 }), ...focusSector },
    defaults: { high_multiplier: 1.5, focus_sector: null },
    required: [],
    metrics: {},
    sectors: { focus_sector: 'focus' },
    map(m) {
      // The method always reads attrition and salaries: those metrics are part of the question, not ignored.
      m.useMetrics(['attrition', 'avg_salary', 'retention']);
      m.focusSector('focus_sector');
    },
  },

  'strategy.vision2030': {
    properties: {
      target_percent: num({ exclusiveMinimum: 0, maximum: 100 }),
      target_year: int({ minimum: 2000, maximum: 2100 }),
      ...focusSector,
    },
    defaults: { target_percent: 30, target_year: 2030, focus_sector: null },
    required: [],
    metrics: {},
    sectors: { focus_sector: 'focus' },
    map(m) {
      m.useMetrics(['qatarization']);
      const t = m.entities.cues.target_percent;
      if (t !== null) m.set('target_percent', t);
      m.targetYear('target_year');
      m.focusSector('focus_sector');
    },
  },

  'pattern.stable_relations': {
    properties: {
      outcome: str(),
      drivers: metricList(SERIES_METRICS.length),
      sector: str(),
      window: { type: ['integer', 'null'], minimum: 4 },
      min_support: { type: ['integer', 'null'], minimum: 1 },
      method: { enum: [...CORRELATION_METHODS] },
      frequency,
    },
    defaults: {
      outcome: 'retention',
      drivers: (p: Params) => defaultDrivers(p.outcome as MetricId, SERIES_METRICS),
      sector: 'ALL',
      window: null,
      min_support: null,
      method: 'spearman',
      frequency: 'auto',
    },
    required: ['outcome'],
    metrics: { outcome: SERIES_METRICS },
    metricLists: { drivers: SERIES_METRICS },
    sectors: { sector: 'series' },
    map(m) {
      if (!m.seriesOnly()) return;
      const outcome = m.firstAllowed('outcome', SERIES_METRICS);
      if (outcome !== null) m.drivers('drivers', outcome, SERIES_METRICS);
      m.seriesSector('sector');
      m.method('method', CORRELATION_METHODS);
    },
    check(p) {
      driversCheck(p.outcome as MetricId, p.drivers as MetricId[]);
    },
  },

  'pattern.seasonal_effects': {
    properties: {
      outcome: str(),
      sector: str(),
      min_support: int({ minimum: 1 }),
      min_lift_percent: num({ minimum: 0 }),
    },
    defaults: { outcome: 'employment', sector: 'ALL', min_support: 24, min_lift_percent: 15 },
    required: ['outcome'],
    metrics: { outcome: SERIES_METRICS },
    sectors: { sector: 'series' },
    map(m) {
      if (!m.seriesOnly()) return;
      m.firstAllowed('outcome', SERIES_METRICS);
      m.seriesSector('sector');
    },
  },

  'pattern.driver_screen': {
    properties: {
      driver: str(),
      outcome: str(),
      cohorts: { type: 'array', items: str(), minItems: 1, maxItems: 30, uniqueItems: true },
      windows: {
        type: ['array', 'null'],
        items: { anyOf: [{ type: 'integer', minimum: 4 }, { const: 'all' }] },
        minItems: 1,
        maxItems: 4,
        uniqueItems: true,
      },
      min_support: { type: ['integer', 'null'], minimum: 1 },
    },
    defaults: { driver: 'avg_salary', outcome: 'retention', cohorts: [...SECTORS], windows: null, min_support: null },
    required: ['driver', 'outcome'],
    metrics: { driver: SERIES_METRICS, outcome: SERIES_METRICS },
    sectors: {},
    sectorLists: { cohorts: 'strict' },
    map(m) {
      if (!m.seriesOnly()) return;
      const pair = m.metricPair(SERIES_METRICS);
      if (pair) {
        const [a, b] = pair;
        if (b !== null) {
          m.set('driver', a);
          m.set('outcome', b);
        } else if (a === 'avg_salary') {
          m.set('driver', 'avg_salary');
          m.set('outcome', 'retention');
        } else {
          m.set('outcome', a);
          m.set('driver', 'avg_salary');
        }
      }
      m.cohorts('cohorts');
    },
    check(p) {
      pairCheck(p.driver as MetricId, p.outcome as MetricId, 'driver', 'outcome');
    },
  },

  'time.baseline': timeDef({}, {}),
  'time.trend': timeDef({ alpha: num({ exclusiveMinimum: 0, maximum: 1 }) }, { alpha: 0.25 }),
  'time.breaks': timeDef(
    {
      z_threshold: num({ exclusiveMinimum: 0 }),
      cusum_k: num({ minimum: 0 }),
      cusum_h: num({ exclusiveMinimum: 0 }),
    },
    { z_threshold: 2.5, cusum_k: 1.0, cusum_h: 5.0 },
  ),

  'predict.forecast': {
    properties: {
      metric: str(),
      sector: str(),
      horizon_months: int({ minimum: 1, maximum: FORECAST_MAX_HORIZON }),
      end: period,
      frequency,
    },
    defaults: { metric: 'employment', sector: 'ALL', horizon_months: 6, end: null, frequency: 'auto' },
    required: ['metric'],
    metrics: { metric: SERIES_METRICS },
    sectors: { sector: 'series' },
    map(m) {
      if (!m.seriesOnly()) return;
      m.firstAllowed('metric', SERIES_METRICS);
      m.seriesSector('sector');
      m.horizon('horizon_months', FORECAST_MAX_HORIZON);
    },
  },

  'predict.early_warning': {
    properties: { metric: str(), sector: strOrNull(), end: period, frequency },
    defaults: { metric: 'employment', sector: null, end: null, frequency: 'auto' },
    required: ['metric'],
    metrics: { metric: SERIES_METRICS },
    sectors: { sector: 'series' },
    map(m) {
      if (!m.seriesOnly()) return;
      m.firstAllowed('metric', SERIES_METRICS);
      // "all sectors" / "nationally" → every sector plus ALL, ranked (sector null).
      m.focusSector('sector');
    },
  },

  'predict.scenario_compare': {
    properties: {
      metric: str(),
      sector: str(),
      horizon_months: int({ minimum: 1, maximum: FORECAST_MAX_HORIZON }),
      methods: { type: 'array', items: { enum: [...FORECAST_METHODS] }, minItems: 1, maxItems: 4, uniqueItems: true },
      end: period,
      frequency,
    },
    defaults: {
      metric: 'employment',
      sector: 'ALL',
      horizon_months: 6,
      methods: [...FORECAST_METHODS],
      end: null,
      frequency: 'auto',
    },
    required: ['metric'],
    metrics: { metric: SERIES_METRICS },
    sectors: { sector: 'series' },
    map(m) {
      if (!m.seriesOnly()) return;
      m.firstAllowed('metric', SERIES_METRICS);
      m.seriesSector('sector');
      m.horizon('horizon_months', FORECAST_MAX_HORIZON);
      m.methodList('methods', FORECAST_METHODS);
    },
  },

  'scenario.apply': scenarioDef('apply'),
  'scenario.compare': scenarioDef('compare'),
  'scenario.batch': scenarioDef('batch'),
};

function timeDef(extra: Record<string, Schema>, extraDefaults: Record<string, unknown>): IntentDef {
  return {
    properties: { ...seriesBase, ...extra },
    defaults: { ...seriesDefaults, ...extraDefaults },
    required: ['metric'],
    metrics: { metric: SERIES_METRICS },
    sectors: { sector: 'series' },
    map(m) {
      if (!m.seriesOnly()) return;
      m.firstAllowed('metric', SERIES_METRICS);
      m.seriesSector('sector');
      m.window();
    },
  };
}

function scenarioDef(kind: 'apply' | 'compare' | 'batch'): IntentDef {
  const properties: Record<string, Schema> =
    kind === 'apply'
      ? {
          spec: specValue,
          changes: changes(1, 10),
          metric: str(),
          sector: str(),
          horizon_months: int({ minimum: 1, maximum: SCENARIO_MAX_HORIZON }),
          format: { enum: ['dict', 'json', 'yaml'] },
        }
      : kind === 'compare'
        ? {
            specs: { type: 'array', items: specValue, minItems: 2, maxItems: 10 },
            changes: changes(2, 10),
            metric: str(),
            sector: str(),
            horizon_months: int({ minimum: 1, maximum: SCENARIO_MAX_HORIZON }),
          }
        : {
            specs: {
              type: 'object',
              additionalProperties: specValue,
              minProperties: 1,
              maxProperties: SECTORS.length,
            },
            changes: changes(1, 10),
            sectors: { type: 'array', items: str(), minItems: 1, maxItems: SECTORS.length, uniqueItems: true },
            weights: { type: ['object', 'null'], additionalProperties: { type: 'number' } },
            metric: str(),
            horizon_months: int({ minimum: 1, maximum: SCENARIO_MAX_HORIZON }),
          };
  const specKey = kind === 'apply' ? 'spec' : 'specs';
  return {
    properties,
    // Only used when params are built from changes (see resolveScenario).
    defaults:
      kind === 'batch'
        ? { sectors: [...SECTORS], weights: null, metric: 'employment', horizon_months: 12 }
        : { metric: 'employment', sector: 'ALL', horizon_months: 12 },
    required: [],
    requiredOneOf: [specKey, 'changes'],
    metrics: { metric: SERIES_METRICS },
    sectors: kind === 'batch' ? {} : { sector: 'series' },
    sectorLists: kind === 'batch' ? { sectors: 'strict' } : undefined,
    map() {
      // Scenario params are built by resolveScenarioParams (router/scenario-params.ts).
    },
  };
}

function pairCheck(a: MetricId, b: MetricId, an: string, bn: string): void {
  if (a === b) throw new AnalysisError('invalid_param', `${an} and ${bn} must be different metrics (both '${a}')`);
  if (mirrorOf(a) === b) {
    throw new AnalysisError('invalid_param', `${an} '${a}' and ${bn} '${b}' mirror each other and cannot be paired`);
  }
}

function driversCheck(outcome: MetricId, drivers: readonly MetricId[]): void {
  for (const d of drivers) {
    if (d === outcome) throw new AnalysisError('invalid_param', `drivers cannot include the outcome '${outcome}'`);
    if (d === mirrorOf(outcome)) {
      throw new AnalysisError('invalid_param', `drivers cannot include '${d}', the mirror of the outcome '${outcome}'`);
    }
  }
}

// ----------------------------------------------------------------------------------------------------------------
// Public lookups

/** Parameters each agent endpoint requires (§2.4); for scenarios, one of the listed alternatives. */
export function requiredParams(intent: Intent): readonly string[] {
  const def = DEFS[intent];
  return def.requiredOneOf ?? def.required;
}

/** Metrics an intent supports for its main metric parameter (empty when it takes none). */
export function supportedMetrics(intent: Intent): readonly MetricId[] {
  const m = DEFS[intent].metrics;
  return m.metric ?? m.outcome ?? m.x_metric ?? m.driver ?? [];
}

/** The JSON schema of an intent's params (additionalProperties false). */
export function paramSchema(intent: Intent): Schema {
  return { type: 'object', additionalProperties: false, properties: DEFS[intent].properties };
}

/** Parameter names in table order. */
export function paramNames(intent: Intent): string[] {
  return Object.keys(DEFS[intent].properties);
}

const ajv = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true });
const validators = new Map<Intent, ValidateFunction>();

/** Accepts an entity-derived value only if it matches the parameter's schema. */
function accepter(intent: Intent) {
  const v = validatorOf(intent);
  return (name: string, value: unknown): boolean => v({ [name]: value });
}

function validatorOf(intent: Intent): ValidateFunction {
  let v = validators.get(intent);
  if (!v) {
    v = ajv.compile(paramSchema(intent));
    validators.set(intent, v);
  }
  return v;
}

/** Validates explicit params against the intent schema; throws ParamsValidationError. */
export function validateParams(intent: Intent, params: unknown): void {
  const v = validatorOf(intent);
  if (!v(params)) throw new ParamsValidationError(intent, v.errors ?? []);
}

/** 422 for an intent outside the catalogue (request field `intent`). */
export function unknownIntentError(intent: unknown): ParamsValidationError {
  return new ParamsValidationError(
    String(intent),
    [
      {
        instancePath: '',
        schemaPath: '#/enum',
        keyword: 'enum',
        params: { allowedValues: [...INTENTS] },
        message: 'must be equal to one of the allowed values',
      },
    ],
    'body.intent',
  );
}

function isIntent(s: unknown): s is Intent {
  return typeof s === 'string' && (INTENTS as readonly string[]).includes(s);
}

// ----------------------------------------------------------------------------------------------------------------
// Resolution

/**
 * Resolves an intent's params: defaults, then values mapped from entities (ask mode), then explicit values.
 * Throws ParamsValidationError (422) or AnalysisError (400) for bad explicit params.
 */
export function resolveParams(intent: Intent, input: ResolveInput): ResolvedParams {
  if (!isIntent(intent)) throw unknownIntentError(intent);
  const def = DEFS[intent];
  const explicitRaw = input.explicit ?? {};
  if (typeof explicitRaw !== 'object' || Array.isArray(explicitRaw)) {
    throw new ParamsValidationError(intent, [
      {
        instancePath: '',
        schemaPath: '#/type',
        keyword: 'type',
        params: { type: 'object' },
        message: 'must be object',
      },
    ]);
  }
  validateParams(intent, explicitRaw);
  const explicit = normaliseExplicit(intent, def, explicitRaw);

  if (intent.startsWith('scenario.')) {
    return resolveScenarioParams(intent, explicit, input, {
      names: Object.keys(def.properties),
      defaults: def.defaults as Record<string, unknown>,
      accepts: accepter(intent),
      validate: (params) => validateResolved(intent, params),
    });
  }

  const mapper = new EntityMapper(intent, input.mode === 'ask' ? input.entities : undefined, accepter(intent));
  if (input.mode === 'ask' && input.entities) def.map(mapper);
  if (mapper.clarification) return clarificationOnly(mapper.clarification);

  const params: Params = {};
  const defaultsApplied: string[] = [];
  const warnings: ParamWarning[] = [...mapper.warnings];
  for (const name of Object.keys(def.properties)) {
    if (Object.prototype.hasOwnProperty.call(explicit, name)) {
      params[name] = explicit[name];
      continue;
    }
    if (mapper.values.has(name)) {
      params[name] = mapper.values.get(name);
      continue;
    }
    if (def.required.includes(name) && input.mode === 'endpoint') {
      throw new AnalysisError('missing_param', `params.${name} is required`);
    }
    const d = def.defaults[name];
    const value = typeof d === 'function' ? (d as (p: Params) => unknown)(params) : clone(d);
    if (value === undefined) continue;
    params[name] = value;
    if (value !== null) defaultsApplied.push(name);
    if (def.required.includes(name)) {
      warnings.push({
        code: 'DEFAULT_APPLIED',
        message: `The question names no ${name}; the default ${String(value)} is used.`,
        details: { param: name, value },
      });
    }
  }
  // Entity-mapped values that an explicit value or a later rule replaced are no longer "used".
  mapper.releaseOverridden(explicit);
  def.check?.(params, intent);
  validateResolved(intent, params);
  return {
    params,
    defaults_applied: defaultsApplied,
    entities_ignored: mapper.ignoredList(),
    warnings,
    clarification: null,
  };
}

/** A safety net: resolved params always match the schema; a failure here is a programming error. */
function validateResolved(intent: Intent, params: Params): void {
  const v = validatorOf(intent);
  if (!v(params))
    throw new Error(`internal: resolved params of ${intent} do not match the schema: ${ajv.errorsText(v.errors)}`);
}

function clone<T>(v: T): T {
  return Array.isArray(v) ? (v.slice() as T) : v;
}

/** Semantic checks on explicit values: metric and sector vocabularies, canonical sector spelling. */
function normaliseExplicit(intent: Intent, def: IntentDef, raw: Record<string, unknown>): Params {
  const out: Params = { ...raw };
  for (const [name, allowed] of Object.entries(def.metrics)) {
    if (out[name] !== undefined) checkMetric(intent, out[name] as string, allowed);
  }
  for (const [name, allowed] of Object.entries(def.metricLists ?? {})) {
    if (Array.isArray(out[name])) for (const m of out[name] as string[]) checkMetric(intent, m, allowed);
  }
  for (const [name, kind] of Object.entries(def.sectors)) {
    if (out[name] === undefined || out[name] === null) continue;
    const s = canonicalSector(out[name] as string);
    if (kind === 'strict' && s === 'ALL') throw new AnalysisError('invalid_param', `params.${name} cannot be ALL`);
    out[name] = kind === 'focus' && s === 'ALL' ? null : s;
  }
  for (const [name] of Object.entries(def.sectorLists ?? {})) {
    if (!Array.isArray(out[name])) continue;
    out[name] = (out[name] as string[]).map((x) => {
      const s = canonicalSector(x);
      if (s === 'ALL') throw new AnalysisError('invalid_param', `params.${name} cannot include ALL`);
      return s;
    });
  }
  if (intent === 'strategy.gcc_benchmark' && Array.isArray(out.countries)) {
    const set = new Set<string>(out.countries as string[]);
    set.add('QAT');
    out.countries = GCC_COUNTRIES.filter((c) => set.has(c));
  }
  if (out.spec !== undefined && out.changes !== undefined) {
    throw new AnalysisError('invalid_param', 'give either params.spec or params.changes, not both');
  }
  if (out.specs !== undefined && out.changes !== undefined) {
    throw new AnalysisError('invalid_param', 'give either params.specs or params.changes, not both');
  }
  if (Array.isArray(out.changes)) {
    const metrics = (out.changes as { metric: string }[]).map((c) => c.metric);
    for (const m of metrics) checkMetric(intent, m, SERIES_METRICS);
    const metric = (out.metric as string | undefined) ?? metrics[0];
    if (metrics.some((m) => m !== metric)) {
      throw new AnalysisError('invalid_param', 'every change must use the same metric as params.metric');
    }
  }
  return out;
}

function checkMetric(intent: Intent, metric: string, allowed: readonly MetricId[]): void {
  if (!(allowed as readonly string[]).includes(metric)) {
    throw new AnalysisError(
      'unknown_metric',
      `unknown metric '${metric}' for ${intent}; supported: ${allowed.join(', ')}`,
    );
  }
}

/** Canonical spelling of a sector (case-insensitive) or ALL; anything else is unknown_sector. */
export function canonicalSector(name: string): SectorOrAll {
  const lower = name.trim().toLowerCase();
  if (lower === 'all') return 'ALL';
  const s = SECTORS.find((x) => x.toLowerCase() === lower);
  if (!s)
    throw new AnalysisError('unknown_sector', `unknown sector '${name}'; supported: ${[...SECTORS, 'ALL'].join(', ')}`);
  return s;
}
