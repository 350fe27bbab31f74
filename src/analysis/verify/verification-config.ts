/**
 * config/verification.yaml (analysis spec §5): tolerances, the cross-check table, the privacy vocabulary, the
 * sanity field names and the default freshness SLA. Loaded once, validated, then frozen.
 */
import { AnalysisConfigError, Checker, readYamlFile, repositoryConfigPath } from './config-file.js';

export type ClaimClass = 'percent' | 'pp' | 'currency' | 'count' | 'decimal';

export interface CrossCheckSide {
  query: string;
  field: string;
  key: string;
  /** Field holding the year (a number such as 2024, or an annual period such as "2024"). */
  year: string;
}

export interface CrossCheckSpec {
  name: string;
  primary: CrossCheckSide;
  reference: CrossCheckSide;
  /** same_year: the reference row of the primary row's year; latest_year: the reference's latest non-null year. */
  match: 'same_year' | 'latest_year';
  tolerance_pct: number;
}

export interface VerificationConfig {
  skipped_sections: readonly string[];
  citations: { uncited_report_limit: number; year_min: number; year_max: number };
  numbers: {
    relative_tolerance: number;
    rounding_mismatch_factor: number;
    currency_word_window: number;
    abs_tol: Readonly<Record<Exclude<ClaimClass, 'decimal'>, number>>;
    total_tolerance: number;
  };
  cross_checks: readonly CrossCheckSpec[];
  privacy: {
    small_cell_min_base: number;
    company_fields: readonly string[];
    name_connectors: ReadonlySet<string>;
    /** Lower-case protected words (every entry split into words). */
    protected_words: ReadonlySet<string>;
  };
  sanity: {
    rate_range: readonly [number, number];
    change_range: readonly [number, number];
    count_fields: readonly string[];
    count_suffixes: readonly string[];
    currency_suffixes: readonly string[];
    rate_suffixes: readonly string[];
    change_fields: readonly string[];
    change_suffixes: readonly string[];
  };
  freshness: { default_sla_hours: number };
}

const TOP_KEYS = [
  'skipped_sections',
  'citations',
  'numbers',
  'cross_checks',
  'privacy',
  'sanity',
  'freshness',
] as const;

/** Defaults for the optional `sanity` and `freshness` blocks (§5.5). */
const SANITY_DEFAULTS = {
  rate_range: [0, 100],
  change_range: [-100, 200],
  count_fields: ['employees', 'qataris', 'non_qataris', 'base', 'retained', 'companies'],
  count_suffixes: ['_count'],
  currency_suffixes: ['_qr', '_qar'],
  rate_suffixes: ['_percent'],
  change_fields: ['yoy_percent', 'delta_pct', 'gap_percent'],
  change_suffixes: ['_change_percent'],
} as const;
const DEFAULT_SLA_HOURS = 72;

function range(c: Checker, value: unknown, path: string, fallback: readonly [number, number]): [number, number] {
  if (value === undefined) return [fallback[0], fallback[1]];
  if (!Array.isArray(value) || value.length !== 2) {
    c.issues.push(`${path} must be a list [min, max]`);
    return [fallback[0], fallback[1]];
  }
  const lo = c.num(value[0], `${path}[0]`);
  const hi = c.num(value[1], `${path}[1]`);
  if (lo > hi) c.issues.push(`${path} must have min ≤ max`);
  return [lo, hi];
}

function side(c: Checker, value: unknown, path: string): CrossCheckSide {
  const o = c.obj(value, path);
  c.unknownKeys(o, ['query', 'field', 'key', 'year'], path);
  return {
    query: c.str(o.query, `${path}.query`),
    field: c.str(o.field, `${path}.field`),
    key: c.str(o.key, `${path}.key`),
    year: c.str(o.year, `${path}.year`),
  };
}

/** Validates a parsed verification.yaml; throws AnalysisConfigError listing every problem. */
export function parseVerificationConfig(raw: unknown, file = 'config/verification.yaml'): VerificationConfig {
  const c = new Checker();
  const top = c.obj(raw, '$');
  c.unknownKeys(top, TOP_KEYS, '$');

  const skipped = c.strList(top.skipped_sections, '$.skipped_sections');

  const cit = c.obj(top.citations, '$.citations');
  c.unknownKeys(cit, ['uncited_report_limit', 'year_min', 'year_max'], '$.citations');
  const citations = {
    uncited_report_limit: c.int(cit.uncited_report_limit, '$.citations.uncited_report_limit', 0, 1000),
    year_min: c.int(cit.year_min, '$.citations.year_min', 1000, 9999),
    year_max: c.int(cit.year_max, '$.citations.year_max', 1000, 9999),
  };
  if (citations.year_min > citations.year_max) c.issues.push('$.citations.year_min must be ≤ year_max');

  const num = c.obj(top.numbers, '$.numbers');
  c.unknownKeys(
    num,
    ['relative_tolerance', 'rounding_mismatch_factor', 'currency_word_window', 'abs_tol', 'total_tolerance'],
    '$.numbers',
  );
  const tol = c.obj(num.abs_tol, '$.numbers.abs_tol');
  c.unknownKeys(tol, ['percent', 'pp', 'currency', 'count'], '$.numbers.abs_tol');
  const numbers = {
    relative_tolerance: c.num(num.relative_tolerance, '$.numbers.relative_tolerance', 0, 1),
    rounding_mismatch_factor: c.num(num.rounding_mismatch_factor, '$.numbers.rounding_mismatch_factor', 1, 1000),
    currency_word_window: c.int(num.currency_word_window, '$.numbers.currency_word_window', 0, 100),
    abs_tol: Object.freeze({
      percent: c.num(tol.percent, '$.numbers.abs_tol.percent', 0),
      pp: c.num(tol.pp, '$.numbers.abs_tol.pp', 0),
      currency: c.num(tol.currency, '$.numbers.abs_tol.currency', 0),
      count: c.num(tol.count, '$.numbers.abs_tol.count', 0),
    }),
    total_tolerance: c.num(num.total_tolerance, '$.numbers.total_tolerance', 0),
  };

  const checks: CrossCheckSpec[] = [];
  if (!Array.isArray(top.cross_checks)) c.issues.push('$.cross_checks must be a list');
  else {
    const names = new Set<string>();
    top.cross_checks.forEach((entry, i) => {
      const path = `$.cross_checks[${i}]`;
      const o = c.obj(entry, path);
      c.unknownKeys(o, ['name', 'primary', 'reference', 'match', 'tolerance_pct'], path);
      const name = c.str(o.name, `${path}.name`);
      if (names.has(name)) c.issues.push(`${path}.name "${name}" is repeated`);
      names.add(name);
      const match = o.match;
      if (match !== 'same_year' && match !== 'latest_year')
        c.issues.push(`${path}.match must be same_year or latest_year`);
      checks.push({
        name,
        primary: side(c, o.primary, `${path}.primary`),
        reference: side(c, o.reference, `${path}.reference`),
        match: match === 'latest_year' ? 'latest_year' : 'same_year',
        tolerance_pct: c.num(o.tolerance_pct, `${path}.tolerance_pct`, 0),
      });
    });
  }

  const priv = c.obj(top.privacy, '$.privacy');
  c.unknownKeys(priv, ['small_cell_min_base', 'company_fields', 'name_connectors', 'protected'], '$.privacy');
  const protectedGroups = c.obj(priv.protected, '$.privacy.protected');
  const words = new Set<string>();
  for (const [group, list] of Object.entries(protectedGroups)) {
    for (const entry of c.strList(list, `$.privacy.protected.${group}`)) {
      for (const w of entry.toLowerCase().split(/\s+/)) if (w.length > 0) words.add(w);
    }
  }
  if (words.size === 0) c.issues.push('$.privacy.protected must list at least one word');
  const connectors = new Set(c.strList(priv.name_connectors, '$.privacy.name_connectors').map((w) => w.toLowerCase()));
  // Connectors and the "El" of place names come from multi-word entries ("Al Rayyan", "El Salvador"); on their own
  // they protect nothing, or "Fatima Al-Thani" would escape redaction.
  for (const w of [...connectors, 'el']) words.delete(w.replace(/-$/, ''));
  const privacy = {
    small_cell_min_base: c.num(priv.small_cell_min_base, '$.privacy.small_cell_min_base', 0),
    company_fields: Object.freeze(c.strList(priv.company_fields, '$.privacy.company_fields')),
    name_connectors: connectors,
    protected_words: words,
  };

  const san = top.sanity === undefined ? {} : c.obj(top.sanity, '$.sanity');
  c.unknownKeys(san, Object.keys(SANITY_DEFAULTS), '$.sanity');
  const list = (key: keyof typeof SANITY_DEFAULTS & `${string}s`): readonly string[] =>
    san[key] === undefined
      ? (SANITY_DEFAULTS[key] as readonly string[])
      : Object.freeze(c.strList(san[key], `$.sanity.${key}`));
  const sanity = {
    rate_range: range(c, san.rate_range, '$.sanity.rate_range', SANITY_DEFAULTS.rate_range),
    change_range: range(c, san.change_range, '$.sanity.change_range', SANITY_DEFAULTS.change_range),
    count_fields: list('count_fields'),
    count_suffixes: list('count_suffixes'),
    currency_suffixes: list('currency_suffixes'),
    rate_suffixes: list('rate_suffixes'),
    change_fields: list('change_fields'),
    change_suffixes: list('change_suffixes'),
  } as const;

  const fr = top.freshness === undefined ? {} : c.obj(top.freshness, '$.freshness');
  c.unknownKeys(fr, ['default_sla_hours'], '$.freshness');
  const freshness = {
    default_sla_hours:
      fr.default_sla_hours === undefined
        ? DEFAULT_SLA_HOURS
        : c.num(fr.default_sla_hours, '$.freshness.default_sla_hours', 0),
  };

  if (c.issues.length > 0) throw new AnalysisConfigError(file, c.issues);
  return Object.freeze({
    skipped_sections: Object.freeze(skipped),
    citations: Object.freeze(citations),
    numbers: Object.freeze(numbers),
    cross_checks: Object.freeze(checks.map((x) => Object.freeze(x))),
    privacy: Object.freeze(privacy),
    sanity: Object.freeze(sanity),
    freshness: Object.freeze(freshness),
  });
}

/** Reads and validates a verification config file (default: the repository's config/verification.yaml). */
export function loadVerificationConfig(file = repositoryConfigPath('verification.yaml')): VerificationConfig {
  return parseVerificationConfig(readYamlFile(file), file);
}

let shared: VerificationConfig | undefined;

/** The repository's verification config, loaded on first use and then reused. */
export function defaultVerificationConfig(): VerificationConfig {
  shared ??= loadVerificationConfig();
  return shared;
}
