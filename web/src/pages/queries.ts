/** Queries (ui.md §5.5): registry header, filterable list, detail with the parameters form, paged run result, exports. */
import { ApiError, download, getJson, query } from '../api.js';
import { h, replace, uid } from '../components/dom.js';
import { errorView, loadRegion } from '../components/region.js';
import { dataTable } from '../components/chart.js';
import { fmtInt, t } from '../i18n/index.js';
import { announce, state } from '../state.js';
import type { PageContext } from '../main.js';

interface QueryListing {
  id: string;
  title: string;
  description: string;
  source: string;
  unit: string;
  license: string | null;
  freshness_sla_days: number | null;
  spec_checksum: string;
}
interface Parameter {
  name: string;
  type: 'integer' | 'number' | 'string' | 'date' | 'string[]';
  default: unknown;
  allowed?: unknown[];
  description: string;
}
interface Detail {
  registry_version: string;
  query: {
    id: string;
    title: string;
    description: string;
    source: string;
    unit: string;
    dataset_id: string;
    locator: string;
    postprocess: { name: string; params: Record<string, unknown> }[];
    constraints: Record<string, unknown>;
    spec_checksum: string;
  };
  parameters: Parameter[];
}
interface Rows {
  query_id: string;
  unit: string;
  columns: string[];
  rows: Record<string, unknown>[];
  row_count: number;
  pagination: {
    page: number;
    page_size: number;
    total_items: number;
    total_pages: number;
    has_prev: boolean;
    has_next: boolean;
  };
  provenance: { source: string; dataset_id: string; locator: string; fields: string[]; license: string | null };
  freshness: {
    asof_date: string | null;
    updated_at: string | null;
    age_days: number | null;
    sla_days: number | null;
    stale: boolean;
  };
  warnings: string[];
}

export function queriesPage(main: HTMLElement, ctx: PageContext): void {
  ctx.heading(t('queries.title'));
  const region = h('div', { class: 'region' });
  main.append(region);
  loadRegion<{ registry_version: string; count: number; queries: QueryListing[] }>(region, {
    label: t('queries.list'),
    load: (signal) => getJson('/api/v1/ui/queries', signal),
    isEmpty: (d) => d.count === 0,
    render: (d) => {
      const filterId = uid('filter');
      const filter = h('input', { id: filterId, type: 'search', autocomplete: 'off' });
      const body = h('tbody');
      const count = h('p', { 'aria-live': 'polite' });
      const draw = (): void => {
        const needle = filter.value.trim().toLowerCase();
        const shown = d.queries.filter(
          (q) => needle === '' || q.id.toLowerCase().includes(needle) || q.title.toLowerCase().includes(needle),
        );
        count.textContent = t('queries.shown', { n: shown.length, total: d.count });
        replace(
          body,
          ...shown.map((q) =>
            h(
              'tr',
              {},
              h(
                'th',
                { scope: 'row' },
                h('a', { href: `/app/queries/${q.id}`, 'data-link': true, class: 'mono' }, q.id),
              ),
              h('td', { lang: 'en' }, q.title),
              h('td', {}, q.unit),
              h('td', {}, q.source),
              h('td', {}, q.license ?? '–'),
              h('td', {}, q.freshness_sla_days === null ? '–' : fmtInt(q.freshness_sla_days)),
            ),
          ),
        );
      };
      filter.addEventListener('input', draw);
      draw();
      return [
        registryHeader(d.registry_version, d.count),
        h('div', { class: 'field' }, h('label', { for: filterId }, t('queries.filter')), filter),
        count,
        h(
          'div',
          { class: 'table-scroll', tabindex: '0', role: 'region', 'aria-label': t('queries.list') },
          h(
            'table',
            {},
            h('caption', {}, t('queries.list')),
            h(
              'thead',
              {},
              h(
                'tr',
                {},
                ...['id', 'title', 'unit', 'source', 'license', 'sla'].map((c) =>
                  h('th', { scope: 'col' }, t(`queries.col.${c}`)),
                ),
              ),
            ),
            body,
          ),
        ),
      ];
    },
  });
}

function registryHeader(version: string, count: number | null): HTMLElement {
  return h(
    'dl',
    { class: 'facts registry' },
    h('dt', {}, t('queries.registry_version')),
    h('dd', { class: 'mono', 'data-registry-version': version }, version),
    count === null ? null : [h('dt', {}, t('queries.count')), h('dd', {}, String(count))],
    h('dt', {}, t('queries.data_mode')),
    h('dd', {}, state.meta ? t(`mode.${state.meta.data_mode}`) : '–'),
  );
}

function paramInput(p: Parameter, id: string, hintId: string): HTMLInputElement | HTMLSelectElement {
  const common = { id, name: p.name, 'aria-describedby': hintId };
  if (p.type === 'string[]' && p.allowed) {
    const selected = Array.isArray(p.default) ? (p.default as unknown[]).map(String) : [];
    return h(
      'select',
      { ...common, multiple: true },
      ...p.allowed.map((v) => h('option', { value: String(v), selected: selected.includes(String(v)) }, String(v))),
    );
  }
  if (p.allowed) {
    return h(
      'select',
      common,
      h('option', { value: '' }, '–'),
      ...p.allowed.map((v) => h('option', { value: String(v), selected: String(v) === String(p.default) }, String(v))),
    );
  }
  const type = p.type === 'integer' || p.type === 'number' ? 'number' : p.type === 'date' ? 'date' : 'text';
  const value =
    p.default === null || p.default === undefined
      ? ''
      : Array.isArray(p.default)
        ? p.default.join(',')
        : String(p.default);
  return h('input', {
    ...common,
    type,
    value,
    step: p.type === 'number' ? 'any' : p.type === 'integer' ? '1' : null,
    inputmode: p.type === 'integer' ? 'numeric' : null,
  });
}

function checkParam(p: Parameter, raw: string): string | null {
  if (raw === '') return null;
  if (p.type === 'integer' && !/^-?\d+$/.test(raw)) return t('queries.invalid_integer');
  if (p.type === 'number' && !(Number.isFinite(Number(raw)) && Number(raw) > 0)) return t('queries.invalid_number');
  if (p.type === 'date' && !/^\d{4}-\d{2}-\d{2}$/.test(raw)) return t('queries.invalid_date');
  if ((p.name === 'max_rows' || p.name === 'timeout_s') && Number(raw) <= 0) return t('queries.invalid_positive');
  return null;
}

export function queryDetailPage(main: HTMLElement, ctx: PageContext): void {
  const id = ctx.params.queryId ?? '';
  const heading = ctx.heading(id);
  heading.classList.add('mono');
  const region = h('div', { class: 'region' });
  main.append(h('p', {}, h('a', { href: '/app/queries', 'data-link': true }, t('queries.back'))), region);
  loadRegion<Detail>(region, {
    label: t('queries.detail'),
    load: (signal) => getJson(`/api/v1/ui/queries/${encodeURIComponent(id)}`, signal),
    render: (d) => {
      const q = d.query;
      const inputs = new Map<
        string,
        { p: Parameter; input: HTMLInputElement | HTMLSelectElement; error: HTMLElement }
      >();
      const fields = d.parameters.map((p) => {
        const inputId = uid(`param-${p.name}`);
        const hintId = `${inputId}-hint`;
        const input = paramInput(p, inputId, hintId);
        const error = h('p', { id: `${inputId}-error`, class: 'field-error', hidden: true });
        inputs.set(p.name, { p, input, error });
        return h(
          'div',
          { class: 'field' },
          h('label', { for: inputId, class: 'mono' }, p.name),
          input,
          h('p', { id: hintId, class: 'hint' }, `${p.type} · ${p.description}`),
          error,
        );
      });
      const result = h('div', { class: 'region', 'aria-live': 'polite' });
      let page = 1;
      let params: Record<string, string> = {};
      const readParams = (): Record<string, string> | null => {
        const out: Record<string, string> = {};
        let ok = true;
        for (const [name, { p, input, error }] of inputs) {
          const raw =
            input instanceof HTMLSelectElement && input.multiple
              ? [...input.selectedOptions].map((o) => o.value).join(',')
              : input.value.trim();
          const problem = checkParam(p, raw);
          error.hidden = problem === null;
          error.textContent = problem ?? '';
          input.setAttribute('aria-describedby', problem ? `${input.id}-hint ${input.id}-error` : `${input.id}-hint`);
          if (problem) {
            input.setAttribute('aria-invalid', 'true');
            if (ok) input.focus();
            ok = false;
            announce(`${name}: ${problem}`, true);
          } else input.removeAttribute('aria-invalid');
          const def =
            p.default === null || p.default === undefined
              ? ''
              : Array.isArray(p.default)
                ? p.default.join(',')
                : String(p.default);
          if (raw !== '' && raw !== def) out[name] = raw;
        }
        return ok ? out : null;
      };
      const run = (): void => {
        loadRegion<Rows>(result, {
          label: t('queries.result'),
          load: (signal) =>
            getJson(
              `/api/v1/ui/queries/${encodeURIComponent(q.id)}/rows${query({ ...params, page, page_size: 50 })}`,
              signal,
            ),
          warnings: (r) => r.warnings,
          render: (r) => rowsView(r, (next) => ((page = next), run())),
        });
      };
      const form = h(
        'form',
        { class: 'params', novalidate: true },
        h('h2', {}, t('queries.parameters')),
        ...fields,
        h('button', { type: 'submit' }, t('queries.run')),
      );
      form.addEventListener('submit', (e) => {
        e.preventDefault();
        const next = readParams();
        if (next === null) return;
        params = next;
        page = 1;
        run();
      });
      const exportStatus = h('div', { 'aria-live': 'polite' });
      const exportButton = (ext: 'csv' | 'json') =>
        h(
          'button',
          {
            type: 'button',
            class: 'secondary',
            on: {
              click: () => {
                const p = readParams();
                if (p === null) return;
                const name = `qnwis-${q.id.replace(/_/g, '-')}${p.year ? `-${p.year}` : ''}-en.${ext}`;
                download(`/api/v1/export/query/${q.id}.${ext}${query(p)}`, name).then(
                  () => replace(exportStatus, t('chart.downloaded', { name })),
                  (err: unknown) =>
                    replace(
                      exportStatus,
                      errorView(
                        err instanceof ApiError ? err : new ApiError(0, 'client_error', String(err), null),
                        () => undefined,
                      ),
                    ),
                );
              },
            },
          },
          t(`queries.download_${ext}`),
        );
      return [
        registryHeader(d.registry_version, null),
        h('p', { lang: 'en', class: 'lead' }, q.title),
        h('p', { lang: 'en' }, q.description),
        h(
          'dl',
          { class: 'facts' },
          ...(
            [
              ['source', q.source],
              ['dataset', q.dataset_id],
              ['locator', q.locator],
              ['unit', q.unit],
              ['checksum', q.spec_checksum],
              ['constraints', JSON.stringify(q.constraints)],
            ] as const
          ).flatMap(([k, v]) => [h('dt', {}, t(`queries.field.${k}`)), h('dd', { class: 'mono' }, v)]),
          h('dt', {}, t('queries.field.postprocess')),
          h(
            'dd',
            {},
            q.postprocess.length === 0
              ? '–'
              : h(
                  'ol',
                  {},
                  ...q.postprocess.map((s) => h('li', { class: 'mono' }, `${s.name} ${JSON.stringify(s.params)}`)),
                ),
          ),
        ),
        form,
        h('div', { class: 'actions' }, exportButton('csv'), exportButton('json')),
        exportStatus,
        result,
      ];
    },
  });
}

function rowsView(r: Rows, goTo: (page: number) => void): HTMLElement[] {
  const p = r.pagination;
  const table = dataTable(t('queries.result_caption', { id: r.query_id, page: p.page, pages: p.total_pages }), {
    headers: r.columns,
    rows: r.rows.map((row) => r.columns.map((c) => (row[c] === null || row[c] === undefined ? '' : String(row[c])))),
  });
  return [
    h('p', { 'data-row-count': String(r.row_count) }, t('queries.row_count', { n: r.row_count })),
    table,
    h(
      'nav',
      { class: 'pager', 'aria-label': t('queries.pagination') },
      h(
        'button',
        { type: 'button', class: 'secondary', disabled: !p.has_prev, on: { click: () => goTo(p.page - 1) } },
        t('queries.prev'),
      ),
      h('span', {}, t('queries.page', { page: p.page, pages: p.total_pages })),
      h(
        'button',
        { type: 'button', class: 'secondary', disabled: !p.has_next, on: { click: () => goTo(p.page + 1) } },
        t('queries.next'),
      ),
    ),
    h(
      'dl',
      { class: 'facts' },
      h('dt', {}, t('queries.field.source')),
      h('dd', {}, r.provenance.source),
      h('dt', {}, t('queries.field.dataset')),
      h('dd', { class: 'mono' }, r.provenance.dataset_id),
      h('dt', {}, t('queries.field.locator')),
      h('dd', { class: 'mono' }, r.provenance.locator),
      h('dt', {}, t('queries.field.fields')),
      h('dd', { class: 'mono' }, r.provenance.fields.join(', ')),
      h('dt', {}, t('queries.field.license')),
      h('dd', { 'data-license': r.provenance.license ?? '' }, r.provenance.license ?? '–'),
      h('dt', {}, t('queries.field.asof')),
      h(
        'dd',
        {},
        r.freshness.asof_date ?? '–',
        r.freshness.stale ? [' ', h('span', { class: 'badge warn' }, t('badge.stale'))] : null,
      ),
      h('dt', {}, t('queries.field.updated')),
      h('dd', {}, r.freshness.updated_at ?? '–'),
    ),
  ];
}
