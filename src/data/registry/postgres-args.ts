/**
 * Argument declarations of `postgres` specs and the typing of their values (data-layer spec §2.1): one set of rules for
 * file defaults and for CLI/HTTP overrides.
 */
import type { ArgDecl, ArgType } from '../model.js';
import type { SpecIssue, SpecIssueCode } from './issues.js';

export const ARG_NAME_PATTERN = /^[a-z][a-z0-9_]{0,62}$/;
export const ARG_TYPES: readonly ArgType[] = ['int', 'number', 'text', 'date'];
export const DEFAULT_TEXT_MAX_LENGTH = 200;

const DECL_KEYS = ['name', 'type', 'default', 'min', 'max', 'enum', 'max_length', 'description'];
/** Keys that only make sense for some types; the others are unknown for that type. */
const TYPE_SPECIFIC_KEYS: Readonly<Record<string, readonly ArgType[]>> = {
  min: ['int', 'number'],
  max: ['int', 'number'],
  enum: ['text'],
  max_length: ['text'],
};
const INT_TEXT = /^[+-]?\d+$/;
const DECIMAL_TEXT = /^[+-]?(?:\d+(?:\.\d+)?|\.\d+)$/;
const DATE_TEXT = /^(\d{4})-(\d{2})-(\d{2})$/;

export type CoercedArg = { ok: true; value: string | number } | { ok: false; reason: string };
type Coercion = { ok: true; value: string | number } | { ok: false; reason: string; kind: 'type' | 'value' };

type Mapping = Record<string, unknown>;

function isMapping(v: unknown): v is Mapping {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'list';
  if (typeof v === 'object') return 'mapping';
  if (typeof v === 'number')
    return Number.isInteger(v) ? 'integer' : Number.isFinite(v) ? 'number' : 'non-finite number';
  return typeof v;
}

function codePointLength(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

/** -0 would serialise as 0 anyway; normalising keeps the bound value and the cache key identical. */
function plainZero(n: number): number {
  return n === 0 ? 0 : n;
}

function isRealDate(year: number, month: number, day: number): boolean {
  if (year < 1 || month < 1 || month > 12 || day < 1) return false;
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  const days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1] ?? 0;
  return day <= days;
}

function bounds(decl: ArgDecl, n: number): Coercion {
  if (decl.min !== undefined && n < decl.min)
    return { ok: false, kind: 'value', reason: `below the minimum ${decl.min}` };
  if (decl.max !== undefined && n > decl.max)
    return { ok: false, kind: 'value', reason: `above the maximum ${decl.max}` };
  return { ok: true, value: plainZero(n) };
}

function coerce(decl: ArgDecl, raw: unknown, fromText: boolean): Coercion {
  if (raw === null || raw === undefined) return { ok: false, kind: 'type', reason: 'null is not a valid value' };
  switch (decl.type) {
    case 'int': {
      let n: number;
      if (typeof raw === 'number') n = raw;
      else if (typeof raw === 'string' && fromText && INT_TEXT.test(raw)) n = Number(raw);
      else if (typeof raw === 'string' && fromText) return { ok: false, kind: 'type', reason: 'expected an integer' };
      else return { ok: false, kind: 'type', reason: `expected an integer, got ${typeName(raw)}` };
      if (!Number.isInteger(n)) return { ok: false, kind: 'type', reason: `expected an integer, got ${typeName(n)}` };
      if (!Number.isSafeInteger(n)) return { ok: false, kind: 'value', reason: 'integer outside the safe range' };
      return bounds(decl, n);
    }
    case 'number': {
      if (typeof raw === 'number') {
        if (!Number.isFinite(raw)) return { ok: false, kind: 'type', reason: 'expected a finite number' };
        return bounds(decl, raw);
      }
      if (typeof raw === 'string') {
        const n = Number(raw);
        if (!DECIMAL_TEXT.test(raw) || !Number.isFinite(n)) {
          return { ok: false, kind: 'type', reason: 'expected a finite decimal number' };
        }
        return bounds(decl, n);
      }
      return { ok: false, kind: 'type', reason: `expected a number, got ${typeName(raw)}` };
    }
    case 'text': {
      if (typeof raw !== 'string')
        return { ok: false, kind: 'type', reason: `expected a string, got ${typeName(raw)}` };
      // PostgreSQL text cannot hold NUL; rejecting it here gives invalid_override instead of a server error.
      if (raw.includes('\u0000')) return { ok: false, kind: 'value', reason: 'contains a NUL character' };
      const maxLength = decl.max_length ?? DEFAULT_TEXT_MAX_LENGTH;
      if (codePointLength(raw) > maxLength) {
        return { ok: false, kind: 'value', reason: `longer than ${maxLength} characters` };
      }
      if (decl.enum !== undefined && !decl.enum.includes(raw)) {
        return { ok: false, kind: 'value', reason: `not one of ${decl.enum.join(', ')}` };
      }
      return { ok: true, value: raw };
    }
    case 'date': {
      if (typeof raw !== 'string')
        return { ok: false, kind: 'type', reason: `expected a date string, got ${typeName(raw)}` };
      const m = DATE_TEXT.exec(raw);
      if (!m || !isRealDate(Number(m[1]), Number(m[2]), Number(m[3]))) {
        return { ok: false, kind: 'value', reason: 'expected a real date as YYYY-MM-DD' };
      }
      return { ok: true, value: raw };
    }
  }
}

/**
 * Types one argument value. `fromText` marks CLI/HTTP text, where an `int` may also be written as `^[+-]?\d+$`; typed
 * input (YAML defaults, JSON bodies) must carry a real integer. Reasons never echo the value.
 */
export function coerceArgValue(decl: ArgDecl, raw: unknown, fromText: boolean): CoercedArg {
  const result = coerce(decl, raw, fromText);
  return result.ok ? result : { ok: false, reason: result.reason };
}

/** Validates `params.args`; `decls` holds the declarations that passed every check, in list order. */
export function validateArgDeclarations(
  args: unknown,
  basePath = 'params.args',
): { decls: ArgDecl[]; issues: SpecIssue[] } {
  const issues: SpecIssue[] = [];
  const add = (path: string, code: SpecIssueCode, message: string): void => {
    issues.push({ path, code, message });
  };
  if (args === undefined) return { decls: [], issues };
  if (!Array.isArray(args)) {
    add(basePath, 'invalid_type', `expected a list, got ${typeName(args)}`);
    return { decls: [], issues };
  }
  const decls: ArgDecl[] = [];
  const firstIndexByName = new Map<string, number>();
  args.forEach((item: unknown, i) => {
    const base = `${basePath}[${i}]`;
    const before = issues.length;
    const decl = validateOne(item, base, add);
    if (decl !== undefined) {
      const first = firstIndexByName.get(decl.name);
      if (first !== undefined) {
        add(`${base}.name`, 'invalid_value', `duplicate arg name "${decl.name}" (also ${basePath}[${first}])`);
      } else firstIndexByName.set(decl.name, i);
    }
    if (decl !== undefined && issues.length === before) decls.push(decl);
  });
  return { decls, issues };
}

type AddIssue = (path: string, code: SpecIssueCode, message: string) => void;

/** Checks one declaration; returns it when its own fields are valid (name uniqueness is checked by the caller). */
function validateOne(item: unknown, base: string, add: AddIssue): ArgDecl | undefined {
  if (!isMapping(item)) {
    add(base, 'invalid_type', `expected a mapping, got ${typeName(item)}`);
    return undefined;
  }
  let ok = true;
  const fail = (key: string, code: SpecIssueCode, message: string): void => {
    add(`${base}.${key}`, code, message);
    ok = false;
  };
  for (const key of Object.keys(item)) {
    if (!DECL_KEYS.includes(key)) {
      fail(key, 'unknown_key', `unknown key "${key}"; allowed: ${[...DECL_KEYS].sort().join(', ')}`);
    }
  }

  let name: string | undefined;
  if (!('name' in item)) fail('name', 'missing_field', 'required');
  else if (typeof item.name !== 'string') fail('name', 'invalid_type', `expected a string, got ${typeName(item.name)}`);
  else if (!ARG_NAME_PATTERN.test(item.name))
    fail('name', 'invalid_value', `"${item.name}" must match ${ARG_NAME_PATTERN.source}`);
  else name = item.name;

  let type: ArgType | undefined;
  if (!('type' in item)) fail('type', 'missing_field', 'required');
  else if (typeof item.type !== 'string') fail('type', 'invalid_type', `expected a string, got ${typeName(item.type)}`);
  else if (!ARG_TYPES.includes(item.type as ArgType)) {
    fail('type', 'invalid_value', `"${item.type}" is not one of ${ARG_TYPES.join(', ')}`);
  } else type = item.type as ArgType;

  if ('description' in item && typeof item.description !== 'string') {
    fail('description', 'invalid_type', `expected a string, got ${typeName(item.description)}`);
  }
  // Without a valid type neither the type-specific keys nor the default can be judged.
  if (type === undefined) return undefined;

  for (const [key, types] of Object.entries(TYPE_SPECIFIC_KEYS)) {
    if (key in item && !types.includes(type)) {
      const allowed = DECL_KEYS.filter((k) => TYPE_SPECIFIC_KEYS[k]?.includes(type) ?? true).sort();
      fail(key, 'unknown_key', `"${key}" does not apply to ${type} args; allowed: ${allowed.join(', ')}`);
    }
  }

  const decl: ArgDecl = { name: name ?? '', type };
  if (type === 'int' || type === 'number') {
    for (const key of ['min', 'max'] as const) {
      if (!(key in item)) continue;
      const v = item[key];
      const valid = type === 'int' ? Number.isSafeInteger(v) : typeof v === 'number' && Number.isFinite(v);
      if (!valid)
        fail(key, 'invalid_type', `expected ${type === 'int' ? 'an integer' : 'a number'}, got ${typeName(v)}`);
      else decl[key] = plainZero(v as number);
    }
    if (decl.min !== undefined && decl.max !== undefined && decl.min > decl.max) {
      fail('min', 'invalid_value', `min ${decl.min} is greater than max ${decl.max}`);
    }
  }
  if (type === 'text') {
    if ('max_length' in item) {
      const v = item.max_length;
      if (!Number.isSafeInteger(v)) fail('max_length', 'invalid_type', `expected an integer, got ${typeName(v)}`);
      else if ((v as number) < 1) fail('max_length', 'invalid_value', `must be a positive integer, got ${String(v)}`);
      else decl.max_length = v as number;
    }
    if ('enum' in item) {
      const values = validateEnum(item.enum, `${base}.enum`, decl.max_length ?? DEFAULT_TEXT_MAX_LENGTH, add);
      if (values === undefined) ok = false;
      else decl.enum = values;
    }
  }
  if (typeof item.description === 'string') decl.description = item.description;

  if ('default' in item) {
    // A default is typed like any value from a file: YAML scalars keep their type (fromText = false).
    const typed = coerce(decl, item.default, false);
    if (typed.ok) decl.default = typed.value;
    else fail('default', typed.kind === 'type' ? 'invalid_type' : 'invalid_value', typed.reason);
  }
  return ok && name !== undefined ? decl : undefined;
}

function validateEnum(v: unknown, path: string, maxLength: number, add: AddIssue): string[] | undefined {
  if (!Array.isArray(v)) {
    add(path, 'invalid_type', `expected a list, got ${typeName(v)}`);
    return undefined;
  }
  if (v.length === 0) {
    add(path, 'invalid_value', 'must not be empty');
    return undefined;
  }
  let ok = true;
  const seen = new Set<string>();
  v.forEach((entry: unknown, i) => {
    const p = `${path}[${i}]`;
    if (typeof entry !== 'string') {
      add(p, 'invalid_type', `expected a string, got ${typeName(entry)}`);
      ok = false;
    } else if (codePointLength(entry) > maxLength) {
      add(p, 'invalid_value', `longer than max_length ${maxLength}`);
      ok = false;
    } else if (seen.has(entry)) {
      add(p, 'invalid_value', `duplicate entry "${entry}"`);
      ok = false;
    } else seen.add(entry);
  });
  return ok ? (v as string[]) : undefined;
}
