/**
 * Scenario specs (analysis spec §3.5): parsing (JSON, safe YAML or an object) and validation into a normalised
 * ScenarioSpec. Every problem becomes an issue {path (JSON Pointer), code, message}; any issue makes the whole spec
 * invalid (AnalysisError `scenario_spec_invalid` with details {issues}). No I/O.
 */
import { parseDocument, type DocumentOptions, type ParseOptions, type SchemaOptions } from 'yaml';
import { AnalysisError, SECTORS, SERIES_METRICS, type SectorOrAll, type SeriesMetric } from '../model.js';

/** Largest accepted spec: 64 KiB of UTF-8 (a string as given, an object as its JSON text). */
export const MAX_SPEC_BYTES = 64 * 1024;
export const NAME_MAX_CHARS = 100;
export const DESCRIPTION_MAX_CHARS = 500;
export const HORIZON_MIN_MONTHS = 1;
export const HORIZON_MAX_MONTHS = 96;
export const DEFAULT_HORIZON_MONTHS = 12;
export const MIN_TRANSFORMS = 1;
export const MAX_TRANSFORMS = 10;
/** Bounds of multiplicative and growth_override values. */
export const RATE_MIN = -1;
export const RATE_MAX = 1;

/** Metric aliases accepted in specs (§3.5). */
export const METRIC_ALIASES: Readonly<Record<string, SeriesMetric>> = {
  salary: 'avg_salary',
  wage: 'avg_salary',
  turnover: 'attrition',
};

export const TRANSFORM_TYPES = ['additive', 'multiplicative', 'growth_override', 'clamp'] as const;
export type TransformType = (typeof TRANSFORM_TYPES)[number];

/** Where the spec came from: the reference-compatible `format` values. */
export const SPEC_FORMATS = ['dict', 'json', 'yaml'] as const;
export type SpecFormat = (typeof SPEC_FORMATS)[number];

/** The step range every transform has: 0-based forecast-step indices, end inclusive (null = to the end). */
export interface StepRange {
  start_month: number;
  end_month: number | null;
}

export interface AdditiveTransform extends StepRange {
  type: 'additive';
  value: number;
}

export interface MultiplicativeTransform extends StepRange {
  type: 'multiplicative';
  /** Within [-1, 1]: v · (1 + value). */
  value: number;
}

export interface GrowthOverrideTransform extends StepRange {
  type: 'growth_override';
  /** Per-step rate within [-1, 1]. */
  value: number;
}

export interface ClampTransform extends StepRange {
  type: 'clamp';
  /** At least one of min and max is set. */
  min: number | null;
  max: number | null;
}

export type ScenarioTransform = AdditiveTransform | MultiplicativeTransform | GrowthOverrideTransform | ClampTransform;

/** A validated, normalised spec: defaults filled in, aliases resolved, optional fields null when absent. */
export interface ScenarioSpec {
  name: string;
  description: string | null;
  metric: SeriesMetric;
  sector: SectorOrAll;
  horizon_months: number;
  transforms: ScenarioTransform[];
  clamp_min: number | null;
  clamp_max: number | null;
}

export type SpecIssueCode = 'required' | 'type' | 'out_of_range' | 'unknown_field' | 'parse_error';

export interface SpecIssue {
  /** JSON Pointer (RFC 6901) into the spec; "" is the spec itself. */
  path: string;
  code: SpecIssueCode;
  message: string;
  /** 1-based position of a parse error. */
  line?: number;
  column?: number;
}

export interface SpecParseOptions {
  /** Sector used when the spec names none (default ALL). */
  defaultSector?: SectorOrAll;
  /** Prefix for every issue path, e.g. "/specs/1" when the spec sits inside a list. */
  pathPrefix?: string;
}

export type SpecCheck = { ok: true; spec: ScenarioSpec; format: SpecFormat } | { ok: false; issues: SpecIssue[] };

const ROOT_FIELDS = [
  'name',
  'description',
  'metric',
  'sector',
  'horizon_months',
  'transforms',
  'clamp_min',
  'clamp_max',
  'format',
] as const;
const RANGE_FIELDS = ['start_month', 'end_month'] as const;
const VALUE_FIELDS = ['type', 'value', ...RANGE_FIELDS] as const;
const CLAMP_FIELDS = ['type', 'min', 'max', ...RANGE_FIELDS] as const;
const ANY_TRANSFORM_FIELDS = ['type', 'value', 'min', 'max', ...RANGE_FIELDS] as const;

/** One JSON Pointer reference token (RFC 6901: "~" → "~0", "/" → "~1"). */
export function pointerToken(key: string | number): string {
  return String(key).replace(/~/g, '~0').replace(/\//g, '~1');
}

function pointer(...keys: (string | number)[]): string {
  return keys.map((k) => `/${pointerToken(k)}`).join('');
}

type Json = Record<string, unknown>;

function isPlainObject(v: unknown): v is Json {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v) as unknown;
  return proto === Object.prototype || proto === null;
}

function has(o: Json, key: string): boolean {
  return Object.hasOwn(o, key) && o[key] !== undefined;
}

/** 1-based line and column of a character offset. */
function lineColumn(text: string, offset: number): { line: number; column: number } {
  const upTo = text.slice(0, Math.max(0, Math.min(offset, text.length)));
  const lines = upTo.split('\n');
  return { line: lines.length, column: (lines[lines.length - 1] ?? '').length + 1 };
}

function utf8Bytes(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

function tooLarge(bytes: number): SpecIssue {
  return {
    path: '',
    code: 'out_of_range',
    message: `spec must be at most 64 KiB (${MAX_SPEC_BYTES} bytes); got ${bytes} bytes`,
  };
}

function parseJson(text: string): { value: unknown } | { issue: SpecIssue } {
  try {
    return { value: JSON.parse(text) as unknown };
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    const m = /position (\d+)/.exec(message);
    const lc = /line (\d+) column (\d+)/.exec(message);
    const reason = (message.split('\n')[0] ?? message)
      .replace(/ in JSON at position \d+.*$/, '')
      .replace(/ \(line \d+ column \d+\)$/, '');
    const where = lc
      ? { line: Number(lc[1]), column: Number(lc[2]) }
      : lineColumn(text, m ? Number(m[1]) : text.length);
    return {
      issue: {
        path: '',
        code: 'parse_error',
        message: `invalid JSON at line ${where.line}, column ${where.column}: ${reason}`,
        ...where,
      },
    };
  }
}

const YAML_OPTIONS: ParseOptions & DocumentOptions & SchemaOptions = {
  version: '1.2',
  schema: 'core',
  customTags: [],
  merge: false,
  uniqueKeys: true,
  prettyErrors: true,
};

/** Aliases expanded at most this many times (guards against "billion laughs" documents). */
const YAML_MAX_ALIAS_COUNT = 100;

function parseYaml(text: string): { value: unknown } | { issue: SpecIssue } {
  const doc = parseDocument(text, YAML_OPTIONS);
  // Errors and warnings both reject the spec: an unresolved (custom) tag is a warning in the yaml package.
  const problem = doc.errors[0] ?? doc.warnings[0];
  if (problem) {
    const lp = problem.linePos?.[0];
    const { line, column } = lp ? { line: lp.line, column: lp.col } : lineColumn(text, problem.pos[0]);
    const first = problem.message.split('\n')[0] ?? problem.message;
    const reason = first.replace(/ at line \d+, column \d+:?$/, '');
    return {
      issue: {
        path: '',
        code: 'parse_error',
        message: `invalid YAML at line ${line}, column ${column}: ${reason}`,
        line,
        column,
      },
    };
  }
  try {
    return { value: doc.toJS({ maxAliasCount: YAML_MAX_ALIAS_COUNT }) as unknown };
  } catch (e) {
    const reason = e instanceof Error ? e.message : String(e);
    return {
      issue: {
        path: '',
        code: 'parse_error',
        message: `invalid YAML at line 1, column 1: ${reason}`,
        line: 1,
        column: 1,
      },
    };
  }
}

/**
 * Turns the raw input into a value: a string starting with "{" (after leading white space) is JSON, any other string
 * YAML, and anything else is used as is. Input over 64 KiB is refused before parsing.
 */
function decode(input: unknown): { value: unknown; format: SpecFormat } | { issue: SpecIssue } {
  if (typeof input === 'string') {
    const bytes = utf8Bytes(input);
    if (bytes > MAX_SPEC_BYTES) return { issue: tooLarge(bytes) };
    const text = input.replace(/^\uFEFF/, '');
    if (text.trimStart().startsWith('{')) {
      const r = parseJson(text);
      return 'issue' in r ? r : { value: r.value, format: 'json' };
    }
    const r = parseYaml(text);
    return 'issue' in r ? r : { value: r.value, format: 'yaml' };
  }
  let json: string | undefined;
  try {
    json = JSON.stringify(input);
  } catch {
    return { issue: { path: '', code: 'type', message: 'spec must be a JSON-compatible mapping' } };
  }
  if (json !== undefined) {
    const bytes = utf8Bytes(json);
    if (bytes > MAX_SPEC_BYTES) return { issue: tooLarge(bytes) };
  }
  return { value: input, format: 'dict' };
}

class IssueList {
  readonly items: SpecIssue[] = [];
  add(path: string, code: SpecIssueCode, message: string): void {
    this.items.push({ path, code, message });
  }
}

function describeType(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  if (typeof v === 'number' && !Number.isFinite(v)) return 'a non-finite number';
  return `a ${typeof v}`;
}

function textField(
  o: Json,
  key: string,
  issues: IssueList,
  opts: { required: boolean; max: number; min: number },
): string | null {
  const path = pointer(key);
  if (!has(o, key) || o[key] === null) {
    if (opts.required) issues.add(path, 'required', `${key} is required`);
    return null;
  }
  const v = o[key];
  if (typeof v !== 'string') {
    issues.add(path, 'type', `${key} must be a string, not ${describeType(v)}`);
    return null;
  }
  const trimmed = v.trim();
  const chars = [...trimmed].length;
  if (chars < opts.min || chars > opts.max) {
    issues.add(
      path,
      'out_of_range',
      opts.min > 0
        ? `${key} must be ${opts.min} to ${opts.max} characters; got ${chars}`
        : `${key} must be at most ${opts.max} characters; got ${chars}`,
    );
    return null;
  }
  return trimmed;
}

/** A finite number, or null when absent/null (and, when required, an issue). */
function numberField(o: Json, key: string, path: string, issues: IssueList, required: boolean): number | null {
  if (!has(o, key) || o[key] === null) {
    if (required) issues.add(path, 'required', `${key} is required`);
    return null;
  }
  const v = o[key];
  if (typeof v !== 'number' || !Number.isFinite(v)) {
    issues.add(path, 'type', `${key} must be a finite number, not ${describeType(v)}`);
    return null;
  }
  return v;
}

/** An integer, or null when absent/null; `undefined` when present but invalid (an issue was added). */
function integerField(o: Json, key: string, path: string, issues: IssueList): number | null | undefined {
  if (!has(o, key) || o[key] === null) return null;
  const v = o[key];
  if (typeof v !== 'number' || !Number.isSafeInteger(v)) {
    issues.add(path, 'type', `${key} must be an integer, not ${describeType(v)}`);
    return undefined;
  }
  return v;
}

/** Resolves a metric name or alias (case-insensitive) to a series metric; null when unknown. */
export function resolveMetric(name: string): SeriesMetric | null {
  const key = name.trim().toLowerCase();
  if ((SERIES_METRICS as readonly string[]).includes(key)) return key as SeriesMetric;
  return METRIC_ALIASES[key] ?? null;
}

/** Resolves a sector name (case-insensitive) to its canonical spelling or ALL; null when unknown. */
export function resolveSector(name: string): SectorOrAll | null {
  const key = name.trim().toLowerCase();
  if (key === 'all') return 'ALL';
  return SECTORS.find((s) => s.toLowerCase() === key) ?? null;
}

function checkUnknown(o: Json, allowed: readonly string[], base: (string | number)[], issues: IssueList): void {
  for (const key of Object.keys(o)) {
    if (o[key] === undefined || allowed.includes(key)) continue;
    issues.add(pointer(...base, key), 'unknown_field', `unknown field "${key}"`);
  }
}

function parseTransform(raw: unknown, index: number, issues: IssueList): ScenarioTransform | null {
  const base = ['transforms', index];
  const here = pointer(...base);
  if (!isPlainObject(raw)) {
    issues.add(here, 'type', `transforms/${index} must be a mapping, not ${describeType(raw)}`);
    return null;
  }
  const before = issues.items.length;
  let type: TransformType | null = null;
  if (!has(raw, 'type') || raw.type === null) issues.add(pointer(...base, 'type'), 'required', 'type is required');
  else if (typeof raw.type !== 'string') {
    issues.add(pointer(...base, 'type'), 'type', `type must be a string, not ${describeType(raw.type)}`);
  } else if (!(TRANSFORM_TYPES as readonly string[]).includes(raw.type)) {
    issues.add(pointer(...base, 'type'), 'out_of_range', `type must be one of ${TRANSFORM_TYPES.join(', ')}`);
  } else type = raw.type as TransformType;

  checkUnknown(
    raw,
    type === null ? ANY_TRANSFORM_FIELDS : type === 'clamp' ? CLAMP_FIELDS : VALUE_FIELDS,
    base,
    issues,
  );

  const start = integerField(raw, 'start_month', pointer(...base, 'start_month'), issues);
  if (typeof start === 'number' && start < 0) {
    issues.add(pointer(...base, 'start_month'), 'out_of_range', 'start_month must be at least 0');
  }
  const end = integerField(raw, 'end_month', pointer(...base, 'end_month'), issues);
  const startMonth = typeof start === 'number' ? start : 0;
  if (typeof end === 'number' && end < startMonth) {
    issues.add(pointer(...base, 'end_month'), 'out_of_range', 'end_month must be at least start_month');
  }
  const range: StepRange = { start_month: startMonth, end_month: typeof end === 'number' ? end : null };

  if (type === null) return null;
  if (type === 'clamp') {
    const min = numberField(raw, 'min', pointer(...base, 'min'), issues, false);
    const max = numberField(raw, 'max', pointer(...base, 'max'), issues, false);
    const minGiven = has(raw, 'min') && raw.min !== null;
    const maxGiven = has(raw, 'max') && raw.max !== null;
    if (!minGiven && !maxGiven) issues.add(here, 'required', 'clamp needs min, max or both');
    if (min !== null && max !== null && min > max) {
      issues.add(pointer(...base, 'max'), 'out_of_range', 'clamp max must be at least min');
    }
    return issues.items.length > before ? null : { type, min, max, ...range };
  }
  const value = numberField(raw, 'value', pointer(...base, 'value'), issues, true);
  if (value !== null && type !== 'additive' && (value < RATE_MIN || value > RATE_MAX)) {
    issues.add(pointer(...base, 'value'), 'out_of_range', `${type} value must be within [-1, 1]`);
  }
  if (issues.items.length > before || value === null) return null;
  return { type, value, ...range };
}

function validate(value: unknown, options: SpecParseOptions): { spec: ScenarioSpec | null; issues: SpecIssue[] } {
  const issues = new IssueList();
  if (!isPlainObject(value)) {
    issues.add('', 'type', `spec must be a mapping, not ${describeType(value)}`);
    return { spec: null, issues: issues.items };
  }
  const o = value;
  checkUnknown(o, ROOT_FIELDS, [], issues);

  const name = textField(o, 'name', issues, { required: true, min: 1, max: NAME_MAX_CHARS });
  const description = textField(o, 'description', issues, { required: false, min: 0, max: DESCRIPTION_MAX_CHARS });

  let metric: SeriesMetric | null = null;
  if (!has(o, 'metric') || o.metric === null) issues.add('/metric', 'required', 'metric is required');
  else if (typeof o.metric !== 'string') {
    issues.add('/metric', 'type', `metric must be a string, not ${describeType(o.metric)}`);
  } else {
    metric = resolveMetric(o.metric);
    if (metric === null) {
      issues.add(
        '/metric',
        'out_of_range',
        `metric must be one of ${SERIES_METRICS.join(', ')} (or salary, wage, turnover)`,
      );
    }
  }

  let sector: SectorOrAll = options.defaultSector ?? 'ALL';
  if (has(o, 'sector') && o.sector !== null) {
    if (typeof o.sector !== 'string')
      issues.add('/sector', 'type', `sector must be a string, not ${describeType(o.sector)}`);
    else {
      const s = resolveSector(o.sector);
      if (s === null) issues.add('/sector', 'out_of_range', `sector must be one of ${SECTORS.join(', ')} or ALL`);
      else sector = s;
    }
  }

  let horizon = DEFAULT_HORIZON_MONTHS;
  const h = integerField(o, 'horizon_months', '/horizon_months', issues);
  if (typeof h === 'number') {
    if (h < HORIZON_MIN_MONTHS || h > HORIZON_MAX_MONTHS) {
      issues.add(
        '/horizon_months',
        'out_of_range',
        `horizon_months must be within ${HORIZON_MIN_MONTHS}..${HORIZON_MAX_MONTHS}`,
      );
    } else horizon = h;
  }

  const transforms: ScenarioTransform[] = [];
  if (!has(o, 'transforms') || o.transforms === null) issues.add('/transforms', 'required', 'transforms is required');
  else if (!Array.isArray(o.transforms)) {
    issues.add('/transforms', 'type', `transforms must be a list, not ${describeType(o.transforms)}`);
  } else if (o.transforms.length < MIN_TRANSFORMS || o.transforms.length > MAX_TRANSFORMS) {
    issues.add(
      '/transforms',
      'out_of_range',
      `transforms must hold ${MIN_TRANSFORMS} to ${MAX_TRANSFORMS} items; got ${o.transforms.length}`,
    );
  } else {
    o.transforms.forEach((t, i) => {
      const parsed = parseTransform(t, i, issues);
      if (parsed) transforms.push(parsed);
    });
  }

  const clampMin = numberField(o, 'clamp_min', '/clamp_min', issues, false);
  const clampMax = numberField(o, 'clamp_max', '/clamp_max', issues, false);
  if (clampMin !== null && clampMax !== null && !(clampMin < clampMax)) {
    issues.add('/clamp_max', 'out_of_range', 'clamp_max must be greater than clamp_min');
  }

  if (has(o, 'format') && o.format !== null) {
    if (typeof o.format !== 'string')
      issues.add('/format', 'type', `format must be a string, not ${describeType(o.format)}`);
    else if (!(SPEC_FORMATS as readonly string[]).includes(o.format)) {
      issues.add('/format', 'out_of_range', `format must be one of ${SPEC_FORMATS.join(', ')}`);
    }
  }

  if (issues.items.length > 0 || name === null || metric === null) return { spec: null, issues: issues.items };
  return {
    spec: {
      name,
      description,
      metric,
      sector,
      horizon_months: horizon,
      transforms,
      clamp_min: clampMin,
      clamp_max: clampMax,
    },
    issues: [],
  };
}

function prefixed(issues: SpecIssue[], prefix: string | undefined): SpecIssue[] {
  if (!prefix) return issues;
  return issues.map((i) => ({ ...i, path: prefix + i.path }));
}

/** Parses and validates without throwing: the normalised spec and the input's format, or every issue found. */
export function checkScenarioSpec(input: unknown, options: SpecParseOptions = {}): SpecCheck {
  const decoded = decode(input);
  if ('issue' in decoded) return { ok: false, issues: prefixed([decoded.issue], options.pathPrefix) };
  const { spec, issues } = validate(decoded.value, options);
  if (spec === null) return { ok: false, issues: prefixed(issues, options.pathPrefix) };
  return { ok: true, spec, format: decoded.format };
}

/** The AnalysisError for a list of issues: `scenario_spec_invalid`, details {issues}. */
export function specInvalidError(issues: SpecIssue[]): AnalysisError {
  const first = issues[0];
  const head = first ? `${first.path === '' ? '(spec)' : first.path}: ${first.message}` : 'invalid spec';
  const more = issues.length > 1 ? ` (and ${issues.length - 1} more issue${issues.length > 2 ? 's' : ''})` : '';
  return new AnalysisError('scenario_spec_invalid', `scenario spec is invalid: ${head}${more}`, { issues });
}

/** Parses and validates a spec; throws AnalysisError('scenario_spec_invalid') listing every issue. */
export function parseScenarioSpec(input: unknown, options: SpecParseOptions = {}): ScenarioSpec {
  const r = checkScenarioSpec(input, options);
  if (!r.ok) throw specInvalidError(r.issues);
  return r.spec;
}
