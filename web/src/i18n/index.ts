/** UI language (ui.md §10): catalogues, the `qnwis_lang` cookie, `<html lang dir>`, number formatting. */
import en from './en.json';
import ar from './ar.json';
import { countryLabel, sectorLabel } from '../../../src/charts/labels.js';

export type Lang = 'en' | 'ar';
type Catalogue = Record<string, string>;

const CATALOGUES: Record<Lang, Catalogue> = { en, ar };
let current: Lang = 'en';

export function lang(): Lang {
  return current;
}

function cookieLang(): Lang | null {
  const m = /(?:^|;\s*)qnwis_lang=(en|ar)(?:;|$)/.exec(document.cookie);
  return m ? (m[1] as Lang) : null;
}

/** Cookie, else the `<html lang>` the server set, else the browser language. */
export function initialLang(): Lang {
  const fromCookie = cookieLang();
  if (fromCookie) return fromCookie;
  return navigator.language.toLowerCase().startsWith('ar') ? 'ar' : 'en';
}

export function setLang(next: Lang, remember: boolean): void {
  current = next;
  document.documentElement.lang = next;
  document.documentElement.dir = next === 'ar' ? 'rtl' : 'ltr';
  if (remember) {
    const secure = location.protocol === 'https:' ? '; Secure' : '';
    document.cookie = `qnwis_lang=${next}; Path=/; Max-Age=31536000; SameSite=Strict${secure}`;
  }
}

/** Catalogue text with `{name}` placeholders; a missing key falls back to English (warning in development). */
export function t(key: string, vars: Record<string, string | number> = {}): string {
  let text = CATALOGUES[current][key];
  if (text === undefined) {
    if (import.meta.env.DEV) console.warn(`i18n: missing key ${key} (${current})`);
    text = CATALOGUES.en[key] ?? key;
  }
  return text.replace(/\{([a-z_]+)\}/g, (whole, name: string) => (name in vars ? String(vars[name]) : whole));
}

function locale(): string {
  return current === 'ar' ? 'ar-QA-u-nu-latn' : 'en-QA';
}

const formatters = new Map<string, Intl.NumberFormat>();
function nf(options: Intl.NumberFormatOptions): Intl.NumberFormat {
  const key = `${locale()}|${JSON.stringify(options)}`;
  let f = formatters.get(key);
  if (!f) {
    f = new Intl.NumberFormat(locale(), options);
    formatters.set(key, f);
  }
  return f;
}

export function fmtInt(value: number | null | undefined): string {
  return value === null || value === undefined ? '–' : nf({ maximumFractionDigits: 0 }).format(value);
}

export function fmtPct(value: number | null | undefined): string {
  return value === null || value === undefined
    ? '–'
    : `${nf({ minimumFractionDigits: 1, maximumFractionDigits: 1 }).format(value)}%`;
}

export function fmtNum(value: number | null | undefined, decimals = 2): string {
  return value === null || value === undefined
    ? '–'
    : nf({ minimumFractionDigits: decimals, maximumFractionDigits: decimals }).format(value);
}

export function fmtSigned(value: number, unit: 'pp' | 'percent'): string {
  const sign = value > 0 ? '+' : value < 0 ? '−' : '±';
  const abs = nf({ minimumFractionDigits: 1, maximumFractionDigits: 1 }).format(Math.abs(value));
  return unit === 'pp' ? `${sign}${abs} ${t('unit.pp')}` : `${sign}${abs}%`;
}

/** Value in its unit: persons and QAR as integers, percent with one decimal. */
export function fmtUnit(value: number | null | undefined, unit: string): string {
  if (unit === 'percent') return fmtPct(value);
  if (unit === 'qar') return value === null || value === undefined ? '–' : `${fmtInt(value)} ${t('unit.qar')}`;
  return fmtInt(value);
}

/** Long localised date in Asia/Qatar (prose); tables use ISO dates. */
export function fmtDateLong(iso: string | null | undefined): string {
  if (!iso) return '–';
  const d = new Date(iso.length === 10 ? `${iso}T00:00:00Z` : iso);
  if (Number.isNaN(d.getTime())) return iso;
  return new Intl.DateTimeFormat(current === 'ar' ? 'ar-QA-u-nu-latn-ca-gregory' : 'en-QA', {
    dateStyle: 'long',
    timeStyle: iso.length === 10 ? undefined : 'short',
    timeZone: 'Asia/Qatar',
  }).format(d);
}

export function sectorName(value: string): string {
  return sectorLabel(value, current);
}

export function countryName(iso3: string): string {
  return countryLabel(iso3, current);
}
