/** Page frame (ui.md §4.1): skip link, header, navigation, main, footer and the two live regions. */
import { h, replace } from './dom.js';
import { lang, t } from '../i18n/index.js';
import { can, state } from '../state.js';

export interface NavItem {
  path: string;
  key: string;
  visible(): boolean;
  children?: NavItem[];
}

export const NAV: NavItem[] = [
  { path: '/app/overview', key: 'nav.overview', visible: () => can('ui.view') },
  { path: '/app/sectors', key: 'nav.sectors', visible: () => can('ui.view') },
  { path: '/app/gcc', key: 'nav.gcc', visible: () => can('ui.view') },
  { path: '/app/ask', key: 'nav.ask', visible: () => can('ui.ask') },
  { path: '/app/queries', key: 'nav.queries', visible: () => can('ui.queries') },
  { path: '/app/briefing', key: 'nav.briefing', visible: () => can('ui.view') },
  {
    path: '/app/admin',
    key: 'nav.admin',
    visible: () => can('admin.keys') || can('audit.read'),
    children: [
      { path: '/app/admin/keys', key: 'nav.admin_keys', visible: () => can('admin.keys') },
      { path: '/app/admin/audit', key: 'nav.admin_audit', visible: () => can('audit.read') },
    ],
  },
];

export interface Frame {
  main: HTMLElement;
  update(currentPath: string): void;
  setRequestId(id: string): void;
}

export interface FrameActions {
  switchLanguage(): void;
  signOut(): void;
}

export function buildFrame(root: HTMLElement, actions: FrameActions): Frame {
  const main = h('main', { id: 'main', tabindex: '-1' });
  const header = h('header', { class: 'site-header' });
  const nav = h('nav', { 'aria-label': t('nav.label'), class: 'site-nav' });
  const footer = h('footer', { class: 'site-footer' });
  const requestId = h('span', { class: 'mono', id: 'last-request-id' }, state.lastRequestId ?? '–');
  let current = '';

  const renderHeader = (): void => {
    const s = state.session;
    const langButton = h(
      'button',
      {
        type: 'button',
        class: 'secondary',
        lang: lang() === 'ar' ? 'en' : 'ar',
        on: { click: actions.switchLanguage },
      },
      lang() === 'ar' ? 'English' : 'العربية',
    );
    replace(
      header,
      h(
        'a',
        {
          class: 'skip-link',
          href: '#main',
          on: {
            click: (e: MouseEvent) => {
              e.preventDefault();
              main.focus();
            },
          },
        },
        t('layout.skip'),
      ),
      h(
        'div',
        { class: 'brand' },
        h('a', { href: '/app/overview', 'data-link': true, class: 'product', lang: 'en' }, 'QNWIS'),
        state.meta?.data_mode === 'synthetic'
          ? h('span', { class: 'badge synthetic', role: 'note' }, t('layout.synthetic'))
          : null,
      ),
      h(
        'div',
        { class: 'user' },
        s
          ? [
              h(
                'span',
                { class: 'subject' },
                h('span', { class: 'sr-only' }, `${t('layout.signed_in_as')} `),
                s.subject,
              ),
              h('span', { class: 'roles' }, `${t('layout.roles')}: ${s.roles.join(', ') || '–'}`),
            ]
          : null,
        langButton,
        s && s.auth_method === 'session'
          ? h('button', { type: 'button', class: 'secondary', on: { click: actions.signOut } }, t('layout.sign_out'))
          : null,
      ),
    );
  };

  const link = (item: NavItem): HTMLElement => {
    const active = current === item.path || (item.children === undefined && current.startsWith(`${item.path}/`));
    return h('a', { href: item.path, 'data-link': true, 'aria-current': active ? 'page' : null }, t(item.key));
  };

  const renderNav = (): void => {
    if (!state.session) {
      nav.hidden = true;
      return;
    }
    nav.hidden = false;
    replace(
      nav,
      h(
        'ul',
        {},
        ...NAV.filter((i) => i.visible()).map((item) =>
          item.children
            ? h(
                'li',
                {},
                h('span', { class: 'nav-group', id: 'nav-admin' }, t(item.key)),
                h(
                  'ul',
                  { 'aria-labelledby': 'nav-admin' },
                  ...item.children.filter((c) => c.visible()).map((c) => h('li', {}, link(c))),
                ),
              )
            : h('li', {}, link(item)),
        ),
      ),
    );
  };

  const renderFooter = (): void => {
    replace(
      footer,
      h(
        'p',
        {},
        `${t('layout.service_version')}: `,
        h('span', { class: 'mono' }, state.meta?.service_version ?? '–'),
        ' · ',
        `${t('layout.registry_version')}: `,
        h('span', { class: 'mono' }, state.meta?.registry_version ?? '–'),
        ' · ',
        `${t('layout.last_request')}: `,
        requestId,
      ),
    );
  };

  replace(
    root,
    header,
    nav,
    main,
    footer,
    h('div', { id: 'live-polite', class: 'sr-only', 'aria-live': 'polite', role: 'status' }),
    h('div', { id: 'live-assertive', class: 'sr-only', 'aria-live': 'assertive', role: 'alert' }),
  );
  return {
    main,
    update(path) {
      current = path;
      nav.setAttribute('aria-label', t('nav.label'));
      renderHeader();
      renderNav();
      renderFooter();
    },
    setRequestId(id) {
      requestId.textContent = id;
    },
  };
}
