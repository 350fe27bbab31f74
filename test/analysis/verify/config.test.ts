import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { AnalysisConfigError, repositoryConfigPath } from '../../../src/analysis/verify/config-file.js';
import {
  loadConfidenceConfig,
  parseConfidenceConfig,
  WEIGHT_SUM_TOLERANCE,
} from '../../../src/analysis/verify/confidence-config.js';
import { loadVerificationConfig, parseVerificationConfig } from '../../../src/analysis/verify/verification-config.js';

const confidenceYaml = (): Record<string, unknown> =>
  parse(fs.readFileSync(repositoryConfigPath('confidence.yaml'), 'utf8')) as Record<string, unknown>;
const verificationYaml = (): Record<string, unknown> =>
  parse(fs.readFileSync(repositoryConfigPath('verification.yaml'), 'utf8')) as Record<string, unknown>;

function issuesOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(AnalysisConfigError);
    return (err as AnalysisConfigError).issues;
  }
  throw new Error('expected an AnalysisConfigError');
}

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'qnwis-verify-config-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('config/confidence.yaml', () => {
  it('holds the §5.7 defaults', () => {
    const c = loadConfidenceConfig();
    expect(c.weights).toEqual({ citation: 0.25, numbers: 0.4, cross_check: 0.1, privacy: 0.1, freshness: 0.15 });
    expect(c.bands).toEqual({ green: 90, amber: 75 });
    expect([c.max_penalty_fraction, c.guard_min_n, c.insufficient_evidence_score, c.max_reasons]).toEqual([
      0.5, 3, 60, 8,
    ]);
    expect(c.penalties).toEqual({
      citation_l1_error: 100,
      numbers_math_failed: 15,
      cross_check_per_warning: 3,
      privacy_per_redaction: 1,
      freshness_points: 2,
      freshness_per_hours: 10,
    });
  });

  it('checks at load that the weights sum to 1 ± 1e-6', () => {
    const raw = confidenceYaml();
    const weights = raw.weights as Record<string, number>;
    expect(WEIGHT_SUM_TOLERANCE).toBe(1e-6);
    expect(parseConfidenceConfig({ ...raw, weights: { ...weights, privacy: 0.1 + 5e-7 } }).weights.privacy).toBe(
      0.1 + 5e-7,
    );
    expect(issuesOf(() => parseConfidenceConfig({ ...raw, weights: { ...weights, privacy: 0.2 } }))).toEqual([
      '$.weights must sum to 1 ± 0.000001 (got 1.1)',
    ]);
    expect(issuesOf(() => parseConfidenceConfig({ ...raw, weights: { ...weights, privacy: 0.1 + 2e-6 } }))[0]).toMatch(
      /^\$\.weights must sum to 1/,
    );
  });

  it('rejects missing, unknown and inconsistent keys with every problem listed', () => {
    const raw = confidenceYaml();
    const issues = issuesOf(() =>
      parseConfidenceConfig({
        ...raw,
        bands: { green: 70, amber: 80 },
        extra: 1,
        guard_min_n: 0,
        weights: { citation: 1 },
      }),
    );
    expect(issues).toEqual([
      '$.extra is not a known key',
      '$.weights.numbers must be a number in [0, 1]',
      '$.weights.cross_check must be a number in [0, 1]',
      '$.weights.privacy must be a number in [0, 1]',
      '$.weights.freshness must be a number in [0, 1]',
      '$.bands.amber must be ≤ $.bands.green',
      '$.guard_min_n must be an integer in [1, 1000]',
    ]);
  });

  it('unreadable or malformed files raise AnalysisConfigError', () => {
    expect(issuesOf(() => loadConfidenceConfig(path.join(tmp, 'missing.yaml')))[0]).toMatch(/^cannot read/);
    const bad = path.join(tmp, 'bad.yaml');
    fs.writeFileSync(bad, 'weights: [unclosed');
    expect(issuesOf(() => loadConfidenceConfig(bad))[0]).toMatch(/^not valid YAML/);
  });
});

describe('config/verification.yaml', () => {
  it('holds the §5 defaults: tolerances, 72 h SLA, cross-checks, k = 15', () => {
    const v = loadVerificationConfig();
    expect(v.skipped_sections).toEqual(['Evidence', 'Provenance', 'Licences']);
    expect(v.numbers.abs_tol).toEqual({ percent: 0.5, pp: 0.5, currency: 50, count: 0.5 });
    expect([v.numbers.relative_tolerance, v.numbers.rounding_mismatch_factor, v.numbers.total_tolerance]).toEqual([
      0.01, 2, 0.5,
    ]);
    expect(v.freshness.default_sla_hours).toBe(72);
    expect(v.privacy.small_cell_min_base).toBe(15);
    expect(v.cross_checks.map((c) => [c.name, c.primary.query, c.reference.query, c.match, c.tolerance_pct])).toEqual([
      ['qatarization', 'syn_qatarization_by_sector_latest', 'ts_qatarization_annual', 'same_year', 3],
      ['attrition', 'syn_attrition_by_sector_latest', 'ts_attrition_annual', 'same_year', 2],
      ['gcc_unemployment', 'syn_unemployment_rate_gcc_latest', 'wb_gcc_unemployment', 'latest_year', 10],
    ]);
    expect(v.sanity.rate_range).toEqual([0, 100]);
    expect(v.sanity.change_range).toEqual([-100, 200]);
  });

  it('protects sectors, synonyms, nationalities, countries, municipalities, months, weekdays, metrics, institutions, methods', () => {
    const words = loadVerificationConfig().privacy.protected_words;
    for (const w of [
      'energy',
      'ict',
      'banking',
      'qatari',
      'emirati',
      'expatriate',
      'saudi',
      'arabia',
      'oman',
      'doha',
      'rayyan',
      'wakrah',
      'khor',
      'shamal',
      'umm',
      'salal',
      'daayen',
      'shahaniya',
      'january',
      'sunday',
      'qatarization',
      'attrition',
      'ministry',
      'lmis',
      'world',
      'bank',
      'spearman',
      'theil',
      'sen',
      'cusum',
    ]) {
      expect(words.has(w), w).toBe(true);
    }
    // Connectors from multi-word place names ("Al Rayyan") protect nothing on their own.
    for (const w of ['al', 'bin', 'abu', 'el']) expect(words.has(w), w).toBe(false);
  });

  it('rejects bad tolerances, cross-check entries and unknown keys', () => {
    const raw = verificationYaml();
    const checks = raw.cross_checks as Record<string, unknown>[];
    const issues = issuesOf(() =>
      parseVerificationConfig({
        ...raw,
        numbers: { ...(raw.numbers as object), relative_tolerance: 2 },
        cross_checks: [
          { ...checks[0], match: 'sometimes' },
          { ...checks[0], primary: { query: 'x' } },
        ],
        surprise: true,
      }),
    );
    expect(issues).toEqual([
      '$.surprise is not a known key',
      '$.numbers.relative_tolerance must be a number in [0, 1]',
      '$.cross_checks[0].match must be same_year or latest_year',
      '$.cross_checks[1].name "qatarization" is repeated',
      '$.cross_checks[1].primary.field must be a non-empty string',
      '$.cross_checks[1].primary.key must be a non-empty string',
      '$.cross_checks[1].primary.year must be a non-empty string',
    ]);
  });
});
