/** Entry point: language, session, frame and the History API router of the `/app/` routes (ui.md §2.2, §3.4). */
import './styles/main.css';
import { getJson, request, setApiHooks, setCsrfToken, clearCache, ApiError, type Session } from './api.js';
import { buildFrame, type Frame } from './components/layout.js';
import { h, replace } from './components/dom.js';
import { initialLang, lang, setLang, t } from './i18n/index.js';
import { can, setNavigate, setSignedIn, state, type Meta } from './state.js';
import { forbiddenView } from './components/region.js';
import { loginPage, setSessionEnded } from './pages/login.js';
import { overviewPage } from './pages/overview.js';
import { sectorsPage } from './pages/sectors.js';
import { gccPage } from './pages/gcc.js';
import { askPage } from './pages/ask.js';
import { queriesPage, queryDetailPage } from './pages/queries.js';
import { briefingPage } from './pages/briefing.js';
import { adminKeysPage } from './pages/admin-keys.js';
import { adminAuditPage } from './pages/admin-audit.js';

export interface PageContext {
  params: Record<string, string>;
  search: URLSearchParams;
  /** Renders the page heading and sets the document title. */
  heading(text: string): HTMLHeadingElement;
}

interface Route {
  pattern: RegExp;
  keys: string[];
  permission: string | null;
  render(main: HTMLElement, ctx: PageContext): void;
}

const ROUTES: Route[] = [
  { pattern: /^\/app\/login$/, keys: [], permission: null, render: loginPage },
  { pattern: /^\/app\/overview$/, keys: [], permission: 'ui.view', render: overviewPage },
  { pattern: /^\/app\/sectors$/, keys: [], permission: 'ui.view', render: sectorsPage },
  { pattern: /^\/app\/gcc$/, keys: [], permission: 'ui.view', render: gccPage },
  { pattern: /^\/app\/ask$/, keys: [], permission: 'ui.ask', render: askPage },
  { pattern: /^\/app\/queries$/, keys: [], permission: 'ui.queries', render: queriesPage },
  {
    pattern: /^\/app\/queries\/([A-Za-z][A-Za-z0-9_]{0,127})$/,
    keys: ['queryId'],
    permission: 'ui.queries',
    render: queryDetailPage,
  },
  { pattern: /^\/app\/briefing$/, keys: [], permission: 'ui.view', render: briefingPage },
  { pattern: /^\/app\/admin\/keys$/, keys: [], permission: 'admin.keys', render: adminKeysPage },
  { pattern: /^\/app\/admin\/audit$/, keys: [], permission: 'audit.read', render: adminAuditPage },
];

let frame: Frame;
/** Path and query of the last render: a fragment-only change (popstate from `#main`) does not render again. */
let rendered = '';

function heading(main: HTMLElement): (text: string) => HTMLHeadingElement {
  return (text) => {
    const h1 = h('h1', { tabindex: '-1' }, text);
    main.appendChild(h1);
    document.title = `${text} — QNWIS`;
    return h1;
  };
}

function notFound(main: HTMLElement, ctx: PageContext): void {
  ctx.heading(t('notfound.title'));
  main.appendChild(
    h('p', {}, t('notfound.message'), ' ', h('a', { href: '/app/overview', 'data-link': true }, t('nav.overview'))),
  );
}

function forbidden(main: HTMLElement, ctx: PageContext): void {
  ctx.heading(t('forbidden.title'));
  main.appendChild(forbiddenView());
}

async function loadSession(): Promise<void> {
  try {
    state.session = await getJson<Session>('/api/v1/session');
  } catch (err) {
    if (!(err instanceof ApiError) || err.status !== 401) throw err;
    state.session = null;
  }
}

async function loadMeta(): Promise<void> {
  state.meta = null;
  if (!can('ui.view')) return;
  try {
    state.meta = await getJson<Meta>('/api/v1/ui/meta');
  } catch {
    state.meta = null;
  }
}

function safeNext(value: string | null): string {
  return value && value.startsWith('/app/') && !value.startsWith('/app/login') ? value : '/app/overview';
}

function render(): void {
  rendered = location.pathname + location.search;
  const path = location.pathname.replace(/\/+$/, '') || '/app';
  const search = new URLSearchParams(location.search);
  if (path === '/app') {
    go(state.session ? '/app/overview' : '/app/login', true);
    return;
  }
  if (!state.session && path !== '/app/login') {
    go(`/app/login?next=${encodeURIComponent(location.pathname + location.search)}`, true);
    return;
  }
  if (state.session && path === '/app/login') {
    go(safeNext(search.get('next')), true);
    return;
  }
  frame.update(path);
  const main = frame.main;
  main.replaceChildren();
  const ctx: PageContext = { params: {}, search, heading: heading(main) };
  let page: (main: HTMLElement, ctx: PageContext) => void = notFound;
  for (const route of ROUTES) {
    const m = route.pattern.exec(path);
    if (!m) continue;
    route.keys.forEach((k, i) => (ctx.params[k] = decodeURIComponent(m[i + 1] ?? '')));
    page = route.permission === null || can(route.permission) ? route.render : forbidden;
    break;
  }
  page(main, ctx);
  main.querySelector('h1')?.focus();
}

function go(path: string, replaceEntry = false): void {
  if (replaceEntry) history.replaceState(null, '', path);
  else history.pushState(null, '', path);
  render();
}

async function signOut(): Promise<void> {
  try {
    await request('/api/v1/session', { method: 'DELETE', noAuthRedirect: true });
  } catch {
    // the session is gone either way
  }
  setCsrfToken(null);
  clearCache();
  state.session = null;
  state.meta = null;
  go('/app/login', true);
}

/** After login: the session from the login response, then the meta. */
async function onSignedIn(session: Session & { csrf_token?: string }, next: string | null): Promise<void> {
  state.session = session;
  setCsrfToken(session.csrf_token ?? null);
  await loadMeta();
  go(safeNext(next), true);
}

async function start(): Promise<void> {
  setLang(initialLang(), false);
  const root = document.getElementById('app')!;
  frame = buildFrame(root, {
    switchLanguage: () => {
      setLang(lang() === 'ar' ? 'en' : 'ar', true);
      render();
    },
    signOut: () => void signOut(),
  });
  setNavigate((path, opts) => go(path, opts?.replace));
  setSignedIn(onSignedIn);
  setApiHooks({
    onUnauthorized: () => {
      if (!state.session) return;
      state.session = null;
      setCsrfToken(null);
      clearCache();
      setSessionEnded();
      go(`/app/login?next=${encodeURIComponent(location.pathname + location.search)}`, true);
    },
    onRequestId: (id) => {
      state.lastRequestId = id;
      frame.setRequestId(id);
    },
  });
  document.addEventListener('click', (event) => {
    const a = (event.target as Element | null)?.closest?.('a[data-link]');
    if (!(a instanceof HTMLAnchorElement) || event.defaultPrevented || event.button !== 0) return;
    if (event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    event.preventDefault();
    go(a.pathname + a.search);
  });
  window.addEventListener('popstate', () => {
    if (location.pathname + location.search !== rendered) render();
  });
  try {
    await loadSession();
    if (state.session?.auth_method === 'session') {
      const res = await request('/api/v1/session/csrf');
      setCsrfToken(((await res.json()) as { csrf_token: string }).csrf_token);
    }
    await loadMeta();
  } catch (err) {
    replace(
      root,
      h('main', { id: 'main' }, h('h1', {}, t('error.generic')), h('p', {}, err instanceof Error ? err.message : '')),
    );
    return;
  }
  render();
}

void start();
