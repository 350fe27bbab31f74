/** Sectors (ui.md §5.2): year and sector controls in the URL, five charts from the shared renderer. */
import { getJson, query } from '../api.js';
import { h } from '../components/dom.js';
import { loadRegion } from '../components/region.js';
import { selectField } from '../components/controls.js';
import { chartBlock } from '../components/chart.js';
import { fmtInt, fmtNum, fmtPct, sectorName, t } from '../i18n/index.js';
import { state } from '../state.js';
import type { PageContext } from '../main.js';
import type { ChartName } from '../../../src/charts/labels.js';
import type { CategoryChartPayload, SeriesChartPayload } from '../../../src/charts/payloads.js';

function categoryTable(chart: ChartName, p: CategoryChartPayload) {
  const total = p.values.reduce<number>((s, v) => s + (v ?? 0), 0);
  switch (chart) {
    case 'sector-employment':
      return {
        headers: [t('table.sector'), t('table.employees'), t('table.share')],
        rows: p.categories.map((c, i) => [
          sectorName(c),
          fmtInt(p.values[i]),
          fmtPct(total > 0 ? ((p.values[i] ?? 0) / total) * 100 : null),
        ]),
      };
    case 'qatarization-by-sector':
      return {
        headers: [
          t('table.sector'),
          t('table.qatarization'),
          t('table.qataris'),
          t('table.non_qataris'),
          t('table.gap_pp'),
        ],
        rows: p.categories.map((c, i) => {
          const v = p.values[i] ?? null;
          return [
            sectorName(c),
            fmtPct(v),
            fmtInt(p.qataris?.[i]),
            fmtInt(p.non_qataris?.[i]),
            v === null ? '–' : fmtNum(30 - v, 2),
          ];
        }),
      };
    default:
      return {
        headers: [t('table.sector'), t('table.attrition'), t('table.flag')],
        rows: p.categories.map((c, i) => [sectorName(c), fmtPct(p.values[i]), t(`flag.${p.flags?.[i] ?? 'low'}`)]),
      };
  }
}

export function sectorsPage(main: HTMLElement, ctx: PageContext): void {
  ctx.heading(t('sectors.title'));
  const meta = state.meta;
  const years = meta?.years ?? [];
  const sectors = meta?.sectors ?? [];
  const y = Number(ctx.search.get('year'));
  let year = years.includes(y) ? y : (meta?.latest_common_year ?? years[years.length - 1] ?? 0);
  const s = ctx.search.get('sector');
  let sector = s && sectors.includes(s) ? s : (sectors[0] ?? '');

  const regions = {
    employment: h('div', { class: 'region' }),
    qatarization: h('div', { class: 'region' }),
    attrition: h('div', { class: 'region' }),
    trend: h('div', { class: 'region' }),
    yoy: h('div', { class: 'region' }),
  };

  const category = (chart: ChartName, region: HTMLElement) =>
    loadRegion<CategoryChartPayload>(region, {
      label: t(`chart.name.${chart}`),
      load: (signal) => getJson(`/api/v1/ui/charts/${chart}${query({ year })}`, signal),
      isEmpty: (d) => d.categories.length === 0,
      emptyMessage: () => t('sectors.no_data_year', { year }),
      warnings: (d) => d.source.warnings,
      render: (d) =>
        chartBlock({
          chart,
          payload: d,
          table: categoryTable(chart, d),
          params: { year },
          source: d.source,
          qualifier: year,
        }),
    });
  const series = (chart: 'salary-trend' | 'salary-yoy', region: HTMLElement) =>
    loadRegion<SeriesChartPayload>(region, {
      label: t(`chart.name.${chart}`),
      load: (signal) => getJson(`/api/v1/ui/charts/${chart}${query({ sector })}`, signal),
      isEmpty: (d) => d.series.length === 0,
      emptyMessage: () => t('sectors.no_data_sector', { sector: sectorName(sector) }),
      warnings: (d) => d.source.warnings,
      render: (d) =>
        chartBlock({
          chart,
          payload: d,
          table: {
            headers: [t('table.year'), chart === 'salary-trend' ? t('table.avg_salary') : t('table.yoy')],
            rows: d.series.map((p) => [String(p.x), chart === 'salary-trend' ? fmtInt(p.y) : fmtPct(p.y)]),
          },
          params: { sector },
          source: d.source,
          qualifier: sector,
        }),
    });

  const loadYearCharts = () => {
    category('sector-employment', regions.employment);
    category('qatarization-by-sector', regions.qatarization);
    category('attrition-by-sector', regions.attrition);
  };
  const loadSectorCharts = () => {
    series('salary-trend', regions.trend);
    series('salary-yoy', regions.yoy);
  };
  const syncUrl = () => history.replaceState(null, '', `/app/sectors${query({ year, sector })}`);

  const yearField = selectField(
    t('controls.year'),
    years.map((v) => ({ value: String(v), label: String(v) })),
    String(year),
    (v) => {
      year = Number(v);
      syncUrl();
      loadYearCharts();
    },
  );
  const sectorField = selectField(
    t('controls.sector'),
    sectors.map((v) => ({ value: v, label: sectorName(v) })),
    sector,
    (v) => {
      sector = v;
      syncUrl();
      loadSectorCharts();
    },
  );

  main.append(
    h(
      'section',
      { 'aria-labelledby': 'by-year-h' },
      h('h2', { id: 'by-year-h' }, t('sectors.by_year')),
      h('div', { class: 'controls' }, yearField.field),
      regions.employment,
      regions.qatarization,
      regions.attrition,
    ),
    h(
      'section',
      { 'aria-labelledby': 'by-sector-h' },
      h('h2', { id: 'by-sector-h' }, t('sectors.by_sector')),
      h('div', { class: 'controls' }, sectorField.field),
      regions.trend,
      regions.yoy,
    ),
  );
  if (years.length > 0) loadYearCharts();
  if (sector !== '') loadSectorCharts();
}
