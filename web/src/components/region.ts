/**
 * A data region with every request state of ui.md §4.2: loading (skeleton after 300 ms, aria-busy), long-running
 * (progress, elapsed seconds, Cancel, note after 30 s), empty, error (status, request id, Copy details, Retry),
 * partial (collapsible data warnings) and forbidden.
 */
import { ApiError } from '../api.js';
import { h, replace, type Child } from './dom.js';
import { t } from '../i18n/index.js';
import { announce } from '../state.js';

export interface RegionOptions<T> {
  /** Name of the region in messages ("Loading <label>"). */
  label: string;
  load(signal: AbortSignal): Promise<T>;
  render(data: T): Child;
  /** True when the data counts as empty (200 with no rows). */
  isEmpty?(data: T): boolean;
  /** Names what is missing, e.g. "No data for 2030". */
  emptyMessage?(): string;
  warnings?(data: T): string[];
}

export interface RegionHandle {
  reload(): void;
}

export function isNoData(err: unknown): boolean {
  return err instanceof ApiError && err.status === 404 && err.code === 'no_data';
}

export function errorView(err: ApiError, retry: () => void): HTMLElement {
  const details = `${t('error.status')}: ${err.status || '–'}; ${t('error.code')}: ${err.code}; ${t('error.request_id')}: ${err.requestId ?? '–'}`;
  const message = err.status === 0 ? t('error.network') : err.status >= 500 ? t('error.server') : t('error.generic');
  const copy = h('button', { type: 'button', class: 'secondary' }, t('error.copy'));
  copy.addEventListener('click', () => {
    void navigator.clipboard?.writeText(`${message} ${details} (${err.message})`).then(
      () => announce(t('error.copied')),
      () => undefined,
    );
  });
  return h(
    'div',
    { class: 'state state-error' },
    h('p', { class: 'state-title' }, message),
    h('p', {}, err.message),
    h(
      'dl',
      { class: 'error-details' },
      h('dt', {}, t('error.status')),
      h('dd', {}, String(err.status || '–')),
      h('dt', {}, t('error.request_id')),
      h('dd', { class: 'mono', 'data-request-id': err.requestId ?? '' }, err.requestId ?? '–'),
    ),
    h('div', { class: 'actions' }, copy, h('button', { type: 'button', on: { click: retry } }, t('error.retry'))),
  );
}

export function forbiddenView(): HTMLElement {
  return h('div', { class: 'state state-forbidden' }, h('p', {}, t('forbidden.message')));
}

export function warningsView(warnings: string[]): HTMLElement | null {
  if (warnings.length === 0) return null;
  return h(
    'details',
    { class: 'warnings' },
    h('summary', {}, t('state.warnings', { n: warnings.length })),
    h('ul', {}, ...warnings.map((w) => h('li', { class: 'mono', lang: 'en' }, w))),
  );
}

export function loadRegion<T>(container: HTMLElement, opts: RegionOptions<T>): RegionHandle {
  let controller: AbortController | null = null;
  const run = (): void => {
    controller?.abort();
    const ctl = new AbortController();
    controller = ctl;
    const started = Date.now();
    container.setAttribute('aria-busy', 'true');
    announce(t('state.loading', { region: opts.label }));
    const timers: number[] = [];
    timers.push(
      window.setTimeout(() => {
        if (ctl.signal.aborted) return;
        replace(container, h('div', { class: 'skeleton', 'aria-hidden': 'true' }, h('div'), h('div'), h('div')));
      }, 300),
    );
    timers.push(
      window.setTimeout(() => {
        if (ctl.signal.aborted) return;
        const elapsed = h('span', {}, '');
        const note = h('p', { class: 'note', hidden: true }, t('state.slow'));
        const tick = (): void => {
          const s = Math.round((Date.now() - started) / 1000);
          elapsed.textContent = t('state.elapsed', { s });
          if (s >= 30) note.hidden = false;
        };
        tick();
        timers.push(window.setInterval(tick, 1000));
        replace(
          container,
          h(
            'div',
            { class: 'state state-progress' },
            h('progress', { 'aria-label': t('state.loading', { region: opts.label }) }),
            h('p', {}, elapsed),
            note,
            h('button', { type: 'button', class: 'secondary', on: { click: () => ctl.abort() } }, t('state.cancel')),
          ),
        );
      }, 2000),
    );
    const finish = (...children: Child[]): void => {
      for (const id of timers) {
        clearTimeout(id);
        clearInterval(id);
      }
      if (controller !== ctl) return;
      container.setAttribute('aria-busy', 'false');
      replace(container, ...children);
    };
    opts.load(ctl.signal).then(
      (data) => {
        if (ctl.signal.aborted) return;
        if (opts.isEmpty?.(data)) {
          finish(emptyView(opts));
          return;
        }
        finish(opts.render(data), warningsView(opts.warnings?.(data) ?? []));
        announce(t('state.loaded', { region: opts.label }));
      },
      (err: unknown) => {
        if (ctl.signal.aborted) {
          finish(
            h(
              'div',
              { class: 'state' },
              h('p', {}, t('state.cancelled')),
              h('button', { type: 'button', on: { click: run } }, t('error.retry')),
            ),
          );
          return;
        }
        if (isNoData(err)) {
          finish(emptyView(opts));
          return;
        }
        if (err instanceof ApiError && err.status === 403 && err.code === 'forbidden') {
          finish(forbiddenView());
          return;
        }
        const apiError =
          err instanceof ApiError
            ? err
            : new ApiError(0, 'client_error', err instanceof Error ? err.message : 'error', null);
        finish(errorView(apiError, run));
        announce(`${t('error.generic')} ${apiError.requestId ?? ''}`, true);
      },
    );
  };
  run();
  return { reload: run };
}

function emptyView<T>(opts: RegionOptions<T>): HTMLElement {
  return h(
    'div',
    { class: 'state state-empty' },
    h('p', {}, opts.emptyMessage ? opts.emptyMessage() : t('state.empty', { region: opts.label })),
    h('p', { class: 'hint' }, t('state.empty_hint')),
  );
}
