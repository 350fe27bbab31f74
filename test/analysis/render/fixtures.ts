/** Hand-built agent results and query results for the render and audit tests. */
import { derive } from '../../../src/analysis/derived.js';
import type { AgentResult, DerivedResult, QueryResult, Scalar } from '../../../src/analysis/model.js';

export function queryResult(
  id: string,
  rows: Record<string, Scalar>[],
  opts: {
    dataset?: string;
    locator?: string;
    license?: string | null;
    asof?: string | null;
    warnings?: string[];
    unit?: QueryResult['unit'];
  } = {},
): QueryResult {
  return {
    query_id: id,
    unit: opts.unit ?? 'percent',
    rows: rows.map((r) => new Map(Object.entries(r))),
    row_count: rows.length,
    provenance: {
      source: 'csv',
      dataset_id: opts.dataset ?? `${id}_dataset`,
      locator: opts.locator ?? `aggregates/${id}.csv`,
      fields: rows[0] === undefined ? [] : Object.keys(rows[0]),
      license: opts.license === undefined ? 'MIT-SYNTHETIC' : opts.license,
    },
    freshness: { asof_date: opts.asof === undefined ? '2024-12-31' : opts.asof, updated_at: null },
    warnings: opts.warnings ?? [],
    registry_version: 'reg-1',
    timings: { total_ms: 1.5, source_ms: null, postprocess_ms: null, cache: 'miss' },
  };
}

export interface Fixture {
  result: AgentResult;
  queries: QueryResult[];
  trend: DerivedResult;
}

/** A TimeMachine-like result: two findings, five metrics over three queries and one derived result. */
export function trendFixture(): Fixture {
  const ts = queryResult(
    'ts_qatarization_annual',
    [
      { period: '2023', sector: 'Energy', value: 13.2, base: 900, suppressed: false },
      { period: '2024', sector: 'Energy', value: 14.4567, base: 910, suppressed: false },
    ],
    { dataset: 'lmis_micro', locator: 'postgres:lmis_micro', warnings: ['stale_data:400>365', 'transform:select'] },
  );
  const salary = queryResult(
    'syn_avg_salary_by_sector_latest',
    [{ year: 2023, sector: 'Energy', avg_salary_qr: 18234.5 }],
    {
      asof: '2023-12-31',
      unit: 'qar',
    },
  );
  const employment = queryResult('syn_sector_employment_latest', [{ year: 2023, sector: 'Energy', employees: 51767 }], {
    license: null,
    asof: '2023-06-30',
    unit: 'count',
    warnings: ['row_limit_reached:1'],
  });
  const trend = derive({
    operation: 'trend',
    inputs: [ts],
    params: { window: 3, slope: -0.6694 },
    fields: [{ name: 'yoy', unit: 'pp', kind: 'change' }],
    rows: [{ period: '2024', yoy: 1.2567 }],
  });
  const result: AgentResult = {
    agent: 'TimeMachine',
    method: 'trend',
    intent: 'time.trend',
    params: {
      metric: 'qatarization',
      sector: 'Energy',
      window: 3,
      start: '2019',
      sectors: ['Energy', 'ICT'],
      label: 'top 5 list',
      unlisted: 7,
      nested: { a: 1 },
      verbose: false,
    },
    findings: [
      {
        id: 'f1',
        title: 'Qatarization in Energy',
        summary:
          'Qatarization in Energy reached 14.5% [cite:ts_qatarization_annual] in 2024. It rose by 1.26 pp ' +
          `[cite:${trend.id}] over the year! Is the slope -0.669 [cite:${trend.id}]? A fourth sentence is dropped.`,
        metrics: [
          { key: 'latest', label: 'Latest level', value: 14.4567, unit: 'percent', citation: 'ts_qatarization_annual' },
          { key: 'yoy', label: 'Change', value: 1.2567, unit: 'pp', citation: trend.id },
          { key: 'slope', label: 'Slope', value: -0.6694, unit: 'ratio', citation: trend.id },
        ],
        citations: ['ts_qatarization_annual', trend.id],
      },
      {
        id: 'f2',
        title: 'Context | sector',
        summary:
          '- Salary 18,235 QAR [cite:syn_avg_salary_by_sector_latest]\n- Employees 51,767 [cite:syn_sector_employment_latest]',
        metrics: [
          {
            key: 'avg_salary',
            label: 'Average salary',
            value: 18234.5,
            unit: 'qar',
            citation: 'syn_avg_salary_by_sector_latest',
          },
          {
            key: 'employees',
            label: 'Employees',
            value: 51767,
            unit: 'count',
            citation: 'syn_sector_employment_latest',
          },
        ],
        citations: ['syn_avg_salary_by_sector_latest', 'syn_sector_employment_latest'],
      },
    ],
    derived: [trend],
    sources: ['ts_qatarization_annual', 'syn_avg_salary_by_sector_latest', 'syn_sector_employment_latest'],
    warnings: [
      { code: 'MISSING_VALUES', message: 'ts_qatarization_annual: 1 null value dropped', details: { count: 1 } },
    ],
    frequency: 'annual',
  };
  return { result, queries: [employment, ts, salary], trend };
}
