import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { INTENTS } from '../../../src/analysis/model.js';
import {
  defaultRouterConfigDir,
  loadRouterConfig,
  parseCatalogue,
  parseLexicon,
} from '../../../src/analysis/router/router-config.js';
import { AnalysisConfigError } from '../../../src/analysis/verify/config-file.js';

const dir = defaultRouterConfigDir();
const rawCatalogue = () => parse(fs.readFileSync(path.join(dir, 'intents.yaml'), 'utf8')) as Record<string, unknown>;
const rawLexicon = () => parse(fs.readFileSync(path.join(dir, 'lexicon.yaml'), 'utf8')) as Record<string, unknown>;

function issuesOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(AnalysisConfigError);
    return (err as AnalysisConfigError).issues;
  }
  throw new Error('expected an AnalysisConfigError');
}

describe('router configuration files', () => {
  it('load: the 19 intents in catalogue order, at least 8 examples each, τ = 0.35', () => {
    const cfg = loadRouterConfig();
    expect(cfg.intents.map((i) => i.id)).toEqual([...INTENTS]);
    for (const i of cfg.intents) {
      expect(i.examples.length).toBeGreaterThanOrEqual(8);
      expect(i.keywords.length).toBeGreaterThan(0);
      expect(i.description.length).toBeGreaterThan(0);
    }
    expect(cfg.settings.min_confidence).toBe(0.35);
    expect(cfg.settings.keyword_weight).toBe(0.6);
    expect(cfg.settings.similarity_weight).toBe(0.4);
    expect(cfg.settings.keyword_token_weights).toEqual([1, 1.5, 2]);
    expect(cfg.settings.fallback_options).toEqual(['time.trend', 'strategy.vision2030', 'pattern.anomalies']);
  });

  it('keep the §2.3 reference keywords, with the spec italics weak', () => {
    const cfg = loadRouterConfig();
    const kw = (intent: string, k: string) =>
      cfg.intents.find((i) => i.id === intent)!.keywords.find((x) => x.keyword === k);
    expect(kw('pattern.anomalies', 'z-score')).toEqual({ keyword: 'z-score', weak: false });
    expect(kw('pattern.anomalies', 'sudden')).toEqual({ keyword: 'sudden', weak: true });
    expect(kw('predict.early_warning', 'deteriorat*')).toEqual({ keyword: 'deteriorat*', weak: false });
    expect(kw('strategy.vision2030', 'vision 2030')).toEqual({ keyword: 'vision 2030', weak: false });
    expect(kw('time.trend', 'will')).toBeUndefined();
    expect(kw('predict.forecast', 'will')).toEqual({ keyword: 'will', weak: false });
  });

  it('reject a catalogue out of order, short of examples, or with unknown keys and bad keywords', () => {
    const raw = rawCatalogue();
    const intents = raw.intents as Record<string, unknown>[];
    [intents[0], intents[1]] = [intents[1]!, intents[0]!];
    (intents[2]!.examples as string[]).splice(3);
    (intents[3]!.keywords as unknown[]).push('bad*word', { keyword: 'x', weak: 'yes' });
    (raw.router as Record<string, unknown>).min_confidence = 2;
    (raw.router as Record<string, unknown>).colour = 'blue';
    const issues = issuesOf(() => parseCatalogue(raw));
    expect(issues).toEqual(
      expect.arrayContaining([
        "intents[0].id must be 'pattern.anomalies'",
        "intents[1].id must be 'pattern.correlation'",
        'intents[2].examples must hold at least 8 examples',
        'intents[3].keywords[' +
          String((intents[3]!.keywords as unknown[]).length - 2) +
          "]: 'bad*word' has no tokens or a malformed prefix word",
        'intents[3].keywords[' +
          String((intents[3]!.keywords as unknown[]).length - 1) +
          '].weak must be true or false',
        'router.min_confidence must be a number in [0, 1]',
        'router.colour is not a known key',
      ]),
    );
  });

  it('reject a lexicon with a missing sector, an unknown metric or a multi-token number word', () => {
    const raw = rawLexicon();
    delete (raw.sectors as Record<string, unknown>).Energy;
    (raw.metrics as Record<string, unknown>).salary_growth = ['raise'];
    ((raw.numbers as Record<string, unknown>).words as Record<string, unknown>)['twenty one'] = 21;
    (raw.time as Record<string, unknown>).units = { day: 'day', fortnight: 'fortnight' };
    const issues = issuesOf(() => parseLexicon(raw));
    expect(issues).toEqual(
      expect.arrayContaining([
        'sectors.Energy is missing',
        'metrics.salary_growth is not a known key',
        'numbers.words.twenty one must be a single token',
        'time.units.fortnight must be one of day, week, month, quarter, year',
      ]),
    );
  });

  it('reports an unreadable directory as a configuration error', () => {
    expect(() => loadRouterConfig('/nonexistent/router')).toThrow(AnalysisConfigError);
  });
});
