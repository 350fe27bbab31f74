import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { CATALOGUE, type VarSpec } from './catalogue.js';

export type RawEnv = Readonly<Record<string, string | undefined>>;

export interface ConfigProblem {
  variable: string;
  reason: string;
}

export class ConfigError extends Error {
  readonly problems: readonly ConfigProblem[];
  constructor(problems: readonly ConfigProblem[]) {
    super(problems.map((p) => `config error: ${p.variable}: ${p.reason}`).join('\n'));
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

const TRUE_WORDS = new Set(['true', '1', 'yes']);
const FALSE_WORDS = new Set(['false', '0', 'no']);

export type Parsed = string | number | boolean | string[] | undefined;

const HOSTNAME =
  /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

/** Comma-separated, whitespace-trimmed, empty items dropped (spec §7.1). */
export function splitList(text: string): string[] {
  return text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

/** `address/prefix` (or a bare address when allowed); returns the prefix length, or undefined when invalid. */
export function cidrPrefix(entry: string, allowBareAddress: boolean): number | undefined {
  const slash = entry.indexOf('/');
  const address = slash < 0 ? entry : entry.slice(0, slash);
  const family = net.isIP(address);
  if (family === 0) return undefined;
  const bits = family === 4 ? 32 : 128;
  if (slash < 0) return allowBareAddress ? bits : undefined;
  const prefixText = entry.slice(slash + 1);
  if (!/^\d{1,3}$/.test(prefixText)) return undefined;
  const prefix = Number(prefixText);
  return prefix <= bits ? prefix : undefined;
}

function parseOrigin(entry: string): string | undefined {
  if (entry === '*') return entry;
  let url: URL;
  try {
    url = new URL(entry);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined;
  return url.origin === entry ? entry : undefined;
}

function parseValue(spec: VarSpec, text: string, cwd: string): { value?: Parsed; reason?: string } {
  const kind = spec.kind;
  switch (kind.type) {
    case 'string':
      if (kind.minLength !== undefined && text.length < kind.minLength)
        return { reason: `must be at least ${kind.minLength} characters` };
      if (kind.pattern && !kind.pattern.test(text))
        return { reason: kind.patternText ? `must be ${kind.patternText}` : `must match ${kind.pattern.source}` };
      return { value: text };
    case 'path': {
      const value = text.trim();
      if (kind.readableFile) {
        try {
          fs.accessSync(path.resolve(cwd, value), fs.constants.R_OK);
          if (!fs.statSync(path.resolve(cwd, value)).isFile()) return { reason: 'must be a readable file' };
        } catch {
          return { reason: 'must be a readable file' };
        }
      }
      return { value };
    }
    case 'int':
    case 'port': {
      const [min, max] = kind.type === 'port' ? [1, 65535] : [kind.min, kind.max];
      if (!/^[+-]?\d+$/.test(text.trim())) return { reason: 'must be an integer' };
      const n = Number(text.trim());
      if (n < min || n > max) return { reason: `must be between ${min} and ${max}` };
      return { value: n };
    }
    case 'bool': {
      const w = text.trim().toLowerCase();
      if (TRUE_WORDS.has(w)) return { value: true };
      if (FALSE_WORDS.has(w)) return { value: false };
      return { reason: 'must be one of true, false, 1, 0, yes, no' };
    }
    case 'enum':
      if (!kind.values.includes(text.trim())) return { reason: `must be one of ${kind.values.join(', ')}` };
      return { value: text.trim() };
    case 'list':
      return { value: splitList(text) };
    case 'url': {
      let url: URL;
      try {
        url = new URL(text.trim());
      } catch {
        return { reason: 'is not a valid URL' };
      }
      if (!kind.schemes.includes(url.protocol.toLowerCase()))
        return { reason: `scheme must be one of ${kind.schemes.join(', ')}` };
      return { value: text.trim() };
    }
    case 'ip':
      if (net.isIP(text.trim()) === 0) return { reason: 'must be an IPv4 or IPv6 address' };
      return { value: text.trim() };
    case 'hostname':
      if (!HOSTNAME.test(text.trim())) return { reason: 'must be a DNS name' };
      return { value: text.trim().toLowerCase() };
    case 'date': {
      const t = text.trim();
      const valid = /^\d{4}-\d{2}-\d{2}$/.test(t) && new Date(`${t}T00:00:00Z`).toISOString().slice(0, 10) === t;
      return valid ? { value: t } : { reason: 'must be a calendar date YYYY-MM-DD' };
    }
    case 'cidrList': {
      const items = splitList(text);
      const what = kind.allowBareAddress ? 'an IP address or CIDR' : 'a CIDR (address/prefix)';
      for (const [i, item] of items.entries()) {
        if (cidrPrefix(item, kind.allowBareAddress) === undefined)
          return { reason: `entry ${i + 1} (${JSON.stringify(item)}) is not ${what}` };
      }
      return { value: items };
    }
    case 'originList': {
      const items = splitList(text);
      for (const [i, item] of items.entries()) {
        if (parseOrigin(item) === undefined)
          return {
            reason: `entry ${i + 1} (${JSON.stringify(item)}) is not an origin like https://host[:port] (lower case, no path, no default port)`,
          };
      }
      return { value: items };
    }
  }
}

/** The text a variable resolves to: its explicit non-empty value, else its documented default. */
export function effectiveText(spec: VarSpec, env: RawEnv): string | undefined {
  const raw = env[spec.name];
  return raw !== undefined && raw !== '' ? raw : spec.default;
}

export interface ReadOptions {
  /** Which catalogue rows to read; default all. */
  include?: (spec: VarSpec) => boolean;
  /** Base of relative paths checked for readability; default the working directory. */
  cwd?: string;
}

/** Parses catalogued variables (explicit value, else documented default); collects all problems. */
export function readCatalogue(
  env: RawEnv,
  options: ReadOptions = {},
): { values: Map<string, Parsed>; problems: ConfigProblem[] } {
  const values = new Map<string, Parsed>();
  const problems: ConfigProblem[] = [];
  const cwd = options.cwd ?? process.cwd();
  for (const spec of CATALOGUE) {
    if (options.include && !options.include(spec)) continue;
    const text = effectiveText(spec, env);
    if (text === undefined) {
      values.set(spec.name, undefined);
      continue;
    }
    const { value, reason } = parseValue(spec, text, cwd);
    if (reason !== undefined) problems.push({ variable: spec.name, reason });
    values.set(spec.name, value);
  }
  return { values, problems };
}

const DRIVER_SUFFIX = /^postgresql\+(?:psycopg|psycopg2|asyncpg):\/\//i;

/** `postgresql+psycopg://…` (and +psycopg2, +asyncpg) → `postgresql://…`; everything after the scheme is kept. */
export function stripDriverSuffix(url: string): string {
  return url.replace(DRIVER_SUFFIX, 'postgresql://');
}
