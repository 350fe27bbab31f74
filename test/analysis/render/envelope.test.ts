import { describe, expect, it } from 'vitest';
import { renderAnswer } from '../../../src/analysis/render/render-answer.js';
import { assembleAnswer, buildClarificationEnvelope, splitNarrative } from '../../../src/analysis/render/envelope.js';
import { VERIFICATION_FAILED_SENTENCE } from '../../../src/analysis/render/sections.js';
import type { RouterLike, TimingsMs, VerificationLike } from '../../../src/analysis/render/envelope-types.js';
import { trendFixture } from './fixtures.js';

const CLOCK = '2025-01-15';
const TIMINGS: TimingsMs = { route: 0.12345, agent: 10.0006, render: 1, verify: 2.5, audit: 0, total: 13.62405 };

const ENVELOPE_KEYS = [
  'request_id',
  'status',
  'intent',
  'router',
  'sections',
  'narrative',
  'findings',
  'citations',
  'freshness',
  'verification',
  'confidence',
  'warnings',
  'audit_id',
  'timings_ms',
];

function router(): RouterLike {
  return {
    defaults_applied: [],
    method: 'classified',
    confidence: 0.82,
    threshold: 0.55,
    entities: { metrics: ['qatarization'], sectors: ['Energy'] },
    entities_ignored: [],
    alternatives: [{ intent: 'time.baseline', score: 0.4 }],
    params_used: { metric: 'qatarization', sector: 'Energy' },
  };
}

const CONFIDENCE = {
  score: 96,
  band: 'GREEN' as const,
  components: { citation: 100, numbers: 100, cross_check: 100, privacy: 100, freshness: 70 },
  reasons: ['stale source'],
};

describe('assembleAnswer', () => {
  it('puts the members in schema order and normalises router, confidence and timings', () => {
    const { result, queries } = trendFixture();
    const rendered = renderAnswer({ result, queries, clockDate: CLOCK });
    const answer = assembleAnswer({
      request_id: 'req-1',
      router: router(),
      rendered,
      verification: { passed: true, issues: [] },
      confidence: CONFIDENCE,
      routerWarnings: [{ code: 'DEFAULT_APPLIED', message: 'frequency defaulted to auto' }],
      audit_id: null,
      timings_ms: TIMINGS,
    });
    expect(Object.keys(answer)).toEqual(ENVELOPE_KEYS);
    expect(answer.status).toBe('answered');
    expect(answer.intent).toBe('time.trend');
    expect(answer.router).toEqual({
      method: 'classified',
      confidence: 0.82,
      threshold: 0.55,
      entities: {
        sectors: ['Energy'],
        metrics: ['qatarization'],
        countries: [],
        time: null,
        numbers: [],
        changes: [],
        top_n: null,
      },
      entities_ignored: [],
      alternatives: [{ intent: 'time.baseline', score: 0.4 }],
      params_used: { metric: 'qatarization', sector: 'Energy' },
      defaults_applied: [],
    });
    expect(Object.keys(answer.router!)).toEqual([
      'method',
      'confidence',
      'threshold',
      'entities',
      'entities_ignored',
      'alternatives',
      'params_used',
      'defaults_applied',
    ]);
    expect(answer.confidence).toEqual(CONFIDENCE);
    expect(answer.timings_ms).toEqual({ route: 0.123, agent: 10.001, render: 1, verify: 2.5, audit: 0, total: 13.624 });
    expect(answer.sections).toEqual(rendered.sections);
    expect(answer.narrative).toBe(rendered.narrative);
    expect(answer.findings).toEqual(result.findings);
    expect(answer.warnings.map((w) => `${w.source}:${w.code}`)).toEqual([
      'router:DEFAULT_APPLIED',
      'agent:MISSING_VALUES',
      'data:row_limit_reached',
      'data:transform',
    ]);
  });

  it('opens the Executive Summary with the fixed sentence and forces RED when verification failed', () => {
    const { result, queries } = trendFixture();
    const rendered = renderAnswer({ result, queries, clockDate: CLOCK });
    const verification: VerificationLike = {
      passed: false,
      issues: [
        {
          layer: 'L2',
          code: 'NUMBER_NOT_FOUND',
          severity: 'error',
          message: '14.5% not found',
          details: { claim: 14.5 },
        },
        { layer: 'L5', code: 'STALE_DATA', severity: 'warning', message: 'ts is stale' },
        { layer: 'L3', code: 'XCHK_SKIPPED', severity: 'info', message: 'no counterpart' },
      ],
    };
    const answer = assembleAnswer({
      request_id: 'req-2',
      router: null,
      rendered,
      verification,
      confidence: CONFIDENCE,
      timings_ms: TIMINGS,
    });
    const summary = answer.sections[0]!.body_md;
    expect(summary).toBe(`${VERIFICATION_FAILED_SENTENCE} ${rendered.sections[0]!.body_md}`);
    expect(summary.startsWith('Verification failed: some figures in this answer could not be verified. ')).toBe(true);
    expect(answer.narrative.startsWith(`## Executive Summary\n\n${VERIFICATION_FAILED_SENTENCE} `)).toBe(true);
    expect(answer.sections.slice(1)).toEqual(rendered.sections.slice(1));
    expect(answer.confidence?.band).toBe('RED');
    expect(answer.confidence?.score).toBe(96);
    expect(answer.router).toBeNull();
    expect(answer.audit_id).toBeNull();
    expect(answer.verification).toEqual({
      passed: false,
      issues: [
        {
          layer: 'L2',
          code: 'NUMBER_NOT_FOUND',
          severity: 'error',
          message: '14.5% not found',
          details: { claim: 14.5 },
        },
        { layer: 'L5', code: 'STALE_DATA', severity: 'warning', message: 'ts is stale', details: {} },
        { layer: 'L3', code: 'XCHK_SKIPPED', severity: 'info', message: 'no counterpart', details: {} },
      ],
    });
    expect(answer.warnings.filter((w) => w.source === 'verification')).toEqual([
      { code: 'STALE_DATA', message: 'ts is stale', source: 'verification' },
    ]);
  });

  it('carries the redactions of the verified narrative into the sections', () => {
    const { result, queries } = trendFixture();
    result.findings[1]!.title = 'Contact fatima@example.org';
    const rendered = renderAnswer({ result, queries, clockDate: CLOCK });
    const redacted = rendered.narrative.replace('fatima@example.org', '[REDACTED_EMAIL]');
    const answer = assembleAnswer({
      request_id: 'r',
      router: null,
      rendered,
      verification: { passed: true, issues: [], narrative: redacted },
      confidence: null,
      timings_ms: TIMINGS,
    });
    expect(answer.narrative).toBe(redacted);
    expect(answer.sections[1]!.body_md).toContain('- **Contact [REDACTED_EMAIL]**');
    expect(answer.sections.map((s) => s.id)).toEqual(rendered.sections.map((s) => s.id));
    expect(answer.narrative).not.toContain('fatima');
  });

  it('refuses a narrative that lost its section headings', () => {
    const { result, queries } = trendFixture();
    const rendered = renderAnswer({ result, queries, clockDate: CLOCK });
    expect(() => splitNarrative(rendered.narrative.replace('## Evidence', 'Evidence'), rendered.sections)).toThrow(
      expect.objectContaining({ name: 'RenderError' }),
    );
  });
});

describe('buildClarificationEnvelope', () => {
  it('has null intent and confidence, no citations, passed verification and only the clarification section', () => {
    const message =
      'Please name a metric (employment, retention, attrition, Qatarization, salary) and a sector.\n\n' +
      '1. time.trend: trends\n2. strategy.vision2030: the target\n3. pattern.anomalies: outliers';
    const envelope = buildClarificationEnvelope({
      request_id: 'req-3',
      router: router(),
      clarification: {
        reason: 'low_confidence',
        message,
        options: [{ intent: 'time.trend', description: 'trends', example: 'x' }],
        missing: [],
      },
      clockDate: CLOCK,
      audit_id: '6f1c1f5e-1d1b-4c4b-9a57-1e8f5f0b3a10',
      timings_ms: TIMINGS,
    });
    expect(Object.keys(envelope)).toEqual([...ENVELOPE_KEYS.slice(0, -2), 'clarification', 'audit_id', 'timings_ms']);
    expect(envelope).toMatchObject({
      request_id: 'req-3',
      status: 'clarification',
      intent: null,
      sections: [{ id: 'clarification', title: 'Clarification', body_md: message }],
      narrative: `## Clarification\n\n${message}`,
      findings: [],
      citations: [],
      freshness: { asof_min: null, asof_max: null, clock_date: CLOCK, sources: {} },
      verification: { passed: true, issues: [] },
      confidence: null,
      warnings: [],
      clarification: {
        reason: 'low_confidence',
        message,
        options: [{ intent: 'time.trend', description: 'trends', example: 'x' }],
        missing: [],
      },
      audit_id: '6f1c1f5e-1d1b-4c4b-9a57-1e8f5f0b3a10',
    });
    expect(Object.keys(envelope.clarification!)).toEqual(['reason', 'message', 'options', 'missing']);
    expect(envelope.router?.params_used).toEqual({ metric: 'qatarization', sector: 'Energy' });
  });
});
