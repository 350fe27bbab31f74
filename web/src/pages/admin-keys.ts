/** Admin → API keys (ui.md §5.7): list, create (plaintext shown once), revoke with confirmation. */
import { ApiError, getJson, sendJson } from '../api.js';
import { h, replace, uid } from '../components/dom.js';
import { errorView, loadRegion } from '../components/region.js';
import { openDialog } from '../components/dialog.js';
import { t } from '../i18n/index.js';
import { announce, state } from '../state.js';
import type { PageContext } from '../main.js';

interface Key {
  key_id: string;
  label: string;
  roles: string[];
  created_at: string;
  expires_at: string | null;
  last_used_at: string | null;
  revoked_at: string | null;
  status: 'active' | 'expired' | 'revoked';
}

const ROLES = ['analyst', 'auditor', 'admin', 'service'];
const date = (v: string | null) => (v ? v.slice(0, 10) : '–');

export function adminKeysPage(main: HTMLElement, ctx: PageContext): void {
  ctx.heading(t('keys.title'));
  const region = h('div', { class: 'region' });
  const load = () =>
    loadRegion<{ keys: Key[] }>(region, {
      label: t('keys.list'),
      load: (signal) => getJson('/api/v1/ui/admin/keys', signal),
      isEmpty: (d) => d.keys.length === 0,
      render: (d) =>
        h(
          'div',
          { class: 'table-scroll', tabindex: '0', role: 'region', 'aria-label': t('keys.list') },
          h(
            'table',
            {},
            h('caption', {}, t('keys.list')),
            h(
              'thead',
              {},
              h(
                'tr',
                {},
                ...['id', 'label', 'roles', 'created', 'expires', 'last_used', 'status', 'actions'].map((c) =>
                  h('th', { scope: 'col' }, t(`keys.col.${c}`)),
                ),
              ),
            ),
            h(
              'tbody',
              {},
              ...d.keys.map((k) =>
                h(
                  'tr',
                  {},
                  h('th', { scope: 'row', class: 'mono' }, k.key_id),
                  h('td', {}, k.label),
                  h('td', {}, k.roles.join(', ')),
                  h('td', {}, date(k.created_at)),
                  h('td', {}, date(k.expires_at)),
                  h('td', {}, date(k.last_used_at)),
                  h('td', {}, h('span', { class: `badge status-${k.status}` }, t(`keys.status.${k.status}`))),
                  h(
                    'td',
                    {},
                    k.status === 'active'
                      ? h(
                          'button',
                          { type: 'button', class: 'secondary', on: { click: () => revoke(k) } },
                          t('keys.revoke'),
                        )
                      : '–',
                  ),
                ),
              ),
            ),
          ),
        ),
    });

  const revoke = (k: Key): void => {
    const own = state.session?.subject === k.label;
    openDialog(
      t('keys.revoke_title'),
      [
        h('p', {}, t('keys.revoke_confirm', { label: k.label, id: k.key_id })),
        own ? h('p', { class: 'notice' }, t('keys.revoke_own')) : null,
      ],
      [
        {
          label: t('keys.revoke'),
          primary: true,
          onClick: (close) => {
            sendJson(`/api/v1/ui/admin/keys/${k.key_id}/revoke`, 'POST').then(
              () => {
                close();
                announce(t('keys.revoked', { id: k.key_id }));
                load();
              },
              (err: unknown) => {
                close();
                replace(
                  region,
                  errorView(err instanceof ApiError ? err : new ApiError(0, 'client_error', String(err), null), load),
                );
              },
            );
          },
        },
      ],
    );
  };

  const create = (): void => {
    const labelId = uid('label');
    const ttlId = uid('ttl');
    const error = h('p', { class: 'field-error', role: 'alert', hidden: true });
    const label = h('input', {
      id: labelId,
      required: true,
      'aria-required': 'true',
      pattern: '[a-z0-9._-]{1,64}',
      maxlength: '64',
      autocomplete: 'off',
    });
    const ttl = h('input', { id: ttlId, type: 'number', min: '1', max: '365', step: '1' });
    const boxes = ROLES.map((r) => {
      const id = uid(`role-${r}`);
      const input = h('input', { id, type: 'checkbox', value: r });
      return { input, el: h('div', { class: 'check' }, input, h('label', { for: id }, r)) };
    });
    const body = h(
      'form',
      { novalidate: true },
      h('label', { for: labelId }, t('keys.label'), ' ', h('span', { class: 'required' }, t('form.required'))),
      label,
      h(
        'fieldset',
        {},
        h('legend', {}, t('keys.roles'), ' ', h('span', { class: 'required' }, t('form.required'))),
        ...boxes.map((b) => b.el),
      ),
      h('label', { for: ttlId }, t('keys.ttl')),
      ttl,
      error,
    );
    openDialog(t('keys.create'), body, [
      {
        label: t('keys.create'),
        primary: true,
        onClick: (close) => {
          const roles = boxes.filter((b) => b.input.checked).map((b) => b.input.value);
          const ttlDays = ttl.value === '' ? undefined : Number(ttl.value);
          const problem = !/^[a-z0-9._-]{1,64}$/.test(label.value)
            ? t('keys.invalid_label')
            : roles.length === 0
              ? t('keys.invalid_roles')
              : ttlDays !== undefined && !(Number.isInteger(ttlDays) && ttlDays >= 1 && ttlDays <= 365)
                ? t('keys.invalid_ttl')
                : null;
          if (problem) {
            error.textContent = problem;
            error.hidden = false;
            announce(problem, true);
            return;
          }
          sendJson<{ key: Key; api_key: string }>('/api/v1/ui/admin/keys', 'POST', {
            label: label.value,
            roles,
            ...(ttlDays ? { ttl_days: ttlDays } : {}),
          }).then(
            (res) => {
              close();
              if (res) showKey(res.api_key);
              load();
            },
            (err: unknown) => {
              error.textContent =
                err instanceof ApiError ? `${err.message} (${err.requestId ?? err.status})` : String(err);
              error.hidden = false;
            },
          );
        },
      },
    ]);
  };

  const showKey = (plaintext: string): void => {
    const id = uid('new-key');
    const field = h('input', { id, readonly: true, value: plaintext, class: 'mono', autocomplete: 'off' });
    const dialog = openDialog(
      t('keys.created'),
      [h('p', { class: 'notice' }, t('keys.once')), h('label', { for: id }, t('keys.new_key')), field],
      [
        {
          label: t('keys.copy'),
          primary: true,
          onClick: () => void navigator.clipboard?.writeText(field.value).then(() => announce(t('error.copied'))),
        },
      ],
    );
    dialog.addEventListener('close', () => {
      field.value = '';
    });
  };

  main.append(
    h('div', { class: 'actions' }, h('button', { type: 'button', on: { click: create } }, t('keys.create'))),
    region,
  );
  load();
}
