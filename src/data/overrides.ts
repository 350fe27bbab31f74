import type { ArgDecl, CsvParams, PostgresParams, QuerySpec, WorldBankParams } from './model.js';
import { DataError } from './errors.js';
import {
  OVERRIDABLE_KEYS,
  FieldChecker,
  checkCsvParams,
  checkWorldBankParams,
  isMapping,
} from './registry/spec-validation.js';
import { coerceArgValue } from './registry/postgres-args.js';

/** How override values arrive: `text` from the CLI (`--param k=v`), `json` from HTTP bodies (typed values). */
export type OverrideMode = 'text' | 'json';

/** A spec with request overrides applied; `keyParams` is what the cache key hashes (data-layer spec §10.1). */
export type EffectiveQuery =
  | { spec: QuerySpec & { source: 'csv' }; params: CsvParams; keyParams: Record<string, unknown> }
  | { spec: QuerySpec & { source: 'world_bank' }; params: WorldBankParams; keyParams: Record<string, unknown> }
  | {
      spec: QuerySpec & { source: 'postgres' };
      params: PostgresParams;
      keyParams: Record<string, unknown>;
      /** Bound values for $1..$n in declaration order. */
      values: (string | number)[];
    };

const INT_KEYS = new Set(['year', 'max_rows', 'start_year', 'end_year']);
const LIST_KEYS = new Set(['to_percent', 'countries']);

function invalid(problems: string[]): DataError {
  return new DataError('invalid_override', `invalid override: ${problems.join('; ')}`, problems);
}

function show(v: unknown): string {
  const s = typeof v === 'string' ? JSON.stringify(v) : String(JSON.stringify(v));
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

/** Converts CLI text to the YAML type the key expects; leaves anything unconvertible as text for the checker. */
function fromText(key: string, raw: unknown): unknown {
  if (typeof raw !== 'string') return raw;
  if (INT_KEYS.has(key)) return /^[+-]?\d+$/.test(raw.trim()) ? Number(raw.trim()) : raw;
  if (key === 'timeout_s') return /^[+-]?(\d+(\.\d*)?|\.\d+)$/.test(raw.trim()) ? Number(raw.trim()) : raw;
  if (LIST_KEYS.has(key)) {
    return raw
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s.length > 0);
  }
  return raw;
}

// Specs are immutable once loaded, so the no-override result of each is computed once.
const plainEffective = new WeakMap<QuerySpec, EffectiveQuery>();

export function applyOverrides(
  spec: QuerySpec,
  overrides: Readonly<Record<string, unknown>> | undefined,
  mode: OverrideMode,
): EffectiveQuery {
  if (overrides === undefined || (isMapping(overrides) && Object.keys(overrides).length === 0)) {
    let known = plainEffective.get(spec);
    if (known === undefined) {
      known = applyOverridesUncached(spec, {}, mode);
      plainEffective.set(spec, known);
    }
    return known;
  }
  return applyOverridesUncached(spec, overrides, mode);
}

function applyOverridesUncached(
  spec: QuerySpec,
  overrides: Readonly<Record<string, unknown>>,
  mode: OverrideMode,
): EffectiveQuery {
  const given = overrides;
  if (!isMapping(given)) throw invalid(['override_params must be a mapping']);
  if (spec.source === 'postgres') return applyPostgresOverrides(spec, given, mode);

  const allowed = OVERRIDABLE_KEYS[spec.source];
  const problems: string[] = [];
  const merged: Record<string, unknown> = { ...(spec.params as unknown as Record<string, unknown>) };
  for (const [key, raw] of Object.entries(given)) {
    if (!allowed.includes(key)) {
      problems.push(
        key in merged || ['pattern', 'select', 'indicator', 'sql', 'dataset', 'postprocess'].includes(key)
          ? `${key}: not overridable`
          : `${key}: unknown parameter (overridable: ${allowed.join(', ')})`,
      );
      continue;
    }
    merged[key] = mode === 'text' ? fromText(key, raw) : raw;
  }
  if (problems.length > 0) throw invalid(problems);
  const checker = new FieldChecker();
  const params =
    spec.source === 'csv' ? checkCsvParams(checker, merged, '') : checkWorldBankParams(checker, merged, '');
  if (!params) {
    throw invalid(checker.issues.map((i) => `${i.path}: ${i.message}${keyValueHint(merged, i.path)}`));
  }
  return { spec, params, keyParams: params as unknown as Record<string, unknown> } as EffectiveQuery;
}

function keyValueHint(merged: Record<string, unknown>, path: string): string {
  const key = path.split(/[.[]/)[0] ?? '';
  return key in merged && typeof merged[key] !== 'object' ? ` (got ${show(merged[key])})` : '';
}

function applyPostgresOverrides(
  spec: QuerySpec & { source: 'postgres' },
  given: Record<string, unknown>,
  mode: OverrideMode,
): EffectiveQuery {
  const decls: readonly ArgDecl[] = spec.params.args ?? [];
  const problems: string[] = [];
  for (const key of Object.keys(given)) {
    if (!decls.some((d) => d.name === key)) {
      problems.push(
        ['sql', 'args', 'dataset', 'max_rows', 'timeout_s', 'postprocess'].includes(key)
          ? `${key}: not overridable`
          : `${key}: unknown parameter (declared args: ${decls.map((d) => d.name).join(', ') || 'none'})`,
      );
    }
  }
  const bind: Record<string, string | number> = {};
  const values: (string | number)[] = [];
  for (const decl of decls) {
    const has = Object.prototype.hasOwnProperty.call(given, decl.name);
    if (!has && decl.default === undefined) {
      problems.push(`missing_argument:${decl.name}`);
      continue;
    }
    const res = has
      ? coerceArgValue(decl, given[decl.name], mode === 'text')
      : coerceArgValue(decl, decl.default, false);
    if (!res.ok) {
      problems.push(`${decl.name}: ${res.reason}`);
      continue;
    }
    bind[decl.name] = res.value;
    values.push(res.value);
  }
  if (problems.length > 0) throw invalid(problems);
  return {
    spec,
    params: spec.params,
    keyParams: { ...(spec.params as unknown as Record<string, unknown>), bind },
    values,
  };
}
