import { isMapping, typeName } from './yaml-types.js';
import type {
  Constraints,
  CsvParams,
  QuerySpec,
  SourceType,
  TransformStep,
  TransformName,
  Unit,
  WorldBankParams,
  PostgresParams,
} from '../model.js';
import { UNITS } from '../model.js';
import type { SpecIssue } from './issues.js';
import { checkCsvPattern } from '../connectors/csv-pattern.js';
import { isTransformName, TRANSFORM_NAMES, validateTransformParams } from '../transforms/catalogue.js';
import { validateArgDeclarations } from './postgres-args.js';
import { checkSql } from './sql-safety.js';

export const SPEC_ID_PATTERN = /^[A-Za-z][A-Za-z0-9_]{0,127}$/;
const TOP_LEVEL_KEYS = [
  'id',
  'title',
  'description',
  'source',
  'params',
  'expected_unit',
  'constraints',
  'postprocess',
];
const CONSTRAINT_KEYS = ['sum_to_one', 'freshness_sla_days', 'cache_ttl_s'];
const CSV_KEYS = ['pattern', 'select', 'year', 'max_rows', 'timeout_s', 'to_percent'];
const WB_KEYS = ['indicator', 'countries', 'year', 'start_year', 'end_year', 'max_rows', 'timeout_s'];
const PG_KEYS = ['sql', 'args', 'dataset', 'max_rows', 'timeout_s'];
const SOURCES: readonly SourceType[] = ['csv', 'world_bank', 'postgres'];
const WB_INDICATOR = /^[A-Za-z0-9_]+(\.[A-Za-z0-9_]+)*$/;
const ISO3 = /^[A-Za-z]{3}$/;
const DATASET = /^[a-z_][a-z0-9_]*(\.[a-z_][a-z0-9_]*)?$/;

/** Overridable params per source (data-layer spec §1.3); postgres overrides are its declared args. */
export const OVERRIDABLE_KEYS: Readonly<Record<'csv' | 'world_bank', readonly string[]>> = {
  csv: ['year', 'max_rows', 'timeout_s', 'to_percent'],
  world_bank: ['countries', 'year', 'start_year', 'end_year', 'max_rows', 'timeout_s'],
};

export type Mapping = Record<string, unknown>;

export { isMapping };

/** Collects issues while checking one mapping; every check returns whether the value is usable. */
export class FieldChecker {
  readonly issues: SpecIssue[] = [];

  add(path: string, code: SpecIssue['code'], message: string): void {
    this.issues.push({ path, code, message });
  }

  closedKeys(obj: Mapping, allowed: readonly string[], base: string): void {
    for (const key of Object.keys(obj)) {
      if (!allowed.includes(key)) {
        this.add(join(base, key), 'unknown_key', `unknown key "${key}"; allowed: ${[...allowed].sort().join(', ')}`);
      }
    }
  }

  requiredString(obj: Mapping, key: string, base: string, maxLen?: number): string | undefined {
    const path = join(base, key);
    if (!(key in obj) || obj[key] === undefined) {
      this.add(path, 'missing_field', 'required');
      return undefined;
    }
    return this.string(obj[key], path, maxLen);
  }

  string(v: unknown, path: string, maxLen?: number): string | undefined {
    if (typeof v !== 'string') {
      this.add(path, 'invalid_type', `expected a string, got ${typeName(v)}`);
      return undefined;
    }
    if (v.trim().length === 0) {
      this.add(path, 'invalid_value', 'must not be empty');
      return undefined;
    }
    if (maxLen !== undefined && v.length > maxLen) {
      this.add(path, 'invalid_value', `longer than ${maxLen} characters`);
      return undefined;
    }
    return v;
  }

  integer(v: unknown, path: string, min: number, max: number): number | undefined {
    if (typeof v !== 'number' || !Number.isSafeInteger(v)) {
      this.add(path, 'invalid_type', `expected an integer, got ${typeName(v)}`);
      return undefined;
    }
    if (v < min || v > max) {
      this.add(path, 'invalid_value', `must be between ${min} and ${max}, got ${v}`);
      return undefined;
    }
    return v;
  }

  timeout(v: unknown, path: string, max: number): number | undefined {
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      this.add(path, 'invalid_type', `expected a number, got ${typeName(v)}`);
      return undefined;
    }
    if (!(v > 0 && v <= max)) {
      this.add(path, 'invalid_value', `must be > 0 and ≤ ${max}, got ${v}`);
      return undefined;
    }
    return v;
  }

  stringList(
    v: unknown,
    path: string,
    opts: { unique?: boolean; minItems?: number; item?: RegExp },
  ): string[] | undefined {
    if (!Array.isArray(v)) {
      this.add(path, 'invalid_type', `expected a list, got ${typeName(v)}`);
      return undefined;
    }
    let ok = true;
    const seen = new Set<string>();
    v.forEach((item, i) => {
      const p = `${path}[${i}]`;
      if (typeof item !== 'string') {
        this.add(p, 'invalid_type', `expected a string, got ${typeName(item)}`);
        ok = false;
      } else if (item.trim().length === 0) {
        this.add(p, 'invalid_value', 'must not be empty');
        ok = false;
      } else if (opts.item && !opts.item.test(item)) {
        this.add(p, 'invalid_value', `"${item}" does not match ${opts.item.source}`);
        ok = false;
      } else if (opts.unique && seen.has(item)) {
        this.add(p, 'invalid_value', `duplicate entry "${item}"`);
        ok = false;
      } else {
        seen.add(item);
      }
    });
    if (opts.minItems !== undefined && v.length < opts.minItems) {
      this.add(path, 'invalid_value', `needs at least ${opts.minItems} item(s)`);
      ok = false;
    }
    return ok ? (v as string[]) : undefined;
  }
}

export function join(base: string, key: string): string {
  return base ? `${base}.${key}` : key;
}

/** Validates csv params (load time and, with the same rules, effective params after overrides). */
export function checkCsvParams(c: FieldChecker, p: Mapping, base: string): CsvParams | undefined {
  c.closedKeys(p, CSV_KEYS, base);
  const before = c.issues.length;
  const pattern = c.requiredString(p, 'pattern', base);
  if (pattern !== undefined) {
    const reason = checkCsvPattern(pattern);
    if (reason !== null) c.add(join(base, 'pattern'), 'unsafe_pattern', reason);
  }
  if ('select' in p) c.stringList(p.select, join(base, 'select'), { unique: true });
  if ('year' in p) c.integer(p.year, join(base, 'year'), 1000, 9999);
  if ('max_rows' in p) c.integer(p.max_rows, join(base, 'max_rows'), 1, Number.MAX_SAFE_INTEGER);
  if ('timeout_s' in p) c.timeout(p.timeout_s, join(base, 'timeout_s'), 300);
  if ('to_percent' in p) c.stringList(p.to_percent, join(base, 'to_percent'), {});
  if (c.issues.length > before) return undefined;
  return { ...p, pattern: (pattern as string).trim() } as unknown as CsvParams;
}

export function checkWorldBankParams(c: FieldChecker, p: Mapping, base: string): WorldBankParams | undefined {
  c.closedKeys(p, WB_KEYS, base);
  const before = c.issues.length;
  const indicator = c.requiredString(p, 'indicator', base, 64);
  if (indicator !== undefined && !WB_INDICATOR.test(indicator)) {
    c.add(join(base, 'indicator'), 'invalid_value', `"${indicator}" is not a World Bank indicator id`);
  }
  let countries: string[] | undefined;
  if ('countries' in p) {
    countries = c.stringList(p.countries, join(base, 'countries'), { item: ISO3 });
  }
  if ('year' in p) c.integer(p.year, join(base, 'year'), 1900, 2100);
  const start = 'start_year' in p ? c.integer(p.start_year, join(base, 'start_year'), 1900, 2100) : undefined;
  const end = 'end_year' in p ? c.integer(p.end_year, join(base, 'end_year'), 1900, 2100) : undefined;
  if ('year' in p && ('start_year' in p || 'end_year' in p)) {
    c.add(join(base, 'year'), 'invalid_value', 'year cannot be combined with start_year/end_year');
  }
  if (start !== undefined && end !== undefined && start > end) {
    c.add(join(base, 'start_year'), 'invalid_value', `start_year ${start} is after end_year ${end}`);
  }
  if ('max_rows' in p) c.integer(p.max_rows, join(base, 'max_rows'), 1, Number.MAX_SAFE_INTEGER);
  if ('timeout_s' in p) c.timeout(p.timeout_s, join(base, 'timeout_s'), 300);
  if (c.issues.length > before) return undefined;
  const out: Mapping = { ...p };
  if (countries) out.countries = countries.map((x) => x.toUpperCase());
  return out as unknown as WorldBankParams;
}

function checkPostgresParams(c: FieldChecker, p: Mapping, base: string): PostgresParams | undefined {
  c.closedKeys(p, PG_KEYS, base);
  const before = c.issues.length;
  const sql = c.requiredString(p, 'sql', base, 20000);
  const dataset = c.requiredString(p, 'dataset', base);
  if (dataset !== undefined && !DATASET.test(dataset)) {
    c.add(join(base, 'dataset'), 'invalid_value', `"${dataset}" is not a dataset label like lmis.view_name`);
  }
  if ('max_rows' in p) c.integer(p.max_rows, join(base, 'max_rows'), 1, Number.MAX_SAFE_INTEGER);
  if ('timeout_s' in p) c.timeout(p.timeout_s, join(base, 'timeout_s'), 120);
  const { decls, issues } = validateArgDeclarations('args' in p ? p.args : [], join(base, 'args'));
  c.issues.push(...issues);
  if (sql !== undefined && issues.length === 0) c.issues.push(...checkSql(sql, decls));
  if (c.issues.length > before) return undefined;
  return { ...p, args: decls } as unknown as PostgresParams;
}

function checkConstraints(c: FieldChecker, v: unknown): Constraints {
  if (v === undefined || v === null) return {};
  if (!isMapping(v)) {
    c.add('constraints', 'invalid_type', `expected a mapping, got ${typeName(v)}`);
    return {};
  }
  c.closedKeys(v, CONSTRAINT_KEYS, 'constraints');
  const out: Constraints = {};
  if ('sum_to_one' in v) {
    if (typeof v.sum_to_one !== 'boolean') {
      c.add('constraints.sum_to_one', 'invalid_type', `expected a boolean, got ${typeName(v.sum_to_one)}`);
    } else out.sum_to_one = v.sum_to_one;
  }
  if ('freshness_sla_days' in v) {
    const n = c.integer(v.freshness_sla_days, 'constraints.freshness_sla_days', 0, Number.MAX_SAFE_INTEGER);
    if (n !== undefined) out.freshness_sla_days = n;
  }
  if ('cache_ttl_s' in v) {
    const n = c.integer(v.cache_ttl_s, 'constraints.cache_ttl_s', 0, 86400);
    if (n !== undefined && n !== 0 && n < 60) {
      c.add('constraints.cache_ttl_s', 'invalid_value', `must be 0 or between 60 and 86400, got ${n}`);
    } else if (n !== undefined) out.cache_ttl_s = n;
  }
  return out;
}

function checkPostprocess(c: FieldChecker, v: unknown): TransformStep[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) {
    c.add('postprocess', 'invalid_type', `expected a list, got ${typeName(v)}`);
    return [];
  }
  const steps: TransformStep[] = [];
  v.forEach((step, i) => {
    const base = `postprocess[${i}]`;
    if (!isMapping(step)) {
      c.add(base, 'invalid_type', `expected a mapping {name, params}, got ${typeName(step)}`);
      return;
    }
    c.closedKeys(step, ['name', 'params'], base);
    const name = c.requiredString(step, 'name', base);
    if (name === undefined) return;
    if (!isTransformName(name)) {
      c.add(`${base}.name`, 'unknown_transform', `"${name}" is not a transform; valid: ${TRANSFORM_NAMES.join(', ')}`);
      return;
    }
    const params = step.params === undefined || step.params === null ? {} : step.params;
    const issues = validateTransformParams(name, params, `${base}.params`);
    c.issues.push(...issues);
    if (issues.length === 0) steps.push({ name: name as TransformName, params: params as Record<string, unknown> });
  });
  return steps;
}

/** Validates one parsed spec document; returns the spec when it has no issues. */
export function validateSpecDocument(doc: Mapping, file: string): { spec?: QuerySpec; issues: SpecIssue[] } {
  const c = new FieldChecker();
  c.closedKeys(doc, TOP_LEVEL_KEYS, '');
  const id = c.requiredString(doc, 'id', '');
  if (id !== undefined && !SPEC_ID_PATTERN.test(id)) {
    c.add('id', 'invalid_value', `"${id}" must match ${SPEC_ID_PATTERN.source}`);
  }
  const title = c.requiredString(doc, 'title', '', 200);
  const description = c.requiredString(doc, 'description', '', 2000);
  let source: SourceType | undefined;
  if (!('source' in doc)) c.add('source', 'missing_field', 'required');
  else if (typeof doc.source !== 'string')
    c.add('source', 'invalid_type', `expected a string, got ${typeName(doc.source)}`);
  else if (!SOURCES.includes(doc.source as SourceType)) {
    c.add('source', 'invalid_value', `"${doc.source}" is not one of ${SOURCES.join(', ')}`);
  } else source = doc.source as SourceType;

  let unit: Unit = 'unknown';
  if ('expected_unit' in doc) {
    if (typeof doc.expected_unit !== 'string') {
      c.add('expected_unit', 'invalid_type', `expected a string, got ${typeName(doc.expected_unit)}`);
    } else if (!UNITS.includes(doc.expected_unit as Unit)) {
      c.add('expected_unit', 'invalid_value', `"${doc.expected_unit}" is not one of ${UNITS.join(', ')}`);
    } else unit = doc.expected_unit as Unit;
  }

  const rawParams = doc.params === undefined || doc.params === null ? {} : doc.params;
  let params: unknown;
  if (!isMapping(rawParams)) {
    c.add('params', 'invalid_type', `expected a mapping, got ${typeName(rawParams)}`);
  } else if (source === 'csv') params = checkCsvParams(c, rawParams, 'params');
  else if (source === 'world_bank') params = checkWorldBankParams(c, rawParams, 'params');
  else if (source === 'postgres') params = checkPostgresParams(c, rawParams, 'params');

  const constraints = checkConstraints(c, doc.constraints);
  const postprocess = checkPostprocess(c, doc.postprocess);

  if (c.issues.length > 0) return { issues: c.issues };
  const spec = {
    id: id as string,
    title: (title as string).trim(),
    description: (description as string).trim(),
    source: source as SourceType,
    params,
    expected_unit: unit,
    constraints,
    postprocess,
    file,
  } as QuerySpec;
  return { spec, issues: [] };
}
