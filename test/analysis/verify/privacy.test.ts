import { describe, expect, it } from 'vitest';
import { redactNarrative, redactText } from '../../../src/analysis/verify/privacy.js';
import { verifyAnswer } from '../../../src/analysis/verify/verify-answer.js';
import { CLOCK, OPTIONS, derived, query } from './build.js';

describe('L4 redaction (§5.4)', () => {
  it('never redacts protected vocabulary', () => {
    for (const text of [
      'Energy Qatari staff grew.',
      'The Public Sector leads.',
      'Saudi Arabia and the United Arab Emirates report.',
      'World Bank Open Data (CC BY 4.0).',
      'Theil Sen slope, Spearman and Pearson correlations, CUSUM and EWMA.',
      'Minister Briefing: Qatar Labour Market (Synthetic Data)',
      'Executive Summary and Key Findings from the Ministry of Labour.',
      'Al Rayyan, Al Wakrah, Umm Salal and Doha in January and Sunday.',
      'Non-Qatari Expatriate workers in Hospitality.',
      'Retention Rate and Qatarization in Vision 2030.',
    ]) {
      expect(redactNarrative(text)).toEqual({ text, redactions: [] });
    }
  });

  it('always redacts person names, e-mail addresses and 11-digit numbers', () => {
    expect(redactText('Ask Fatima Al-Thani about it.')).toBe('Ask [REDACTED_NAME] about it.');
    expect(redactText('Ahmed bin Khalid said so.')).toBe('[REDACTED_NAME] said so.');
    expect(redactText('Write to fatima.althani@example.gov.qa today.')).toBe('Write to [REDACTED_EMAIL] today.');
    expect(redactText('QID 28463412345 was logged.')).toBe('QID [REDACTED_ID] was logged.');
  });

  it('a protected word breaks a run but does not shield the name next to it', () => {
    expect(redactText('Minister Fatima Al-Thani met Energy staff.')).toBe('Minister [REDACTED_NAME] met Energy staff.');
    expect(redactText("Energy Fatima Al-Thani's team")).toBe('Energy [REDACTED_NAME] team');
    // One capitalised word alone is not a name.
    expect(redactText('Fatima said so.')).toBe('Fatima said so.');
  });

  it('phones: optional +974, 8 digits, optionally split 4-4; year ranges are not phones', () => {
    expect(redactText('Call +974 5555 1234, 5555-1234 or 55551234.')).toBe(
      'Call [REDACTED_PHONE], [REDACTED_PHONE] or [REDACTED_PHONE].',
    );
    expect(redactText('From 2017-2024 and 2019 2020.')).toBe('From 2017-2024 and 2019 2020.');
  });

  it('leaves identifiers, decimals, markers, headings and table header rows alone', () => {
    const text = [
      '## Fatima Al-Thani Report',
      '',
      '| Ahmed Khalid | Value |',
      '|---|---|',
      '| Sara Ahmed | 12 |',
      '',
      'Slope 0.12345678901 [cite:derived_x_12345678901] in derived_x_12345678901.',
    ].join('\n');
    const out = redactNarrative(text);
    expect(out.text).toBe(text.replace('| Sara Ahmed |', '| [REDACTED_NAME] |'));
    expect(out.redactions).toEqual([{ code: 'PII_NAME', line: 5 }]);
  });

  it('keeps CRLF line ends', () => {
    expect(redactText('Fatima Al-Thani\r\nok')).toBe('[REDACTED_NAME]\r\nok');
  });
});

describe('L4 in verifyAnswer', () => {
  it('each redaction is a warning with its line, applied to the returned narrative; details hold no PII', async () => {
    const v = await verifyAnswer({
      narrative:
        '## Executive Summary\n\nContact Fatima Al-Thani at fatima@example.com or +974 5555 1234, QID 28463412345.',
      citations: [],
      options: OPTIONS,
      clockDate: CLOCK,
    });
    const l4 = v.issues.filter((i) => i.layer === 'L4');
    expect(l4.map((i) => [i.code, i.severity, i.details])).toEqual([
      ['PII_EMAIL', 'warning', { line: 3, replacement: '[REDACTED_EMAIL]' }],
      ['PII_ID', 'warning', { line: 3, replacement: '[REDACTED_ID]' }],
      ['PII_PHONE', 'warning', { line: 3, replacement: '[REDACTED_PHONE]' }],
      ['PII_NAME', 'warning', { line: 3, replacement: '[REDACTED_NAME]' }],
    ]);
    expect(v.narrative).toBe(
      '## Executive Summary\n\nContact [REDACTED_NAME] at [REDACTED_EMAIL] or [REDACTED_PHONE], QID [REDACTED_ID].',
    );
    expect(v.reports.redactions).toBe(4);
    expect(JSON.stringify(v.issues.filter((i) => i.layer === 'L4'))).not.toMatch(/Fatima|example\.com|5555|2846/);
  });

  it('SMALL_CELL: a cited company-level row with base below 15 is an error; sector rows are not company rows', async () => {
    const companies = query(
      'lmis_company_retention_latest',
      [
        {
          period: '2024',
          company_id: 7,
          company_name: 'Company 00007',
          sector: 'Energy',
          base: 12,
          retained: 10,
          value: 83.33,
        },
        {
          period: '2024',
          company_id: 9,
          company_name: 'Company 00009',
          sector: 'ICT',
          base: 14,
          retained: 7,
          value: 50,
        },
        {
          period: '2024',
          company_id: 11,
          company_name: 'Company 00011',
          sector: 'ICT',
          base: 15,
          retained: 15,
          value: 100,
        },
      ],
      { unit: 'percent' },
    );
    const sectors = query('ts_retention_annual', [
      { period: '2024', sector: 'ICT', value: null, base: 9, suppressed: true },
    ]);
    const companyDerived = derived(
      'derived_top_companies_0badc0de',
      [{ name: 'base', unit: 'count', kind: 'level' }],
      [{ company_id: 3, base: 20 }],
    );
    const v = await verifyAnswer({
      narrative: 'No numbers here.',
      citations: [companies, sectors, companyDerived],
      options: OPTIONS,
      clockDate: CLOCK,
    });
    const small = v.issues.filter((i) => i.code === 'SMALL_CELL');
    expect(small).toEqual([
      {
        layer: 'L4',
        code: 'SMALL_CELL',
        severity: 'error',
        message: 'lmis_company_retention_latest cites 2 company-level row(s) with base below 15',
        details: { id: 'lmis_company_retention_latest', rows: 2, min_base: 12, threshold: 15, company_ids: [7, 9] },
      },
    ]);
    expect(v.passed).toBe(false);
  });
});
