import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { renderAnswer } from '../../../src/analysis/render/render-answer.js';
import { loadCitedQueries, markerIds } from '../../../src/analysis/render/citations.js';
import { leadingSentences, parameterLine } from '../../../src/analysis/render/sections.js';
import type { DataClient, QueryResult } from '../../../src/analysis/model.js';
import { queryResult, trendFixture } from './fixtures.js';

const CLOCK = '2025-01-15';

describe('renderAnswer', () => {
  it('builds the four sections in order with the §4.2 contents and display formats', () => {
    const { result, queries, trend } = trendFixture();
    const r = renderAnswer({ result, queries, clockDate: CLOCK });
    const T = trend.id;
    expect(r.sections.map((s) => [s.id, s.title])).toEqual([
      ['executive_summary', 'Executive Summary'],
      ['key_findings', 'Key Findings'],
      ['method_notes', 'Method Notes'],
      ['evidence', 'Evidence'],
    ]);
    const [summary, findings, method, evidence] = r.sections.map((s) => s.body_md);
    expect(summary).toBe(
      'Qatarization in Energy reached 14.5% [cite:ts_qatarization_annual] in 2024. ' +
        `It rose by 1.26 pp [cite:${T}] over the year! Is the slope -0.669 [cite:${T}]?`,
    );
    expect(findings).toBe(
      [
        `- **Qatarization in Energy**: ${result.findings[0]!.summary}`,
        '- **Context \\| sector**: Salary 18,235 QAR [cite:syn_avg_salary_by_sector_latest] ' +
          'Employees 51,767 [cite:syn_sector_employment_latest]',
        '',
        '| Metric | Value | Unit | Source |',
        '| --- | --- | --- | --- |',
        '| Latest level | 14.5% | percent | [cite:ts_qatarization_annual] |',
        `| Change | 1.26 pp | pp | [cite:${T}] |`,
        `| Slope | -0.669 | ratio | [cite:${T}] |`,
        '| Average salary | 18,235 QAR | QAR | [cite:syn_avg_salary_by_sector_latest] |',
        '| Employees | 51,767 | count | [cite:syn_sector_employment_latest] |',
      ].join('\n'),
    );
    expect(method).toBe(
      [
        '- Method: TimeMachine trend (intent time.trend)',
        '- Frequency: annual',
        '- Parameter metric: qatarization',
        '- Parameter sector: Energy',
        `- Parameter window: 3 [cite:${T}]`,
        '- Parameter start: 2019',
        '- Parameter sectors: Energy, ICT',
        '- Parameter verbose: false',
      ].join('\n'),
    );
    expect(evidence).toBe(
      [
        '| Id | Kind | Dataset | As of | Licence |',
        '| --- | --- | --- | --- | --- |',
        `| ${T} | derived | derived | 2024-12-31 | MIT-SYNTHETIC |`,
        '| syn_avg_salary_by_sector_latest | query | syn_avg_salary_by_sector_latest_dataset | 2023-12-31 | MIT-SYNTHETIC |',
        '| syn_sector_employment_latest | query | syn_sector_employment_latest_dataset | 2023-06-30 | not stated |',
        '| ts_qatarization_annual | query | lmis_micro | 2024-12-31 | MIT-SYNTHETIC |',
      ].join('\n'),
    );
  });

  it('joins the sections into the narrative as "## {title}\\n\\n{body}" separated by blank lines', () => {
    const { result, queries } = trendFixture();
    const r = renderAnswer({ result, queries, clockDate: CLOCK });
    const b = r.sections.map((s) => s.body_md);
    expect(r.narrative).toBe(
      `## Executive Summary\n\n${b[0]}\n\n## Key Findings\n\n${b[1]}\n\n## Method Notes\n\n${b[2]}\n\n## Evidence\n\n${b[3]}`,
    );
  });

  it('lists citations sorted by id with query provenance and derived operation, inputs and params', () => {
    const { result, queries, trend } = trendFixture();
    const r = renderAnswer({ result, queries, clockDate: CLOCK });
    expect(r.citations).toEqual([
      {
        id: trend.id,
        kind: 'derived',
        dataset_id: 'derived',
        locator: 'derived:trend',
        license: 'MIT-SYNTHETIC',
        asof_date: '2024-12-31',
        fields: ['yoy'],
        operation: 'trend',
        inputs: ['ts_qatarization_annual'],
        params: { window: 3, slope: -0.6694 },
      },
      {
        id: 'syn_avg_salary_by_sector_latest',
        kind: 'query',
        dataset_id: 'syn_avg_salary_by_sector_latest_dataset',
        locator: 'aggregates/syn_avg_salary_by_sector_latest.csv',
        license: 'MIT-SYNTHETIC',
        asof_date: '2023-12-31',
        fields: ['year', 'sector', 'avg_salary_qr'],
      },
      {
        id: 'syn_sector_employment_latest',
        kind: 'query',
        dataset_id: 'syn_sector_employment_latest_dataset',
        locator: 'aggregates/syn_sector_employment_latest.csv',
        license: null,
        asof_date: '2023-06-30',
        fields: ['year', 'sector', 'employees'],
      },
      {
        id: 'ts_qatarization_annual',
        kind: 'query',
        dataset_id: 'lmis_micro',
        locator: 'postgres:lmis_micro',
        license: 'MIT-SYNTHETIC',
        asof_date: '2024-12-31',
        fields: ['period', 'sector', 'value', 'base', 'suppressed'],
      },
    ]);
    expect(r.freshness).toEqual({
      asof_min: '2023-06-30',
      asof_max: '2024-12-31',
      clock_date: CLOCK,
      sources: {
        syn_avg_salary_by_sector_latest: '2023-12-31',
        syn_sector_employment_latest: '2023-06-30',
        ts_qatarization_annual: '2024-12-31',
      },
    });
    expect(Object.keys(r.freshness.sources)).toEqual([
      'syn_avg_salary_by_sector_latest',
      'syn_sector_employment_latest',
      'ts_qatarization_annual',
    ]);
    expect(r.cited.queries.map((q) => q.query_id)).toEqual([
      'syn_avg_salary_by_sector_latest',
      'syn_sector_employment_latest',
      'ts_qatarization_annual',
    ]);
    expect(r.cited.derived.map((d) => d.id)).toEqual([trend.id]);
  });

  it('ignores queries the result does not reference', () => {
    const { result, queries } = trendFixture();
    const extra = queryResult('wb_gcc_unemployment', [{ country: 'QAT', year: 2023, value: 0.1 }]);
    const r = renderAnswer({ result, queries: [...queries, extra], clockDate: CLOCK });
    expect(r.citations.map((c) => c.id)).not.toContain('wb_gcc_unemployment');
  });

  it('gives agent warnings, then data warnings by query id, without the clock-dependent freshness ones', () => {
    const { result, queries } = trendFixture();
    expect(renderAnswer({ result, queries, clockDate: CLOCK }).warnings).toEqual([
      { code: 'MISSING_VALUES', message: 'ts_qatarization_annual: 1 null value dropped', source: 'agent' },
      { code: 'row_limit_reached', message: 'syn_sector_employment_latest: row_limit_reached:1', source: 'data' },
      { code: 'transform', message: 'ts_qatarization_annual: transform:select', source: 'data' },
    ]);
  });

  it('cuts the metrics table at max_rows and cites the total to a table_truncation derived result', () => {
    const { result, queries, trend } = trendFixture();
    const r = renderAnswer({ result, queries, clockDate: CLOCK, maxRows: 2 });
    const inputs = [
      trend.id,
      'syn_avg_salary_by_sector_latest',
      'syn_sector_employment_latest',
      'ts_qatarization_annual',
    ];
    const canonical =
      `{"inputs":${JSON.stringify(inputs)},"operation":"table_truncation",` +
      '"params":{"max_rows":2,"shown_rows":2,"table":"key_findings","total_rows":5}}';
    const id = `derived_table_truncation_${createHash('sha256').update(canonical).digest('hex').slice(0, 8)}`;
    const body = r.sections[1]!.body_md;
    expect(
      body.split('\n').filter((l) => l.startsWith('| ') && !l.startsWith('| Metric') && !l.startsWith('| ---')),
    ).toHaveLength(2);
    expect(body.endsWith(`\n\nTable truncated: showing 2 of 5 rows [cite:${id}].`)).toBe(true);
    const citation = r.citations.find((c) => c.id === id);
    expect(citation).toEqual({
      id,
      kind: 'derived',
      dataset_id: 'derived',
      locator: 'derived:table_truncation',
      license: 'MIT-SYNTHETIC',
      asof_date: '2023-06-30',
      fields: [],
      operation: 'table_truncation',
      inputs,
      params: { table: 'key_findings', max_rows: 2, shown_rows: 2, total_rows: 5 },
    });
    expect(r.cited.derived.map((d) => d.id)).toEqual([trend.id, id].sort());
    // The findings themselves are not cut.
    expect(r.findings.flatMap((f) => f.metrics)).toHaveLength(5);
  });

  it('writes no truncation note when every row fits', () => {
    const { result, queries } = trendFixture();
    const r = renderAnswer({ result, queries, clockDate: CLOCK, maxRows: 5 });
    expect(r.narrative).not.toContain('Table truncated');
    expect(r.citations.some((c) => c.operation === 'table_truncation')).toBe(false);
  });

  it('answers without findings with fixed, number-free text', () => {
    const { result } = trendFixture();
    const empty = { ...result, findings: [], derived: [], sources: [], params: { metric: 'retention' } };
    const r = renderAnswer({ result: empty, queries: [], clockDate: CLOCK });
    expect(r.sections.map((s) => s.body_md)).toEqual([
      'No finding could be computed for this question; the warnings give the reasons.',
      'No findings were produced.',
      '- Method: TimeMachine trend (intent time.trend)\n- Frequency: annual\n- Parameter metric: retention',
      'No sources were cited.',
    ]);
    expect(r.citations).toEqual([]);
    expect(r.freshness).toEqual({ asof_min: null, asof_max: null, clock_date: CLOCK, sources: {} });
  });

  it('rejects a max_rows outside 1..1000 and a malformed clock date with a typed error', () => {
    const { result, queries } = trendFixture();
    for (const maxRows of [0, 1001, 2.5]) {
      expect(() => renderAnswer({ result, queries, clockDate: CLOCK, maxRows })).toThrow(
        expect.objectContaining({ name: 'AnalysisError', code: 'invalid_request' }),
      );
    }
    expect(() => renderAnswer({ result, queries, clockDate: '15/01/2025' })).toThrow(
      expect.objectContaining({ name: 'AnalysisError', code: 'invalid_request' }),
    );
  });

  it('renders byte-identical output for the same input', () => {
    const a = trendFixture();
    const b = trendFixture();
    expect(JSON.stringify(renderAnswer({ result: a.result, queries: a.queries, clockDate: CLOCK }))).toBe(
      JSON.stringify(renderAnswer({ result: b.result, queries: [...b.queries].reverse(), clockDate: CLOCK })),
    );
  });
});

describe('render helpers', () => {
  it('takes at most three leading sentences of the first paragraph, never splitting decimals', () => {
    expect(leadingSentences('A is 1.5% [cite:x]. B.\n\nSecond paragraph.', 3)).toBe('A is 1.5% [cite:x]. B.');
    expect(leadingSentences('One. Two. Three. Four.', 3)).toBe('One. Two. Three.');
    expect(leadingSentences('- first item\n- second item', 3)).toBe('first item second item');
  });

  it('shows parameters only when they can be cited or hold no number', () => {
    const { trend } = trendFixture();
    expect(parameterLine('slope', -0.6694, [trend])).toBe(`- Parameter slope: -0.6694 [cite:${trend.id}]`);
    expect(parameterLine('other', 3, [trend])).toBe(`- Parameter other: 3 [cite:${trend.id}]`);
    expect(parameterLine('horizon', 12, [trend])).toBeNull();
    expect(parameterLine('name', 'plus 5%', [trend])).toBeNull();
    expect(parameterLine('end', '2024-06', [trend])).toBe('- Parameter end: 2024-06');
    expect(parameterLine('bad', Number.NaN, [trend])).toBeNull();
    expect(parameterLine('list', [1, 2], [trend])).toBeNull();
  });

  it('reads marker ids in order without duplicates', () => {
    expect(markerIds('a [cite:x] b [cite:y, x] c [cite:z]')).toEqual(['x', 'y', 'z']);
  });

  it('loads the cited queries through the DataClient memo, skipping derived and unregistered ids', async () => {
    const { result, queries } = trendFixture();
    const byId = new Map(queries.map((q) => [q.query_id, q]));
    const asked: string[] = [];
    const client: DataClient = {
      has: (id) => byId.has(id),
      run: async (id) => {
        asked.push(id);
        return byId.get(id) as QueryResult;
      },
    };
    const loaded = await loadCitedQueries(result, client, ['not_registered']);
    expect(loaded.map((q) => q.query_id)).toEqual([
      'syn_avg_salary_by_sector_latest',
      'syn_sector_employment_latest',
      'ts_qatarization_annual',
    ]);
    expect([...asked].sort()).toEqual(loaded.map((q) => q.query_id));
  });
});
