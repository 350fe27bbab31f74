/** What every page may read: the session, the service meta and the last request id; plus navigation and announcements. */
import type { Session } from './api.js';

export interface Meta {
  data_mode: 'synthetic' | 'live';
  registry_version: string;
  years: number[];
  latest_common_year: number | null;
  sectors: string[];
  countries: string[];
  vision2030_target_pct: number;
  service_version: string;
}

export interface AppState {
  session: Session | null;
  meta: Meta | null;
  lastRequestId: string | null;
}

export const state: AppState = { session: null, meta: null, lastRequestId: null };

export function can(permission: string): boolean {
  return state.session?.permissions.includes(permission) ?? false;
}

type Navigate = (path: string, opts?: { replace?: boolean }) => void;
let navigateImpl: Navigate = (path) => {
  location.assign(path);
};

export function setNavigate(fn: Navigate): void {
  navigateImpl = fn;
}

export function navigate(path: string, opts?: { replace?: boolean }): void {
  navigateImpl(path, opts);
}

/** Screen-reader announcement: polite for loading/results, assertive for errors. */
export function announce(message: string, assertive = false): void {
  const region = document.getElementById(assertive ? 'live-assertive' : 'live-polite');
  if (!region) return;
  region.textContent = '';
  // A new text node after clearing makes repeated messages audible.
  setTimeout(() => {
    region.textContent = message;
  }, 30);
}

type SignedIn = (session: import('./api.js').Session & { csrf_token?: string }, next: string | null) => Promise<void>;
let signedInImpl: SignedIn = async () => undefined;

export function setSignedIn(fn: SignedIn): void {
  signedInImpl = fn;
}

/** Called by the login page with the login response. */
export function signedIn(session: Parameters<SignedIn>[0], next: string | null): Promise<void> {
  return signedInImpl(session, next);
}
