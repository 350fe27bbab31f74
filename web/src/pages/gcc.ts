/** GCC (ui.md §5.3): Qatar's rank card, the unemployment chart and the table. */
import { getJson, query } from '../api.js';
import { h } from '../components/dom.js';
import { loadRegion } from '../components/region.js';
import { chartBlock, dataTable } from '../components/chart.js';
import { countryName, fmtNum, fmtPct, lang, t } from '../i18n/index.js';
import type { PageContext } from '../main.js';
import type { CategoryChartPayload } from '../../../src/charts/payloads.js';

export function gccPage(main: HTMLElement, ctx: PageContext): void {
  ctx.heading(t('gcc.title'));
  const region = h('div', { class: 'region' });
  main.append(region);
  loadRegion<CategoryChartPayload>(region, {
    label: t('chart.name.gcc-unemployment'),
    load: (signal) => getJson(`/api/v1/ui/charts/gcc-unemployment${query({ lang: lang() })}`, signal),
    isEmpty: (d) => d.categories.length < 2,
    emptyMessage: () => t('gcc.empty'),
    warnings: (d) => d.source.warnings,
    render: (d) => {
      const r = d.ranking!;
      const gap = r.gap_pp === null ? '–' : `${r.gap_pp > 0 ? '+' : ''}${fmtNum(r.gap_pp, 2)} ${t('unit.pp')}`;
      const card = h(
        'section',
        { class: 'card rank-card', 'aria-labelledby': 'rank-h', 'data-rank': String(r.qatar_rank ?? '') },
        h('h2', { id: 'rank-h' }, t('gcc.rank_title')),
        h(
          'p',
          { class: 'kpi-value' },
          r.qatar_rank === null ? t('gcc.no_qatar') : t('gcc.rank', { rank: r.qatar_rank, of: r.of }),
        ),
        h(
          'dl',
          { class: 'facts' },
          h('dt', {}, t('gcc.qatar_rate')),
          h('dd', {}, fmtPct(r.qatar_rate)),
          h('dt', {}, t('gcc.average')),
          h('dd', {}, fmtPct(r.gcc_average)),
          h('dt', {}, t('gcc.gap')),
          h('dd', {}, gap),
        ),
      );
      const table = {
        headers: [t('table.rank'), t('table.country'), t('table.rate'), t('table.year')],
        rows: d.categories.map((c, i) => [String(i + 1), countryName(c), fmtPct(d.values[i]), String(d.year)]),
      };
      return [
        card,
        chartBlock({ chart: 'gcc-unemployment', payload: d, table, params: {}, source: d.source, qualifier: d.year }),
        h('h2', {}, t('gcc.table_title')),
        dataTable(t('gcc.table_title'), table),
      ];
    },
  });
}
