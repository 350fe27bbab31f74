import { createHash } from 'node:crypto';
import canonicalizeModule from 'canonicalize';
import { describe, expect, it } from 'vitest';
import {
  cap,
  finishReasons,
  guard,
  roundHalfEven,
  scoreConfidence,
  REASON_INSUFFICIENT,
  REASON_NUMBERS_OFF,
} from '../../src/analysis/confidence.js';
import type { IssueCode, VerificationIssue, VerificationResult } from '../../src/analysis/verify/types.js';
import { verifyAnswer } from '../../src/analysis/verify/verify-answer.js';
import { CLOCK, OPTIONS, query } from './verify/build.js';

const canonicalize = canonicalizeModule as unknown as (input: unknown) => string;

interface Shape {
  total?: number;
  cited?: number;
  claims?: number | null;
  matched?: number;
  mathFailed?: number;
  issues?: [IssueCode, VerificationIssue['severity'], VerificationIssue['layer']?][];
  redactions?: number;
  overrun?: number | null;
  passed?: boolean;
}

/** A verification result with the given counts (the confidence reads only these). */
function verification(s: Shape = {}): VerificationResult {
  const numbersOn = s.claims !== null;
  return {
    passed: s.passed ?? true,
    issues: (s.issues ?? []).map(([code, severity, layer]) => ({
      layer: layer ?? 'L1',
      code,
      severity,
      message: code,
      details: {},
    })),
    narrative: '',
    reports: {
      citations: { total_numbers: s.total ?? 10, cited_numbers: s.cited ?? s.total ?? 10, uncited: [] },
      numbers: numbersOn
        ? {
            claims_total: s.claims ?? 10,
            claims_matched: s.matched ?? s.claims ?? 10,
            issues: 0,
            math_checks: Array.from({ length: s.mathFailed ?? 0 }, () => ({
              line: 1,
              column: 'x',
              sum: 1,
              total: 2,
              ok: false,
            })),
          }
        : null,
      cross_checks: { checks_run: [], comparisons: 0, exceeded: 0 },
      redactions: s.redactions ?? 0,
      freshness: { checked: 1, worst_overrun_hours: s.overrun === undefined ? -24 : s.overrun, stale: [], unknown: [] },
    },
    options: { enforce_citations: true, verify_numbers: numbersOn },
    sources: [
      { id: 'syn_b', kind: 'query', asof_date: '2024-12-31', license: 'World Bank Open Data (CC BY 4.0)' },
      {
        id: 'derived_x_ab12cd34',
        kind: 'derived',
        asof_date: '2023-12-31',
        license: 'MIT-SYNTHETIC; World Bank Open Data (CC BY 4.0)',
      },
    ],
  };
}

type IssueSpec = NonNullable<Shape['issues']>[number];
const xchk = (n: number): IssueSpec[] =>
  Array.from({ length: n }, (): IssueSpec => ['XCHK_TOLERANCE_EXCEEDED', 'warning', 'L3']);

describe('confidence helpers (§5.7)', () => {
  it('cap removes at most half; guard pulls small samples towards 100', () => {
    expect(cap(80, 100)).toBe(40);
    expect(cap(80, 15)).toBe(65);
    expect(cap(100, 3)).toBe(97);
    expect(guard(50, 1)).toBeCloseTo(50 / 3 + 200 / 3, 12); // 83.333…
    expect(guard(50, 2)).toBeCloseTo(100 / 3 + 100 / 3, 12); // 66.666…
    expect(guard(50, 3)).toBe(50);
    expect(guard(50, 0)).toBe(50);
  });

  it('rounds half to even, including sums with floating-point noise', () => {
    expect([0.5, 1.5, 2.5, 92.5, 93.5, 98.5, 99.5].map(roundHalfEven)).toEqual([0, 2, 2, 92, 94, 98, 100]);
    expect([92.4999, 92.50001, 74.6, 0, 100].map(roundHalfEven)).toEqual([92, 93, 75, 0, 100]);
    expect(roundHalfEven(0.25 * 100 + 0.4 * 100 + 0.1 * 100 + 0.1 * 85 + 0.15 * 100)).toBe(98);
  });

  it('reasons are de-duplicated, sorted, and capped at 8 (7 + "… N additional factor(s)")', () => {
    expect(finishReasons(['b', 'a', 'b'], 8)).toEqual(['a', 'b']);
    const ten = ['j', 'i', 'h', 'g', 'f', 'e', 'd', 'c', 'b', 'a'];
    expect(finishReasons(ten, 8)).toEqual(['a', 'b', 'c', 'd', 'e', 'f', 'g', '… 3 additional factor(s)']);
    expect(finishReasons(ten.slice(0, 8), 8)).toHaveLength(8);
  });
});

describe('scoreConfidence (§5.7)', () => {
  it('a clean answer scores 100, GREEN, with no reasons', () => {
    const { confidence } = scoreConfidence(verification());
    expect(confidence).toEqual({
      score: 100,
      band: 'GREEN',
      components: { citation: 100, numbers: 100, cross_check: 100, privacy: 100, freshness: 100 },
      reasons: [],
    });
  });

  it('components: citation with L1-error cap, numbers with math cap, cross-check, privacy, freshness', () => {
    const { confidence } = scoreConfidence(
      verification({
        total: 10,
        cited: 8,
        claims: 4,
        matched: 3,
        mathFailed: 1,
        issues: [['UNCITED_NUMBER', 'error'], ['UNCITED_NUMBER', 'error'], ...xchk(2)],
        redactions: 3,
        overrun: 24,
        passed: false,
      }),
    );
    // citation cap(80, 100) = 40; numbers cap(75, 15) = 60; cross cap(100, 6) = 94; privacy 97; freshness cap(100, 4.8)
    expect(confidence.components).toEqual({ citation: 40, numbers: 60, cross_check: 94, privacy: 97, freshness: 95.2 });
    // 0.25·40 + 0.40·60 + 0.10·94 + 0.10·97 + 0.15·95.2 = 10 + 24 + 9.4 + 9.7 + 14.28 = 67.38
    expect(confidence.score).toBe(67);
    expect(confidence.band).toBe('RED');
    expect(confidence.reasons).toEqual([
      '2 cross-check(s) outside tolerance',
      '2 uncited number(s)',
      '3 redaction(s) applied',
      'verification failed',
    ]);
  });

  it('the small-sample guard applies below 3 numbers or claims; penalties never take more than half', () => {
    const few = scoreConfidence(
      verification({ total: 2, cited: 1, claims: 1, matched: 0, issues: [['UNCITED_NUMBER', 'error']] }),
    );
    // citation: guard(50, 2) = 66.667, then cap(·, 100) → 33.333; numbers: guard(0, 1) = 66.667
    expect(few.confidence.components.citation).toBe(33.333);
    expect(few.confidence.components.numbers).toBe(66.667);
    expect(few.confidence.reasons).toContain('small-sample guard applied');
    const many = scoreConfidence(verification({ issues: xchk(40), redactions: 500, overrun: 100_000 }));
    expect(many.confidence.components).toMatchObject({ cross_check: 50, privacy: 50, freshness: 50 });
    // 25 + 40 + 5 + 5 + 7.5 = 82.5 → 82 (half-even)
    expect(many.confidence.score).toBe(82);
    expect(many.confidence.band).toBe('AMBER');
  });

  it('bands: GREEN ≥ 90, AMBER ≥ 75, else RED', () => {
    const at = (s: Shape): [number, string] => {
      const c = scoreConfidence(verification(s)).confidence;
      return [c.score, c.band];
    };
    const capped: Shape = { issues: xchk(20), redactions: 50 }; // cross 50, privacy 50: −10
    expect(at(capped)).toEqual([90, 'GREEN']);
    expect(at({ ...capped, claims: 40, matched: 39 })).toEqual([89, 'AMBER']); // numbers 97.5: −1
    const lowCitation: Shape = { ...capped, total: 10, cited: 4, issues: [...xchk(20), ['UNCITED_NUMBER', 'warning']] };
    expect(at(lowCitation)).toEqual([75, 'AMBER']); // citation 40 (warnings only: no cap): −15
    expect(at({ ...lowCitation, claims: 40, matched: 39 })).toEqual([74, 'RED']);
  });

  it('the band is RED whenever verification failed, whatever the score', () => {
    const { confidence } = scoreConfidence(verification({ passed: false }));
    expect([confidence.score, confidence.band, confidence.reasons]).toEqual([100, 'RED', ['verification failed']]);
  });

  it('an answer without numbers or claims scores 60, "insufficient evidence"', () => {
    const { confidence } = scoreConfidence(verification({ total: 0, claims: 0 }));
    expect(confidence).toEqual({
      score: 60,
      band: 'RED',
      components: { citation: 100, numbers: 100, cross_check: 100, privacy: 100, freshness: 100 },
      reasons: [REASON_INSUFFICIENT],
    });
  });

  it('verify_numbers=false: numbers null, weights renormalised, band capped at AMBER, reason added', () => {
    const off = scoreConfidence(verification({ claims: null, redactions: 15 }));
    // (0.25·100 + 0.10·100 + 0.10·85 + 0.15·100) / 0.60 = 58.5 / 0.6 = 97.5 → 98 (half-even)
    expect(off.confidence).toEqual({
      score: 98,
      band: 'AMBER',
      components: { citation: 100, numbers: null, cross_check: 100, privacy: 85, freshness: 100 },
      reasons: ['15 redaction(s) applied', REASON_NUMBERS_OFF],
    });
    expect(off.derived.params.weights).toEqual({
      citation: 0.25 / 0.6,
      numbers: 0,
      cross_check: 0.1 / 0.6,
      privacy: 0.1 / 0.6,
      freshness: 0.15 / 0.6,
    });
    expect(off.derived.rows[0]).toMatchObject({ score: 98, band: 'AMBER', numbers: null });
  });

  it('is recorded as derived_confidence_score_<h8> over RFC 8785 JSON of {operation, inputs, params}', () => {
    const { confidence, derived } = scoreConfidence(verification({ redactions: 2 }));
    const body = canonicalize({ operation: 'confidence_score', inputs: derived.inputs, params: derived.params });
    const h8 = createHash('sha256').update(body, 'utf8').digest('hex').slice(0, 8);
    expect(derived.id).toBe(`derived_confidence_score_${h8}`);
    expect(derived.operation).toBe('confidence_score');
    expect(derived.inputs).toEqual(['derived_x_ab12cd34', 'syn_b']);
    expect(derived.asof_date).toBe('2023-12-31');
    expect(derived.license).toBe('MIT-SYNTHETIC; World Bank Open Data (CC BY 4.0)');
    expect(derived.params).toMatchObject({ redactions: 2, total_numbers: 10, cited_numbers: 10, passed: true });
    expect(derived.rows).toEqual([{ score: confidence.score, band: 'GREEN', ...confidence.components }]);
    expect(derived.fields.map((f) => [f.name, f.unit])).toEqual([
      ['score', 'score'],
      ['band', 'text'],
      ['citation', 'score'],
      ['numbers', 'score'],
      ['cross_check', 'score'],
      ['privacy', 'score'],
      ['freshness', 'score'],
    ]);
    // No state: scoring again gives the same record.
    expect(scoreConfidence(verification({ redactions: 2 })).derived).toEqual(derived);
  });

  it('scores a verified narrative end to end; the briefing can cite the score to the record', async () => {
    const q = query('syn_attrition_by_sector_latest', [{ year: 2024, sector: 'Energy', attrition_percent: 5.81 }]);
    const v = await verifyAnswer({
      narrative: 'Energy attrition was 5.8% [cite:syn_attrition_by_sector_latest] in 2024.',
      citations: [q],
      options: OPTIONS,
      clockDate: CLOCK,
    });
    const scored = scoreConfidence(v);
    // One number, one claim: guard(100, 1) = 100 for both; the XCHK_SKIPPED info costs nothing.
    expect(scored.confidence).toEqual({
      score: 100,
      band: 'GREEN',
      components: { citation: 100, numbers: 100, cross_check: 100, privacy: 100, freshness: 100 },
      reasons: ['1 cross-check(s) skipped', 'small-sample guard applied'],
    });
    const brief = await verifyAnswer({
      narrative: `Confidence ${scored.confidence.score} [cite:${scored.derived.id}].`,
      citations: [scored.derived],
      options: OPTIONS,
      clockDate: CLOCK,
    });
    expect(brief.issues).toEqual([]);
  });
});
