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

type Parsed = string | number | boolean | string[] | undefined;

function parseValue(spec: VarSpec, text: string): { value?: Parsed; reason?: string } {
  const kind = spec.kind;
  switch (kind.type) {
    case 'string':
      if (kind.pattern && !kind.pattern.test(text)) return { reason: `must match ${kind.pattern.source}` };
      return { value: text };
    case 'int': {
      if (!/^[+-]?\d+$/.test(text.trim())) return { reason: 'must be an integer' };
      const n = Number(text.trim());
      if (n < kind.min || n > kind.max) return { reason: `must be between ${kind.min} and ${kind.max}` };
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
      return {
        value: text
          .split(',')
          .map((s) => s.trim())
          .filter((s) => s.length > 0),
      };
    case 'url': {
      let url: URL;
      try {
        url = new URL(text.trim());
      } catch {
        return { reason: 'is not a valid URL' };
      }
      if (!kind.schemes.includes(url.protocol)) return { reason: `scheme must be one of ${kind.schemes.join(', ')}` };
      return { value: text.trim() };
    }
  }
}

/** Parses every catalogued variable (explicit value, else documented default); collects all problems. */
export function readCatalogue(env: RawEnv): { values: Map<string, Parsed>; problems: ConfigProblem[] } {
  const values = new Map<string, Parsed>();
  const problems: ConfigProblem[] = [];
  for (const spec of CATALOGUE) {
    const raw = env[spec.name];
    const text = raw !== undefined && raw !== '' ? raw : spec.default;
    if (text === undefined) {
      values.set(spec.name, undefined);
      continue;
    }
    const { value, reason } = parseValue(spec, text);
    if (reason !== undefined) problems.push({ variable: spec.name, reason });
    values.set(spec.name, value);
  }
  return { values, problems };
}
