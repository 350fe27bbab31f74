/**
 * Reader for Docker Compose env files (`KEY=VALUE` per line). Nothing is executed and nothing is interpolated:
 * `$OTHER` stays literal text, so a file is checked exactly as written.
 */
import fs from 'node:fs';
import type { RawEnv } from './resolve.js';

export interface EnvFileIssue {
  line: number;
  reason: string;
}

export class EnvFileError extends Error {
  readonly source: string;
  readonly issues: readonly EnvFileIssue[];
  constructor(source: string, issues: readonly EnvFileIssue[]) {
    super(issues.map((i) => `${source}:${i.line}: ${i.reason}`).join('\n'));
    this.name = 'EnvFileError';
    this.source = source;
    this.issues = issues;
  }
}

const KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;
const DOUBLE_QUOTED_ESCAPES: Record<string, string> = { n: '\n', r: '\r', t: '\t', '\\': '\\', '"': '"' };

/** What may follow a closing quote: nothing, or whitespace and an optional `# comment`. */
function isTrailerAllowed(rest: string): boolean {
  return /^\s*(?:#.*)?$/.test(rest);
}

/**
 * Parses env-file text: comments (`#` first on a line, or after whitespace behind an unquoted value, or after a
 * closing quote), blank lines, an optional `export ` prefix, unquoted, 'single-quoted' (literal; `\'` escapes a
 * quote) and "double-quoted" values (escapes \n \r \t \\ \"; may span lines). A later duplicate key wins, as in
 * Compose. Every malformed line is reported (1-based line numbers) in one EnvFileError.
 */
export function parseEnvFile(text: string, source = 'env file'): RawEnv {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  const env: Record<string, string> = {};
  const issues: EnvFileIssue[] = [];
  for (let i = 0; i < lines.length; i++) {
    const lineNumber = i + 1;
    const line = lines[i]!;
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#')) continue;
    const body = line.trimStart().replace(/^export\s+/, '');
    const eq = body.indexOf('=');
    if (eq < 0) {
      issues.push({ line: lineNumber, reason: 'expected KEY=VALUE' });
      continue;
    }
    const key = body.slice(0, eq).trim();
    if (!KEY.test(key)) {
      issues.push({ line: lineNumber, reason: `invalid variable name ${JSON.stringify(key)}` });
      continue;
    }
    const raw = body.slice(eq + 1).replace(/^[ \t]+/, '');
    const quote = raw[0];
    if (quote === '"' || quote === "'") {
      // Quoted values may continue on the following lines until the closing quote.
      let buffer = raw.slice(1);
      let endLine = i;
      let value = '';
      let closedAt = -1;
      for (;;) {
        const scanned = scanQuoted(buffer, quote);
        if (scanned.closedAt >= 0) {
          value += scanned.value;
          closedAt = scanned.closedAt;
          break;
        }
        if (endLine + 1 >= lines.length) break;
        value += scanned.value + '\n';
        endLine++;
        buffer = lines[endLine]!;
      }
      if (closedAt < 0) {
        issues.push({ line: lineNumber, reason: `unterminated ${quote === '"' ? 'double' : 'single'}-quoted value` });
        i = endLine;
        continue;
      }
      if (!isTrailerAllowed(buffer.slice(closedAt + 1))) {
        issues.push({ line: endLine + 1, reason: 'unexpected text after the closing quote' });
      } else {
        env[key] = value;
      }
      i = endLine;
      continue;
    }
    // Unquoted: an inline comment starts at a `#` preceded by whitespace.
    const unquoted = body.slice(eq + 1);
    const comment = /\s#/.exec(unquoted);
    env[key] = (comment ? unquoted.slice(0, comment.index) : unquoted).trim();
  }
  if (issues.length > 0) throw new EnvFileError(source, issues);
  return env;
}

/** Scans one line of a quoted value; closedAt is the index of the closing quote in `text`, or -1. */
function scanQuoted(text: string, quote: '"' | "'"): { value: string; closedAt: number } {
  let value = '';
  for (let j = 0; j < text.length; j++) {
    const c = text[j]!;
    if (c === '\\' && j + 1 < text.length) {
      const next = text[j + 1]!;
      if (quote === "'") {
        if (next === "'") {
          value += "'";
          j++;
          continue;
        }
        value += c;
        continue;
      }
      const escaped = DOUBLE_QUOTED_ESCAPES[next];
      value += escaped ?? c + next;
      j++;
      continue;
    }
    if (c === quote) return { value, closedAt: j };
    value += c;
  }
  return { value, closedAt: -1 };
}

/** Reads and parses an env file; the path appears in every issue. Filesystem errors propagate unchanged. */
export function readEnvFile(file: string): RawEnv {
  return parseEnvFile(fs.readFileSync(file, 'utf8'), file);
}
