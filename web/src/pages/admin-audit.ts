/** Admin → audit log (ui.md §5.8): filters, cursor pagination, CSV export; read-only. */
import { ApiError, download, getJson, query } from '../api.js';
import { h, replace, uid } from '../components/dom.js';
import { errorView, loadRegion } from '../components/region.js';
import { t } from '../i18n/index.js';
import type { PageContext } from '../main.js';

interface AuditEvent {
  id: number | string;
  at: string;
  request_id: string | null;
  action: string;
  resource: string | null;
  status: number | null;
  success: boolean;
  principal_hash: string | null;
  client_hash: string | null;
}

const FILTERS = ['from', 'to', 'action', 'principal_hash', 'resource', 'outcome', 'status_class'] as const;

export function adminAuditPage(main: HTMLElement, ctx: PageContext): void {
  ctx.heading(t('audit.title'));
  // datetime-local inputs hold local wall-clock time; "to" stays open (up to now) unless the user sets it.
  const values: Record<string, string> = { from: localMinute(new Date(Date.now() - 86_400_000)) };
  const cursors: (string | null)[] = [null];
  const region = h('div', { class: 'region' });
  const status = h('div', { 'aria-live': 'polite' });
  const inputs = FILTERS.map((name) => {
    const id = uid(`audit-${name}`);
    const input =
      name === 'outcome'
        ? h(
            'select',
            { id },
            h('option', { value: '' }, '–'),
            h('option', { value: 'success' }, t('audit.success')),
            h('option', { value: 'failure' }, t('audit.failure')),
          )
        : name === 'status_class'
          ? h(
              'select',
              { id },
              h('option', { value: '' }, '–'),
              ...['2xx', '3xx', '4xx', '5xx'].map((c) => h('option', { value: c }, c)),
            )
          : h('input', {
              id,
              type: name === 'from' || name === 'to' ? 'datetime-local' : 'text',
              value: values[name] ?? '',
            });
    return { name, input, el: h('div', { class: 'field' }, h('label', { for: id }, t(`audit.filter.${name}`)), input) };
  });
  const params = (): Record<string, string> => {
    const out: Record<string, string> = {};
    for (const { name, input } of inputs) {
      const v = input.value.trim();
      if (v === '') continue;
      if (name === 'from') out[name] = new Date(v).toISOString();
      // A minute entered as "to" includes that whole minute.
      else if (name === 'to') out[name] = new Date(new Date(v).getTime() + 59_999).toISOString();
      else out[name] = v;
    }
    return out;
  };
  const load = (): void => {
    const cursor = cursors[cursors.length - 1] ?? undefined;
    loadRegion<{ events: AuditEvent[]; next_cursor: string | null }>(region, {
      label: t('audit.events'),
      load: (signal) => getJson(`/api/v1/ui/admin/audit${query({ ...params(), cursor, limit: 50 })}`, signal),
      isEmpty: (d) => d.events.length === 0,
      render: (d) => [
        h(
          'div',
          { class: 'table-scroll', tabindex: '0', role: 'region', 'aria-label': t('audit.events') },
          h(
            'table',
            {},
            h('caption', {}, t('audit.events')),
            h(
              'thead',
              {},
              h(
                'tr',
                {},
                ...['time', 'request', 'action', 'resource', 'status', 'outcome', 'principal', 'client'].map((c) =>
                  h('th', { scope: 'col' }, t(`audit.col.${c}`)),
                ),
              ),
            ),
            h(
              'tbody',
              {},
              ...d.events.map((e) =>
                h(
                  'tr',
                  {},
                  h('th', { scope: 'row' }, e.at.replace('T', ' ').slice(0, 19)),
                  h('td', { class: 'mono' }, e.request_id ?? '–'),
                  h('td', { class: 'mono' }, e.action),
                  h('td', { class: 'mono' }, e.resource ?? '–'),
                  h('td', {}, e.status === null ? '–' : String(e.status)),
                  h('td', {}, e.success ? t('audit.success') : t('audit.failure')),
                  h('td', { class: 'mono' }, e.principal_hash ?? '–'),
                  h('td', { class: 'mono' }, e.client_hash ?? '–'),
                ),
              ),
            ),
          ),
        ),
        h(
          'nav',
          { class: 'pager', 'aria-label': t('queries.pagination') },
          h(
            'button',
            {
              type: 'button',
              class: 'secondary',
              disabled: cursors.length <= 1,
              on: { click: () => (cursors.pop(), load()) },
            },
            t('audit.newer'),
          ),
          h(
            'button',
            {
              type: 'button',
              class: 'secondary',
              disabled: d.next_cursor === null,
              on: { click: () => (cursors.push(d.next_cursor), load()) },
            },
            t('audit.older'),
          ),
        ),
      ],
    });
  };
  const form = h(
    'form',
    { class: 'filters', novalidate: true },
    ...inputs.map((i) => i.el),
    h('button', { type: 'submit' }, t('audit.apply')),
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    cursors.splice(1);
    load();
  });
  const exportButton = h('button', { type: 'button', class: 'secondary' }, t('audit.export'));
  exportButton.addEventListener('click', () => {
    download(`/api/v1/export/audit.csv${query(params())}`, 'qnwis-audit-en.csv').then(
      () => replace(status, t('chart.downloaded', { name: 'qnwis-audit-en.csv' })),
      (err: unknown) =>
        replace(
          status,
          errorView(err instanceof ApiError ? err : new ApiError(0, 'client_error', String(err), null), () =>
            exportButton.click(),
          ),
        ),
    );
  });
  main.append(form, h('div', { class: 'actions' }, exportButton), status, region);
  load();
}

/** `YYYY-MM-DDTHH:mm` in the browser's local time zone, the value format of a datetime-local input. */
function localMinute(d: Date): string {
  const pad = (n: number): string => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}
