/** Briefing (ui.md §5.6): headline, key metrics, confidence, red flags, provenance, licences; print and Markdown. */
import { ApiError, download, getJson } from '../api.js';
import { h, replace } from '../components/dom.js';
import { errorView, loadRegion } from '../components/region.js';
import { fmtDateLong, fmtNum, t } from '../i18n/index.js';
import { state } from '../state.js';
import type { PageContext } from '../main.js';

interface Briefing {
  title: string;
  generated_at: string;
  data_mode: string;
  headline: string[];
  key_metrics: Record<string, number>;
  red_flags: string[];
  provenance: string[];
  min_confidence: number | null;
  licenses: string[];
}

export function briefingPage(main: HTMLElement, ctx: PageContext): void {
  ctx.heading(t('briefing.title'));
  const region = h('div', { class: 'region briefing' });
  const status = h('div', { 'aria-live': 'polite' });
  const md = h('button', { type: 'button', class: 'secondary' }, t('briefing.markdown'));
  md.addEventListener('click', () => {
    download('/api/v1/export/briefing.md', `qnwis-briefing-${new Date().toISOString().slice(0, 10)}.md`).then(
      () => replace(status, t('chart.downloaded', { name: 'briefing.md' })),
      (err: unknown) =>
        replace(
          status,
          errorView(err instanceof ApiError ? err : new ApiError(0, 'client_error', String(err), null), () =>
            md.click(),
          ),
        ),
    );
  });
  main.append(
    h(
      'div',
      { class: 'actions no-print' },
      h('button', { type: 'button', on: { click: () => window.print() } }, t('briefing.print')),
      md,
    ),
    status,
    region,
  );
  loadRegion<Briefing>(region, {
    label: t('briefing.title'),
    load: (signal) => getJson('/api/v1/ui/briefing', signal),
    render: (b) => [
      h('p', { class: 'print-only' }, t('briefing.mode', { mode: t(`mode.${state.meta?.data_mode ?? b.data_mode}`) })),
      h('h2', { lang: 'en' }, b.title),
      h('p', {}, t('briefing.generated', { date: fmtDateLong(b.generated_at) })),
      h('h3', {}, t('briefing.headline')),
      h('ul', { lang: 'en' }, ...b.headline.map((line) => h('li', {}, line))),
      h(
        'div',
        { class: 'table-scroll', tabindex: '0', role: 'region', 'aria-label': t('briefing.metrics') },
        h(
          'table',
          {},
          h('caption', {}, t('briefing.metrics')),
          h(
            'thead',
            {},
            h(
              'tr',
              {},
              h('th', { scope: 'col' }, t('briefing.metric')),
              h('th', { scope: 'col' }, t('briefing.value')),
            ),
          ),
          h(
            'tbody',
            {},
            ...Object.entries(b.key_metrics).map(([k, v]) =>
              h('tr', {}, h('th', { scope: 'row', class: 'mono' }, k), h('td', {}, fmtNum(v, 2))),
            ),
          ),
        ),
      ),
      h('h3', {}, t('briefing.confidence')),
      h('p', {}, b.min_confidence === null ? t('ask.not_assessed') : String(b.min_confidence)),
      h('h3', {}, t('briefing.red_flags')),
      b.red_flags.length === 0
        ? h('p', {}, '–')
        : h('ul', { lang: 'en' }, ...b.red_flags.slice(0, 8).map((f) => h('li', {}, f))),
      h('h3', {}, t('briefing.provenance')),
      h('ul', { class: 'mono' }, ...b.provenance.slice(0, 10).map((p) => h('li', {}, p))),
      h('h3', {}, t('briefing.licenses')),
      h('ul', {}, ...b.licenses.map((l) => h('li', {}, l))),
    ],
  });
}
