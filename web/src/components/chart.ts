/**
 * A chart block (ui.md §4.4): visible title, the shared renderer's SVG, a "Table" toggle with the same data
 * (remembered per browser), an Export menu (CSV, SVG, PNG) and the source line.
 */
import { renderChart } from '../../../src/charts/layout.js';
import { chartSpecFromPayload, type ChartPayload, type ChartSource } from '../../../src/charts/payloads.js';
import type { ChartName } from '../../../src/charts/labels.js';
import { download, query, ApiError } from '../api.js';
import { h, svgFromTree, uid } from './dom.js';
import { lang, t } from '../i18n/index.js';
import { announce } from '../state.js';
import { errorView } from './region.js';

export interface ChartTable {
  headers: string[];
  rows: (string | number)[][];
}

export interface ChartBlockOptions {
  chart: ChartName;
  payload: ChartPayload;
  table: ChartTable;
  /** Parameters of the chart endpoint, reused for the exports. */
  params: Record<string, string | number | undefined>;
  source?: ChartSource;
  /** Year or sector for the download file name. */
  qualifier: string | number;
}

function tableKey(chart: string): string {
  return `qnwis.table.${chart}`;
}

function tableShown(chart: string): boolean {
  try {
    return localStorage.getItem(tableKey(chart)) === '1';
  } catch {
    return false;
  }
}

function rememberTable(chart: string, shown: boolean): void {
  try {
    localStorage.setItem(tableKey(chart), shown ? '1' : '0');
  } catch {
    // storage unavailable: the toggle still works for this page
  }
}

export function dataTable(caption: string, table: ChartTable): HTMLElement {
  return h(
    'div',
    { class: 'table-scroll', tabindex: '0', role: 'region', 'aria-label': caption },
    h(
      'table',
      {},
      h('caption', {}, caption),
      h('thead', {}, h('tr', {}, ...table.headers.map((c) => h('th', { scope: 'col' }, c)))),
      h(
        'tbody',
        {},
        ...table.rows.map((row) =>
          h(
            'tr',
            {},
            ...row.map((cell, i) => (i === 0 ? h('th', { scope: 'row' }, String(cell)) : h('td', {}, String(cell)))),
          ),
        ),
      ),
    ),
  );
}

export function sourceLine(source: ChartSource | undefined): HTMLElement | null {
  if (!source || source.query_ids.length === 0) return null;
  const links = source.query_ids.map((id, i) => [
    i > 0 ? ', ' : '',
    h('a', { href: `/app/queries/${encodeURIComponent(id)}`, 'data-link': true, class: 'mono', lang: 'en' }, id),
  ]);
  return h(
    'p',
    { class: 'source' },
    `${t('chart.source')}: `,
    ...links,
    source.asof ? ` · ${t('chart.asof', { date: source.asof })}` : '',
  );
}

/** Export menu button following the WAI-ARIA menu button pattern (Escape closes, arrow keys move). */
function exportMenu(opts: ChartBlockOptions, status: HTMLElement): HTMLElement {
  const menuId = uid('export-menu');
  const button = h(
    'button',
    { type: 'button', class: 'secondary', 'aria-haspopup': 'true', 'aria-expanded': 'false', 'aria-controls': menuId },
    t('chart.export'),
  );
  const items = (['csv', 'svg', 'png'] as const).map((ext) =>
    h('button', { type: 'button', role: 'menuitem', tabindex: '-1', 'data-ext': ext }, t(`chart.export_${ext}`)),
  );
  const menu = h(
    'div',
    { id: menuId, role: 'menu', class: 'menu', hidden: true, 'aria-label': t('chart.export') },
    ...items,
  );
  const close = (focusButton: boolean): void => {
    menu.hidden = true;
    button.setAttribute('aria-expanded', 'false');
    if (focusButton) button.focus();
  };
  const open = (): void => {
    menu.hidden = false;
    button.setAttribute('aria-expanded', 'true');
    items[0]?.focus();
  };
  button.addEventListener('click', () => (menu.hidden ? open() : close(true)));
  button.addEventListener('keydown', (e) => {
    if (e.key === 'ArrowDown') {
      e.preventDefault();
      open();
    }
  });
  menu.addEventListener('keydown', (e) => {
    const index = items.indexOf(document.activeElement as HTMLButtonElement);
    if (e.key === 'Escape') {
      e.preventDefault();
      close(true);
    } else if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      e.preventDefault();
      const next = (index + (e.key === 'ArrowDown' ? 1 : items.length - 1)) % items.length;
      items[next]?.focus();
    } else if (e.key === 'Tab') close(false);
  });
  for (const item of items) {
    item.addEventListener('click', () => {
      const ext = item.dataset.ext!;
      close(true);
      const l = lang();
      const params = { ...opts.params, lang: ext === 'csv' ? undefined : l };
      const qualifier =
        String(opts.qualifier)
          .replace(/[^A-Za-z0-9]+/g, '-')
          .toLowerCase() || 'x';
      const name = `qnwis-${opts.chart}-${qualifier}-${l}.${ext}`;
      status.replaceChildren(t('chart.downloading'));
      download(`/api/v1/export/chart/${opts.chart}.${ext}${query(params)}`, name).then(
        () => {
          status.replaceChildren(t('chart.downloaded', { name }));
          announce(t('chart.downloaded', { name }));
        },
        (err: unknown) => {
          const e = err instanceof ApiError ? err : new ApiError(0, 'client_error', String(err), null);
          status.replaceChildren(errorView(e, () => item.click()));
          announce(t('error.generic'), true);
        },
      );
    });
  }
  return h('div', { class: 'menu-wrap' }, button, menu);
}

export function chartBlock(opts: ChartBlockOptions): HTMLElement {
  const spec = chartSpecFromPayload(opts.chart, opts.payload, lang(), `chart-${opts.chart}`);
  const svg = svgFromTree(renderChart(spec));
  svg.setAttribute('class', 'chart-svg');
  svg.setAttribute('data-chart', opts.chart);
  const headingId = uid('chart-heading');
  const table = dataTable(spec.title, opts.table);
  const shown = tableShown(opts.chart);
  table.hidden = !shown;
  const toggle = h('button', { type: 'button', class: 'secondary', 'aria-pressed': String(shown) }, t('chart.table'));
  toggle.addEventListener('click', () => {
    const next = table.hidden;
    table.hidden = !next;
    toggle.setAttribute('aria-pressed', String(next));
    rememberTable(opts.chart, next);
  });
  const status = h('div', { class: 'download-status', 'aria-live': 'polite' });
  return h(
    'section',
    { class: 'chart', 'aria-labelledby': headingId, 'data-chart': opts.chart },
    h('h3', { id: headingId }, spec.title),
    h('div', { class: 'chart-figure' }, svg),
    h('div', { class: 'actions' }, toggle, exportMenu(opts, status)),
    status,
    table,
    sourceLine(opts.source),
  );
}
