/**
 * config/router/intents.yaml (catalogue and scoring constants, analysis spec §2.3 and §2.6) and
 * config/router/lexicon.yaml (vocabularies of §1.6 and §2.5): loaded once, validated, returned as plain data.
 */
import path from 'node:path';
import {
  GCC_COUNTRIES,
  INTENTS,
  SECTORS,
  type GccCountry,
  type Intent,
  type MetricId,
  type Sector,
  GCC_METRICS,
  SERIES_METRICS,
} from '../model.js';
import { AnalysisConfigError, Checker, readYamlFile, repositoryConfigPath } from '../verify/config-file.js';
import { phraseTokens } from './text.js';

export const METRIC_IDS: readonly MetricId[] = [...SERIES_METRICS, ...GCC_METRICS];
export const FORECAST_METHOD_NAMES = ['seasonal_naive', 'ewma', 'rolling_mean', 'theil_sen'] as const;
export type ForecastMethodName = (typeof FORECAST_METHOD_NAMES)[number];
export const CORRELATION_METHOD_NAMES = ['spearman', 'pearson'] as const;
export type CorrelationMethodName = (typeof CORRELATION_METHOD_NAMES)[number];
export const TIME_UNITS = ['day', 'week', 'month', 'quarter', 'year'] as const;
export type TimeUnit = (typeof TIME_UNITS)[number];
/** Minimum number of catalogue examples per intent (§2.3). */
export const MIN_EXAMPLES = 8;

export interface KeywordConfig {
  keyword: string;
  weak: boolean;
}

export interface IntentConfig {
  id: Intent;
  description: string;
  target: string;
  keywords: KeywordConfig[];
  examples: string[];
}

export interface RouterSettings {
  /** τ (`router.min_confidence`). */
  min_confidence: number;
  keyword_weight: number;
  similarity_weight: number;
  keyword_saturation: number;
  /** Weights of 1-, 2- and 3-or-more-token keywords. */
  keyword_token_weights: readonly [number, number, number];
  weak_factor: number;
  full_margin: number;
  boosts: { gcc_country: number; vision_2030: number; scenario_change_and_cue: number; forward_time_forecast: number };
  change_window: number;
  clarification_options: number;
  fallback_options: readonly Intent[];
}

export interface LexiconConfig {
  stop_words: string[];
  sectors: Record<Sector, string[]>;
  sector_case_sensitive: Partial<Record<Sector, string[]>>;
  all_sectors: string[];
  sector_consumed: string[];
  metrics: Record<MetricId, string[]>;
  countries: Record<GccCountry, string[]>;
  country_groups: string[];
  named_phrases: string[];
  numbers: { words: Record<string, number>; percent: string[]; pp: string[]; qar: string[]; qar_prefix: string[] };
  time: {
    months: Record<string, number>;
    quarter_ordinals: Record<string, number>;
    units: Record<string, TimeUnit>;
    backward_relative: string[];
    forward_relative: string[];
    range_connectors: string[];
    forward_year_prepositions: string[];
  };
  changes: {
    up: string[];
    down: string[];
    better: string[];
    worse: string[];
    rate_per_year: string[];
    rate_per_month: string[];
    rate_prefix: string[];
  };
  conditional_cues: string[];
  company_words: string[];
  scenario_case_words: string[];
  target_words: string[];
  world_bank_phrases: string[];
  forecast_methods: Record<ForecastMethodName, string[]>;
  correlation_methods: Record<CorrelationMethodName, string[]>;
  top_n: { prefix: string[]; suffix: string[] };
}

export interface RouterConfig {
  settings: RouterSettings;
  /** In catalogue order (INTENTS). */
  intents: IntentConfig[];
  lexicon: LexiconConfig;
}

/** Directory holding intents.yaml and lexicon.yaml in the repository. */
export function defaultRouterConfigDir(): string {
  return path.dirname(repositoryConfigPath('router/intents.yaml'));
}

/** Reads and validates both router files; any problem raises AnalysisConfigError listing every issue. */
export function loadRouterConfig(dir: string = defaultRouterConfigDir()): RouterConfig {
  const intentsFile = path.join(dir, 'intents.yaml');
  const lexiconFile = path.join(dir, 'lexicon.yaml');
  const catalogue = parseCatalogue(readYamlFile(intentsFile), intentsFile);
  const lexicon = parseLexicon(readYamlFile(lexiconFile), lexiconFile);
  return { ...catalogue, lexicon };
}

/** Validates the parsed content of intents.yaml. */
export function parseCatalogue(raw: unknown, file = 'intents.yaml'): Omit<RouterConfig, 'lexicon'> {
  const c = new Checker();
  const top = c.obj(raw, 'intents.yaml');
  c.unknownKeys(top, ['router', 'intents'], '');
  const r = c.obj(top.router, 'router');
  c.unknownKeys(
    r,
    [
      'min_confidence',
      'keyword_weight',
      'similarity_weight',
      'keyword_saturation',
      'keyword_token_weights',
      'weak_factor',
      'full_margin',
      'boosts',
      'change_window',
      'clarification_options',
      'fallback_options',
    ],
    'router',
  );
  const b = c.obj(r.boosts, 'router.boosts');
  c.unknownKeys(b, ['gcc_country', 'vision_2030', 'scenario_change_and_cue', 'forward_time_forecast'], 'router.boosts');
  const tw = Array.isArray(r.keyword_token_weights) ? r.keyword_token_weights : [];
  if (tw.length !== 3) c.issues.push('router.keyword_token_weights must list exactly 3 weights');
  const fallback = c.strList(r.fallback_options, 'router.fallback_options');
  for (const f of fallback) if (!isIntent(f)) c.issues.push(`router.fallback_options: unknown intent '${f}'`);
  const settings: RouterSettings = {
    min_confidence: c.num(r.min_confidence, 'router.min_confidence', 0, 1),
    keyword_weight: c.num(r.keyword_weight, 'router.keyword_weight', 0, 1),
    similarity_weight: c.num(r.similarity_weight, 'router.similarity_weight', 0, 1),
    keyword_saturation: c.num(r.keyword_saturation, 'router.keyword_saturation', 0.001),
    keyword_token_weights: [
      c.num(tw[0], 'router.keyword_token_weights[0]', 0),
      c.num(tw[1], 'router.keyword_token_weights[1]', 0),
      c.num(tw[2], 'router.keyword_token_weights[2]', 0),
    ],
    weak_factor: c.num(r.weak_factor, 'router.weak_factor', 0, 1),
    full_margin: c.num(r.full_margin, 'router.full_margin', 0.000001, 1),
    boosts: {
      gcc_country: c.num(b.gcc_country, 'router.boosts.gcc_country', 0, 1),
      vision_2030: c.num(b.vision_2030, 'router.boosts.vision_2030', 0, 1),
      scenario_change_and_cue: c.num(b.scenario_change_and_cue, 'router.boosts.scenario_change_and_cue', 0, 1),
      forward_time_forecast: c.num(b.forward_time_forecast, 'router.boosts.forward_time_forecast', 0, 1),
    },
    change_window: c.int(r.change_window, 'router.change_window', 1, 20),
    clarification_options: c.int(r.clarification_options, 'router.clarification_options', 1, INTENTS.length),
    fallback_options: fallback.filter(isIntent),
  };

  const list = Array.isArray(top.intents) ? top.intents : [];
  if (!Array.isArray(top.intents)) c.issues.push('intents must be a list');
  const intents: IntentConfig[] = [];
  list.forEach((item: unknown, i: number) => {
    const p = `intents[${i}]`;
    const o = c.obj(item, p);
    c.unknownKeys(o, ['id', 'description', 'target', 'keywords', 'examples'], p);
    const id = c.str(o.id, `${p}.id`);
    if (id !== INTENTS[i]) c.issues.push(`${p}.id must be '${INTENTS[i] ?? '(none: there are 19 intents)'}'`);
    const keywords: KeywordConfig[] = [];
    const kwList = Array.isArray(o.keywords) ? o.keywords : [];
    if (kwList.length === 0) c.issues.push(`${p}.keywords must be a non-empty list`);
    kwList.forEach((k: unknown, j: number) => {
      const kp = `${p}.keywords[${j}]`;
      if (typeof k === 'string') keywords.push({ keyword: k, weak: false });
      else {
        const ko = c.obj(k, kp);
        c.unknownKeys(ko, ['keyword', 'weak'], kp);
        if (typeof ko.weak !== 'boolean') c.issues.push(`${kp}.weak must be true or false`);
        keywords.push({ keyword: c.str(ko.keyword, `${kp}.keyword`), weak: ko.weak === true });
      }
      const last = keywords[keywords.length - 1];
      if (last && last.keyword !== '' && !validKeyword(last.keyword)) {
        c.issues.push(`${kp}: '${last.keyword}' has no tokens or a malformed prefix word`);
      }
    });
    const examples = c.strList(o.examples, `${p}.examples`);
    if (examples.length < MIN_EXAMPLES) c.issues.push(`${p}.examples must hold at least ${MIN_EXAMPLES} examples`);
    intents.push({
      id: id as Intent,
      description: c.str(o.description, `${p}.description`),
      target: c.str(o.target, `${p}.target`),
      keywords,
      examples,
    });
  });
  if (list.length !== INTENTS.length) c.issues.push(`intents must list the ${INTENTS.length} intents of the catalogue`);
  if (c.issues.length > 0) throw new AnalysisConfigError(file, c.issues);
  return { settings, intents };
}

/** Validates the parsed content of lexicon.yaml. */
export function parseLexicon(raw: unknown, file = 'lexicon.yaml'): LexiconConfig {
  const c = new Checker();
  const top = c.obj(raw, 'lexicon.yaml');
  const keys = [
    'stop_words',
    'sectors',
    'sector_case_sensitive',
    'all_sectors',
    'sector_consumed',
    'metrics',
    'countries',
    'country_groups',
    'named_phrases',
    'numbers',
    'time',
    'changes',
    'conditional_cues',
    'company_words',
    'scenario_case_words',
    'target_words',
    'world_bank_phrases',
    'forecast_methods',
    'correlation_methods',
    'top_n',
  ];
  c.unknownKeys(top, keys, '');
  const phrases = (v: unknown, p: string): string[] => {
    const out = c.strList(v, p);
    for (const s of out) if (phraseTokens(s).length === 0) c.issues.push(`${p}: '${s}' has no tokens`);
    if (out.length === 0) c.issues.push(`${p} must not be empty`);
    return out;
  };
  const words = (v: unknown, p: string): string[] => {
    const out = phrases(v, p);
    for (const s of out) if (phraseTokens(s).length !== 1) c.issues.push(`${p}: '${s}' must be a single token`);
    return out;
  };
  const keyed = <K extends string>(v: unknown, p: string, ids: readonly K[], all: boolean): Record<K, string[]> => {
    const o = c.obj(v, p);
    c.unknownKeys(o, ids, p);
    const out = {} as Record<K, string[]>;
    for (const id of ids) {
      if (o[id] === undefined) {
        if (all) c.issues.push(`${p}.${id} is missing`);
        continue;
      }
      out[id] = phrases(o[id], `${p}.${id}`);
    }
    return out;
  };
  const numberMap = (v: unknown, p: string, min: number, max: number): Record<string, number> => {
    const o = c.obj(v, p);
    const out: Record<string, number> = {};
    for (const [k, n] of Object.entries(o)) {
      if (phraseTokens(k).length !== 1) c.issues.push(`${p}.${k} must be a single token`);
      out[k] = c.int(n, `${p}.${k}`, min, max);
    }
    if (Object.keys(out).length === 0) c.issues.push(`${p} must not be empty`);
    return out;
  };

  const numbers = c.obj(top.numbers, 'numbers');
  c.unknownKeys(numbers, ['words', 'percent', 'pp', 'qar', 'qar_prefix'], 'numbers');
  const time = c.obj(top.time, 'time');
  c.unknownKeys(
    time,
    [
      'months',
      'quarter_ordinals',
      'units',
      'backward_relative',
      'forward_relative',
      'range_connectors',
      'forward_year_prepositions',
    ],
    'time',
  );
  const unitsRaw = c.obj(time.units, 'time.units');
  const units: Record<string, TimeUnit> = {};
  for (const [k, u] of Object.entries(unitsRaw)) {
    if (phraseTokens(k).length !== 1) c.issues.push(`time.units.${k} must be a single token`);
    if (typeof u === 'string' && (TIME_UNITS as readonly string[]).includes(u)) units[k] = u as TimeUnit;
    else c.issues.push(`time.units.${k} must be one of ${TIME_UNITS.join(', ')}`);
  }
  const changes = c.obj(top.changes, 'changes');
  const changeKeys = ['up', 'down', 'better', 'worse', 'rate_per_year', 'rate_per_month', 'rate_prefix'] as const;
  c.unknownKeys(changes, changeKeys, 'changes');
  const topN = c.obj(top.top_n, 'top_n');
  c.unknownKeys(topN, ['prefix', 'suffix'], 'top_n');

  const lexicon: LexiconConfig = {
    stop_words: words(top.stop_words, 'stop_words'),
    sectors: keyed(top.sectors, 'sectors', SECTORS, true),
    sector_case_sensitive: keyed(top.sector_case_sensitive, 'sector_case_sensitive', SECTORS, false),
    all_sectors: phrases(top.all_sectors, 'all_sectors'),
    sector_consumed: phrases(top.sector_consumed, 'sector_consumed'),
    metrics: keyed(top.metrics, 'metrics', METRIC_IDS, true),
    countries: keyed(top.countries, 'countries', GCC_COUNTRIES, true),
    country_groups: phrases(top.country_groups, 'country_groups'),
    named_phrases: phrases(top.named_phrases, 'named_phrases'),
    numbers: {
      words: numberMap(numbers.words, 'numbers.words', 0, 1000),
      percent: phrases(numbers.percent, 'numbers.percent'),
      pp: phrases(numbers.pp, 'numbers.pp'),
      qar: phrases(numbers.qar, 'numbers.qar'),
      qar_prefix: words(numbers.qar_prefix, 'numbers.qar_prefix'),
    },
    time: {
      months: numberMap(time.months, 'time.months', 1, 12),
      quarter_ordinals: numberMap(time.quarter_ordinals, 'time.quarter_ordinals', 1, 4),
      units,
      backward_relative: words(time.backward_relative, 'time.backward_relative'),
      forward_relative: words(time.forward_relative, 'time.forward_relative'),
      range_connectors: words(time.range_connectors, 'time.range_connectors'),
      forward_year_prepositions: words(time.forward_year_prepositions, 'time.forward_year_prepositions'),
    },
    changes: {
      up: phrases(changes.up, 'changes.up'),
      down: phrases(changes.down, 'changes.down'),
      better: phrases(changes.better, 'changes.better'),
      worse: phrases(changes.worse, 'changes.worse'),
      rate_per_year: phrases(changes.rate_per_year, 'changes.rate_per_year'),
      rate_per_month: phrases(changes.rate_per_month, 'changes.rate_per_month'),
      rate_prefix: words(changes.rate_prefix, 'changes.rate_prefix'),
    },
    conditional_cues: phrases(top.conditional_cues, 'conditional_cues'),
    company_words: phrases(top.company_words, 'company_words'),
    scenario_case_words: phrases(top.scenario_case_words, 'scenario_case_words'),
    target_words: phrases(top.target_words, 'target_words'),
    world_bank_phrases: phrases(top.world_bank_phrases, 'world_bank_phrases'),
    forecast_methods: keyed(top.forecast_methods, 'forecast_methods', FORECAST_METHOD_NAMES, true),
    correlation_methods: keyed(top.correlation_methods, 'correlation_methods', CORRELATION_METHOD_NAMES, true),
    top_n: { prefix: words(topN.prefix, 'top_n.prefix'), suffix: words(topN.suffix, 'top_n.suffix') },
  };
  const better = new Set(lexicon.changes.better.concat(lexicon.changes.worse));
  const directional = new Set(lexicon.changes.up.concat(lexicon.changes.down));
  for (const w of better) if (!directional.has(w)) c.issues.push(`changes: '${w}' must also be listed in up or down`);
  if (c.issues.length > 0) throw new AnalysisConfigError(file, c.issues);
  return lexicon;
}

function isIntent(s: string): s is Intent {
  return (INTENTS as readonly string[]).includes(s);
}

/** A keyword has at least one token; a word ending in "*" is a prefix of letters and digits. */
function validKeyword(keyword: string): boolean {
  let tokens = 0;
  for (const word of keyword.trim().split(/\s+/)) {
    if (word.slice(0, -1).includes('*')) return false;
    if (word.endsWith('*')) {
      if (!/^[A-Za-z0-9]+$/.test(word.slice(0, -1))) return false;
      tokens += 1;
    } else tokens += phraseTokens(word).length;
  }
  return tokens > 0;
}
