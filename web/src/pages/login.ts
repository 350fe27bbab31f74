/** Login (ui.md §3.2): one password-type "API key" field; errors linked to the field and announced. */
import { ApiError, request, type Session } from '../api.js';
import { h } from '../components/dom.js';
import { t } from '../i18n/index.js';
import { announce, signedIn } from '../state.js';
import type { PageContext } from '../main.js';

let sessionEnded = false;

/** The next login page shows "Your session has ended". */
export function setSessionEnded(): void {
  sessionEnded = true;
}

export function loginPage(main: HTMLElement, ctx: PageContext): void {
  ctx.heading(t('login.title'));
  const ended = sessionEnded;
  sessionEnded = false;
  const errorBox = h('p', { id: 'login-error', class: 'field-error', role: 'alert', hidden: true });
  const input = h('input', {
    id: 'api-key',
    name: 'api_key',
    type: 'password',
    autocomplete: 'off',
    required: true,
    'aria-required': 'true',
    'aria-describedby': 'api-key-hint',
    spellcheck: 'false',
  });
  const submit = h('button', { type: 'submit' }, t('login.submit'));
  const form = h(
    'form',
    { class: 'login-form', novalidate: true },
    ended ? h('p', { class: 'notice', role: 'status' }, t('login.session_ended')) : null,
    h('label', { for: 'api-key' }, t('login.api_key'), ' ', h('span', { class: 'required' }, t('form.required'))),
    input,
    h('p', { id: 'api-key-hint', class: 'hint' }, t('login.hint')),
    errorBox,
    submit,
  );
  const showError = (message: string): void => {
    errorBox.textContent = message;
    errorBox.hidden = false;
    input.setAttribute('aria-invalid', 'true');
    input.setAttribute('aria-describedby', 'api-key-hint login-error');
    announce(message, true);
  };
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const key = input.value.trim();
    if (key === '') {
      showError(t('login.empty'));
      input.focus();
      return;
    }
    submit.disabled = true;
    request('/api/v1/session', { method: 'POST', body: { api_key: key }, noAuthRedirect: true })
      .then(async (res) => {
        input.value = '';
        const session = (await res.json()) as Session & { csrf_token: string };
        await signedIn({ ...session, auth_method: 'session' }, ctx.search.get('next'));
      })
      .catch((err: unknown) => {
        submit.disabled = false;
        if (err instanceof ApiError && err.status === 429) showError(t('login.throttled'));
        else if (err instanceof ApiError && (err.status === 401 || err.status === 403))
          showError(err.status === 401 ? t('login.invalid') : err.message);
        else showError(`${t('error.generic')} (${err instanceof ApiError ? (err.requestId ?? err.status) : ''})`);
        input.focus();
      });
  });
  main.appendChild(form);
}
