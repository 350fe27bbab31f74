/** Overview (ui.md §5.1): year selector, four KPI cards, top-5 sectors, early-warning hotlist. */
import { getJson, query } from '../api.js';
import { h } from '../components/dom.js';
import { loadRegion } from '../components/region.js';
import { selectField } from '../components/controls.js';
import { sourceLine } from '../components/chart.js';
import { fmtInt, fmtPct, fmtSigned, fmtUnit, sectorName, t } from '../i18n/index.js';
import { state } from '../state.js';
import type { PageContext } from '../main.js';
import type { CardsPayload } from '../../../src/charts/payloads.js';

interface KpiCard {
  id: string;
  kpi: number | null;
  unit: string;
  meta: {
    year: number;
    query_id: string;
    asof: string | null;
    previous: number | null;
    change: number | null;
    change_unit: 'pp' | 'percent';
  };
}
interface Kpis {
  year: number;
  cards: KpiCard[];
  warnings: string[];
}

export function overviewPage(main: HTMLElement, ctx: PageContext): void {
  ctx.heading(t('overview.title'));
  const years = state.meta?.years ?? [];
  const fromUrl = Number(ctx.search.get('year'));
  let year = years.includes(fromUrl) ? fromUrl : (state.meta?.latest_common_year ?? years[years.length - 1] ?? 0);
  let threshold = 3;

  const kpiRegion = h('div', { class: 'region kpis', 'aria-live': 'polite' });
  const topRegion = h('div', { class: 'region', 'aria-live': 'polite' });
  const ewiRegion = h('div', { class: 'region', 'aria-live': 'polite' });

  const loadKpis = () =>
    loadRegion<Kpis>(kpiRegion, {
      label: t('overview.kpis'),
      load: (signal) => getJson(`/api/v1/ui/kpis${query({ year })}`, signal),
      emptyMessage: () => t('overview.no_data_year', { year }),
      warnings: (d) => d.warnings,
      render: (d) =>
        h(
          'ul',
          { class: 'cards' },
          ...d.cards.map((c) =>
            h(
              'li',
              { class: 'card', 'data-kpi': c.id },
              h('h3', {}, t(`kpi.${c.id}`)),
              c.kpi === null
                ? h('p', { class: 'state-empty' }, t('overview.no_data_year', { year: c.meta.year }))
                : [
                    h('p', { class: 'kpi-value' }, fmtUnit(c.kpi, c.unit)),
                    h('p', { class: 'kpi-meta' }, t('overview.kpi_year', { year: c.meta.year })),
                    c.meta.change === null
                      ? null
                      : h(
                          'p',
                          { class: 'kpi-change' },
                          t('overview.change', {
                            change: fmtSigned(c.meta.change, c.meta.change_unit),
                            year: c.meta.year - 1,
                          }),
                        ),
                  ],
              sourceLine({ query_ids: [c.meta.query_id], asof: c.meta.asof, license: null, warnings: [] }),
            ),
          ),
        ),
    });

  const loadTop = () =>
    loadRegion<CardsPayload>(topRegion, {
      label: t('overview.top'),
      load: (signal) => getJson(`/api/v1/ui/cards/top-sectors${query({ year, n: 5 })}`, signal),
      isEmpty: (d) => d.cards.length === 0,
      emptyMessage: () => t('overview.no_data_year', { year }),
      render: (d) =>
        h(
          'div',
          {},
          h(
            'ol',
            { class: 'ranked' },
            ...d.cards.map((c) =>
              h(
                'li',
                {},
                h(
                  'a',
                  { href: `/app/sectors${query({ year, sector: c.title })}`, 'data-link': true },
                  sectorName(c.title),
                ),
                ' — ',
                `${fmtInt(c.kpi)} ${t('unit.persons')}`,
                ` (${t('overview.share', { share: fmtPct(c.meta.share_pct as number | null) })})`,
              ),
            ),
          ),
          sourceLine(d.source),
        ),
    });

  const loadEwi = () =>
    loadRegion<CardsPayload>(ewiRegion, {
      label: t('overview.ewi'),
      load: (signal) => getJson(`/api/v1/ui/cards/ewi${query({ year, threshold, n: 5 })}`, signal),
      isEmpty: (d) => d.cards.length === 0,
      emptyMessage: () => t('overview.ewi_empty', { threshold, year }),
      render: (d) =>
        h(
          'div',
          {},
          h(
            'ol',
            { class: 'ranked' },
            ...d.cards.map((c) =>
              h(
                'li',
                {},
                h('span', { class: 'badge warn' }, t('overview.drop')),
                ' ',
                sectorName(c.title),
                ' — ',
                fmtPct(c.kpi),
              ),
            ),
          ),
          sourceLine(d.source),
        ),
    });

  const yearField = selectField(
    t('controls.year'),
    years.map((y) => ({ value: String(y), label: String(y) })),
    String(year),
    (v) => {
      year = Number(v);
      history.replaceState(null, '', `/app/overview${query({ year })}`);
      loadKpis();
      loadTop();
      loadEwi();
    },
  );
  const thresholdField = selectField(
    t('overview.threshold'),
    [1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map((v) => ({ value: String(v), label: `${v}%` })),
    String(threshold),
    (v) => {
      threshold = Number(v);
      loadEwi();
    },
  );

  main.append(
    h('div', { class: 'controls' }, yearField.field),
    h('section', { 'aria-labelledby': 'kpi-h' }, h('h2', { id: 'kpi-h' }, t('overview.kpis')), kpiRegion),
    h(
      'div',
      { class: 'two-col' },
      h('section', { 'aria-labelledby': 'top-h' }, h('h2', { id: 'top-h' }, t('overview.top')), topRegion),
      h(
        'section',
        { 'aria-labelledby': 'ewi-h' },
        h('h2', { id: 'ewi-h' }, t('overview.ewi')),
        h('div', { class: 'controls' }, thresholdField.field),
        ewiRegion,
      ),
    ),
  );
  if (years.length === 0) {
    kpiRegion.append(h('p', { class: 'state-empty' }, t('overview.no_years')));
    return;
  }
  loadKpis();
  loadTop();
  loadEwi();
}
