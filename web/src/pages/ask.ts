/**
 * Ask (ui.md §5.4): question box, suggestion chips, NDJSON stage progress with Cancel, the answer (summary,
 * confidence, findings, citations, freshness, warnings), clarification chips, failure view and a tab-local history.
 */
import { ApiError, getJson, query, request } from '../api.js';
import { h, replace } from '../components/dom.js';
import { errorView, loadRegion, warningsView } from '../components/region.js';
import { fmtNum, lang, t } from '../i18n/index.js';
import { announce } from '../state.js';
import type { PageContext } from '../main.js';

interface Suggestion {
  id: string;
  text: string;
  intent: string;
}
interface Option {
  id: string;
  label: string;
  sector?: string;
  metric?: string;
}
interface Answer {
  status: 'answered' | 'clarification' | 'failed';
  request_id: string;
  question: string;
  intent: string | null;
  executive_summary: { text: string; primary_insight: string | null };
  findings: {
    title: string;
    summary: string;
    metrics: { name: string; value: number | string | null; unit: string | null }[];
  }[];
  citations: {
    query_id: string;
    dataset_id: string;
    locator: string;
    fields: string[];
    asof: string | null;
    in_registry: boolean;
  }[];
  confidence: { score: number; band: 'GREEN' | 'AMBER' | 'RED'; reasons: string[] } | null;
  freshness: {
    source: string;
    last_updated: string | null;
    age_days: number | null;
    sla_days: number | null;
    stale: boolean;
  }[];
  warnings: string[];
  clarification?: { prompt: string; options: Option[] };
}

const STAGES = ['classify', 'fetch', 'analyse', 'verify', 'format'] as const;
const history: string[] = [];

export function askPage(main: HTMLElement, ctx: PageContext): void {
  ctx.heading(t('ask.title'));
  let suggestions: Suggestion[] = [];
  let controller: AbortController | null = null;
  let pendingClarification: { original_question: string } | null = null;

  const counter = h('p', { id: 'ask-counter', class: 'hint', 'aria-live': 'polite' });
  const fieldError = h('p', { id: 'ask-error', class: 'field-error', hidden: true });
  const box = h('textarea', {
    id: 'question',
    rows: '3',
    maxlength: '500',
    required: true,
    'aria-required': 'true',
    'aria-describedby': 'ask-counter',
  });
  const submit = h('button', { type: 'submit' }, t('ask.submit'));
  const chipsRegion = h('div', { class: 'region' });
  const progress = h('div', { class: 'progress', hidden: true });
  const result = h('div', { class: 'region', 'aria-live': 'polite' });
  const historyList = h('ul', { class: 'history' });

  const updateCounter = (): void => {
    counter.textContent = t('ask.counter', { n: box.value.length, max: 500 });
  };
  updateCounter();
  box.addEventListener('input', updateCounter);
  box.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      form.requestSubmit();
    }
  });

  const chips = (items: { label: string; onPick(): void }[]): HTMLElement =>
    h(
      'div',
      { class: 'chips' },
      ...items.map((i) => h('button', { type: 'button', class: 'chip', on: { click: i.onPick } }, i.label)),
    );

  const suggestionChips = (): HTMLElement =>
    chips(
      suggestions.map((s) => ({
        label: s.text,
        onPick: () => {
          box.value = s.text;
          updateCounter();
          pendingClarification = null;
          void ask(s.text, undefined);
        },
      })),
    );

  const renderHistory = (): void => {
    replace(
      historyList,
      ...history.map((q) =>
        h(
          'li',
          {},
          h(
            'button',
            { type: 'button', class: 'link', on: { click: () => ((box.value = q), updateCounter(), box.focus()) } },
            q,
          ),
        ),
      ),
    );
  };

  const stageList = (): { el: HTMLElement; mark(stage: string, st: string): void } => {
    const items = new Map(STAGES.map((s) => [s, h('li', { 'data-state': 'pending' }, t(`ask.stage.${s}`))]));
    return {
      el: h('ol', { class: 'stages' }, ...items.values()),
      mark(stage, st) {
        const li = items.get(stage as (typeof STAGES)[number]);
        if (!li) return;
        li.dataset.state = st;
        li.setAttribute('aria-label', `${t(`ask.stage.${stage}`)}: ${t(`ask.state.${st}`)}`);
      },
    };
  };

  function renderAnswer(a: Answer): HTMLElement {
    if (a.status === 'clarification' && a.clarification) {
      pendingClarification = { original_question: a.question };
      return h(
        'section',
        { class: 'answer clarification', 'aria-labelledby': 'clar-h' },
        h('h2', { id: 'clar-h' }, t('ask.clarify')),
        h('p', { lang: 'en' }, a.clarification.prompt),
        chips(
          a.clarification.options.map((o) => ({
            label: o.label,
            onPick: () =>
              void ask(box.value.trim() || a.question, {
                original_question: a.question,
                choice_id: o.id,
                ...(o.sector ? { sector: o.sector } : {}),
                ...(o.metric ? { metric: o.metric } : {}),
              }),
          })),
        ),
      );
    }
    if (a.status === 'failed') {
      return h(
        'section',
        { class: 'answer failed' },
        h('h2', {}, t('ask.failed')),
        h('p', { lang: 'en' }, a.executive_summary?.text ?? ''),
        warningsView(a.warnings ?? []),
        h(
          'p',
          {},
          `${t('error.request_id')}: `,
          h('span', { class: 'mono', 'data-request-id': a.request_id }, a.request_id),
        ),
        suggestionChips(),
      );
    }
    const c = a.confidence;
    const band = c
      ? h('span', { class: `badge band-${c.band.toLowerCase()}` }, `${c.band} ${c.score}/100`)
      : h('span', { class: 'badge' }, t('ask.not_assessed'));
    const findingsTable = h(
      'div',
      { class: 'table-scroll', tabindex: '0', role: 'region', 'aria-label': t('ask.findings') },
      h(
        'table',
        {},
        h('caption', {}, t('ask.findings')),
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            h('th', { scope: 'col' }, t('ask.metric')),
            h('th', { scope: 'col' }, t('ask.value')),
            h('th', { scope: 'col' }, t('ask.unit')),
          ),
        ),
        ...a.findings.map((f) =>
          h(
            'tbody',
            {},
            h('tr', {}, h('th', { scope: 'rowgroup', colspan: '3', lang: 'en' }, f.title)),
            ...f.metrics.map((m) =>
              h(
                'tr',
                {},
                h('th', { scope: 'row', class: 'mono' }, m.name),
                h('td', {}, typeof m.value === 'string' ? m.value : fmtNum(m.value, 2)),
                h('td', {}, m.unit ?? '–'),
              ),
            ),
          ),
        ),
      ),
    );
    return h(
      'section',
      { class: 'answer', 'aria-labelledby': 'answer-h', 'data-status': a.status },
      h('h2', { id: 'answer-h' }, t('ask.answer')),
      h('p', { class: 'status-line' }, t(`ask.status.${a.status}`)),
      h('h3', {}, t('ask.summary')),
      h('p', { lang: 'en', class: 'summary' }, a.executive_summary.text),
      a.executive_summary.primary_insight
        ? h(
            'p',
            {},
            h('strong', {}, `${t('ask.primary')}: `),
            h('span', { lang: 'en' }, a.executive_summary.primary_insight),
          )
        : null,
      h('h3', {}, t('ask.confidence')),
      h('p', {}, band),
      c && c.reasons.length > 0
        ? h(
            'details',
            {},
            h('summary', {}, t('ask.reasons')),
            h('ul', {}, ...c.reasons.map((r) => h('li', { lang: 'en' }, r))),
          )
        : null,
      findingsTable,
      h('h3', {}, t('ask.citations')),
      h(
        'ul',
        { class: 'citations' },
        ...a.citations.map((ci) =>
          h(
            'li',
            {},
            ci.in_registry
              ? h(
                  'a',
                  { href: `/app/queries/${encodeURIComponent(ci.query_id)}`, 'data-link': true, class: 'mono' },
                  ci.query_id,
                )
              : h('span', { class: 'mono' }, t('ask.computed_from', { id: ci.query_id })),
            ci.asof ? ` · ${t('chart.asof', { date: ci.asof })}` : '',
          ),
        ),
      ),
      h('h3', {}, t('ask.freshness')),
      h(
        'ul',
        {},
        ...a.freshness.map((f) =>
          h(
            'li',
            {},
            h('span', { class: 'mono' }, f.source),
            ` · ${t('ask.updated', { date: f.last_updated ?? '–' })} · ${t('ask.age', { days: f.age_days ?? '–' })}`,
            f.stale ? [' ', h('span', { class: 'badge warn' }, t('badge.stale'))] : null,
          ),
        ),
      ),
      warningsView(a.warnings),
    );
  }

  async function ask(question: string, clarification: Record<string, string> | undefined): Promise<void> {
    if (question.length < 3 || question.length > 500) {
      fieldError.textContent = t('ask.length');
      fieldError.hidden = false;
      box.setAttribute('aria-invalid', 'true');
      box.setAttribute('aria-describedby', 'ask-counter ask-error');
      announce(t('ask.length'), true);
      return;
    }
    fieldError.hidden = true;
    box.removeAttribute('aria-invalid');
    controller?.abort();
    const ctl = new AbortController();
    controller = ctl;
    if (!clarification) {
      history.unshift(question);
      history.splice(10);
      renderHistory();
    }
    const stages = stageList();
    const cancel = h(
      'button',
      { type: 'button', class: 'secondary', on: { click: () => ctl.abort() } },
      t('state.cancel'),
    );
    replace(progress, stages.el, cancel);
    progress.hidden = false;
    result.setAttribute('aria-busy', 'true');
    replace(result);
    announce(t('state.loading', { region: t('ask.answer') }));
    const body = { question, lang: lang(), ...(clarification ? { clarification } : {}) };
    try {
      const res = await request('/api/v1/ui/ask', {
        method: 'POST',
        body,
        signal: ctl.signal,
        accept: 'application/x-ndjson',
      });
      let answer: Answer | null = null;
      let failure: ApiError | null = null;
      const reader = res.body!.getReader();
      const decoder = new TextDecoder();
      let buffer = '';
      const handle = (line: string): void => {
        if (line.trim() === '') return;
        const msg = JSON.parse(line) as {
          type: string;
          stage?: string;
          state?: string;
          answer?: Answer;
          error?: { code: string; message: string; request_id: string };
        };
        if (msg.type === 'stage' && msg.stage && msg.state) stages.mark(msg.stage, msg.state);
        else if (msg.type === 'result' && msg.answer) answer = msg.answer;
        else if (msg.type === 'error' && msg.error)
          failure = new ApiError(500, msg.error.code, msg.error.message, msg.error.request_id);
      };
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        buffer += decoder.decode(value, { stream: true });
        const lines = buffer.split('\n');
        buffer = lines.pop() ?? '';
        lines.forEach(handle);
      }
      handle(buffer);
      if (failure) throw failure;
      if (!answer)
        throw new ApiError(res.status, 'malformed_body', 'malformed response', res.headers.get('x-request-id'));
      replace(result, renderAnswer(answer));
      announce(t('state.loaded', { region: t('ask.answer') }));
    } catch (err) {
      if (ctl.signal.aborted) replace(result, h('p', {}, t('state.cancelled')));
      else {
        const e =
          err instanceof ApiError
            ? err
            : new ApiError(0, 'client_error', err instanceof Error ? err.message : String(err), null);
        replace(
          result,
          errorView(e, () => void ask(question, clarification)),
        );
        announce(t('error.generic'), true);
      }
    } finally {
      if (controller === ctl) {
        progress.hidden = true;
        result.setAttribute('aria-busy', 'false');
      }
    }
  }

  const form = h(
    'form',
    { class: 'ask-form', novalidate: true },
    h('label', { for: 'question' }, t('ask.label'), ' ', h('span', { class: 'required' }, t('form.required'))),
    box,
    counter,
    fieldError,
    submit,
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const q = box.value.trim();
    void ask(
      q,
      pendingClarification && q !== '' ? { original_question: pendingClarification.original_question } : undefined,
    );
    pendingClarification = null;
  });

  main.append(
    form,
    h('section', { 'aria-labelledby': 'sugg-h' }, h('h2', { id: 'sugg-h' }, t('ask.suggestions')), chipsRegion),
    progress,
    result,
    h('section', { 'aria-labelledby': 'hist-h' }, h('h2', { id: 'hist-h' }, t('ask.history')), historyList),
  );
  renderHistory();
  loadRegion<{ suggestions: Suggestion[] }>(chipsRegion, {
    label: t('ask.suggestions'),
    load: (signal) => getJson(`/api/v1/ui/ask/suggestions${query({ lang: lang() })}`, signal),
    isEmpty: (d) => d.suggestions.length === 0,
    render: (d) => {
      suggestions = d.suggestions;
      return suggestionChips();
    },
  });
}
