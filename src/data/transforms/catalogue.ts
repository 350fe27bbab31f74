import { isMapping, typeName } from '../registry/yaml-types.js';
import type { TransformName } from '../model.js';
import type { SpecIssue } from '../registry/issues.js';

/** Parameter rules of one transform (data-layer spec §6); keys outside the schema are `unknown_key`. */
type ParamRule =
  | { kind: 'string'; required: boolean }
  | { kind: 'stringList'; required: boolean; minItems: number; unique: boolean }
  | { kind: 'integer'; required: boolean; min?: number }
  | { kind: 'number'; required: boolean }
  | { kind: 'booleanOrNull'; required: boolean }
  | { kind: 'scalarMapping'; required: boolean }
  | { kind: 'nonEmptyStringMapping'; required: boolean };

const SCHEMAS: Readonly<Record<TransformName, Readonly<Record<string, ParamRule>>>> = {
  select: { columns: { kind: 'stringList', required: true, minItems: 1, unique: true } },
  filter_equals: { where: { kind: 'scalarMapping', required: true } },
  rename_columns: { mapping: { kind: 'nonEmptyStringMapping', required: true } },
  to_percent: {
    columns: { kind: 'stringList', required: true, minItems: 1, unique: false },
    scale: { kind: 'number', required: false },
  },
  top_n: {
    sort_key: { kind: 'string', required: true },
    n: { kind: 'integer', required: true },
    descending: { kind: 'booleanOrNull', required: false },
  },
  share_of_total: {
    group_keys: { kind: 'stringList', required: true, minItems: 0, unique: false },
    value_key: { kind: 'string', required: true },
    out_key: { kind: 'string', required: false },
  },
  yoy: {
    key: { kind: 'string', required: true },
    sort_keys: { kind: 'stringList', required: true, minItems: 1, unique: false },
    out_key: { kind: 'string', required: false },
  },
  rolling_avg: {
    key: { kind: 'string', required: true },
    sort_keys: { kind: 'stringList', required: true, minItems: 1, unique: false },
    window: { kind: 'integer', required: false, min: 1 },
    out_key: { kind: 'string', required: false },
  },
};

/** The closed transform catalogue, sorted (the order `unknown_transform` messages list them in). */
export const TRANSFORM_NAMES: readonly TransformName[] = Object.freeze(
  (Object.keys(SCHEMAS) as TransformName[]).sort(),
);

export function isTransformName(name: string): name is TransformName {
  return Object.hasOwn(SCHEMAS, name);
}

/**
 * Checks the `params` of one postprocess step against the §6 schema at load time. `params` null or absent
 * means `{}`; `basePath` is e.g. `postprocess[1].params`, so issues read `postprocess[1].params.n`.
 */
export function validateTransformParams(name: string, params: unknown, basePath: string): SpecIssue[] {
  const issues: SpecIssue[] = [];
  const add = (path: string, code: SpecIssue['code'], message: string): void => {
    issues.push({ path, code, message });
  };
  if (!isTransformName(name)) {
    add(basePath, 'unknown_transform', `"${name}" is not a transform; valid: ${TRANSFORM_NAMES.join(', ')}`);
    return issues;
  }
  const value = params === undefined || params === null ? {} : params;
  if (!isMapping(value)) {
    add(basePath, 'invalid_type', `expected a mapping, got ${typeName(value)}`);
    return issues;
  }
  const schema = SCHEMAS[name];
  const allowed = Object.keys(schema).sort();
  for (const key of Object.keys(value)) {
    if (!Object.hasOwn(schema, key)) {
      add(`${basePath}.${key}`, 'unknown_key', `unknown key "${key}" for ${name}; allowed: ${allowed.join(', ')}`);
    }
  }
  for (const [key, rule] of Object.entries(schema)) {
    const path = `${basePath}.${key}`;
    if (!Object.hasOwn(value, key) || value[key] === undefined) {
      if (rule.required) add(path, 'missing_field', 'required');
      continue;
    }
    checkRule(rule, value[key], path, add);
  }
  return issues;
}

function checkRule(
  rule: ParamRule,
  v: unknown,
  path: string,
  add: (path: string, code: SpecIssue['code'], message: string) => void,
): void {
  switch (rule.kind) {
    case 'string':
      if (typeof v !== 'string') add(path, 'invalid_type', `expected a string, got ${typeName(v)}`);
      return;
    case 'integer':
      // YAML integers arrive as JS numbers; "5" or 5.5 is the wrong type, not an out-of-range value.
      if (typeof v !== 'number' || !Number.isInteger(v)) {
        add(path, 'invalid_type', `expected an integer, got ${typeName(v)}`);
      } else if (rule.min !== undefined && v < rule.min) {
        add(path, 'invalid_value', `must be ≥ ${rule.min}, got ${v}`);
      }
      return;
    case 'number':
      if (typeof v !== 'number') add(path, 'invalid_type', `expected a number, got ${typeName(v)}`);
      else if (!Number.isFinite(v)) add(path, 'invalid_value', `must be a finite number, got ${v}`);
      return;
    case 'booleanOrNull':
      if (v !== null && typeof v !== 'boolean')
        add(path, 'invalid_type', `expected a boolean or null, got ${typeName(v)}`);
      return;
    case 'stringList': {
      if (!Array.isArray(v)) {
        add(path, 'invalid_type', `expected a list of strings, got ${typeName(v)}`);
        return;
      }
      const seen = new Set<string>();
      v.forEach((item: unknown, i) => {
        if (typeof item !== 'string') add(`${path}[${i}]`, 'invalid_type', `expected a string, got ${typeName(item)}`);
        else if (rule.unique && seen.has(item)) add(`${path}[${i}]`, 'invalid_value', `duplicate entry "${item}"`);
        else seen.add(item);
      });
      if (v.length < rule.minItems) add(path, 'invalid_value', `needs at least ${rule.minItems} item(s)`);
      return;
    }
    case 'scalarMapping':
      if (!isMapping(v)) {
        add(path, 'invalid_type', `expected a mapping, got ${typeName(v)}`);
        return;
      }
      for (const [key, item] of Object.entries(v)) {
        const t = typeof item;
        if (item !== null && t !== 'string' && t !== 'number' && t !== 'boolean') {
          add(`${path}.${key}`, 'invalid_type', `expected a string, number, boolean or null, got ${typeName(item)}`);
        } else if (t === 'number' && !Number.isFinite(item)) {
          // .nan would never match and .inf never occurs in rows; both are mistakes.
          add(`${path}.${key}`, 'invalid_value', `must be a finite number, got ${String(item)}`);
        }
      }
      return;
    case 'nonEmptyStringMapping':
      if (!isMapping(v)) {
        add(path, 'invalid_type', `expected a mapping, got ${typeName(v)}`);
        return;
      }
      for (const [key, item] of Object.entries(v)) {
        if (typeof item !== 'string') add(`${path}.${key}`, 'invalid_type', `expected a string, got ${typeName(item)}`);
        else if (item.length === 0) add(`${path}.${key}`, 'invalid_value', 'must not be empty');
      }
      return;
  }
}
