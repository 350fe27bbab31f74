/**
 * Load-time acceptance of registry SQL (data-layer spec §2.2, §11): lexical rules on the raw text, then the PostgreSQL
 * grammar check through libpg-query. Rule 3 (placeholders) failures are `sql_placeholder`, everything else `unsafe_sql`.
 */
import { loadModule, parseSync } from 'libpg-query';
import type { ArgDecl, ArgType } from '../model.js';
import type { SpecIssue, SpecIssueCode } from './issues.js';

export const MAX_SQL_CHARS = 20000;
const SQL_PATH = 'params.sql';

const FORBIDDEN_SEQUENCES = [';', '--', '/*', '*/', '${', '{{', '}}', '%s', '%(', '?'] as const;

const FORBIDDEN_KEYWORDS = new Set([
  'insert',
  'update',
  'delete',
  'merge',
  'create',
  'alter',
  'drop',
  'truncate',
  'grant',
  'revoke',
  'copy',
  'call',
  'do',
  'execute',
  'prepare',
  'deallocate',
  'declare',
  'listen',
  'notify',
  'vacuum',
  'analyze',
  'explain',
  'cluster',
  'reindex',
  'refresh',
  'lock',
  'set',
  'reset',
  'begin',
  'commit',
  'rollback',
  'savepoint',
  'into',
  'share',
]);

const FORBIDDEN_IDENTIFIERS = new Set(['set_config', 'current_setting', 'nextval', 'setval']);
const FORBIDDEN_PREFIXES = ['pg_', 'lo_', 'dblink'];
// `_to_xml_and_xmlschema` is not covered by the two spec suffixes but runs query text just like query_to_xml.
const FORBIDDEN_SUFFIXES = ['_to_xml', '_to_xmlschema', '_to_xml_and_xmlschema'];

/** Casts accepted right after a placeholder, per declared type (rule 3). */
const PLACEHOLDER_CASTS: Readonly<Record<ArgType, readonly string[]>> = {
  int: ['int', 'integer'],
  number: ['numeric'],
  text: ['text'],
  date: ['date'],
};

/** The type name libpg-query reports for each accepted cast (grammar side of rule 3). */
const PARSED_CAST_NAMES: Readonly<Record<ArgType, string>> = {
  int: 'pg_catalog.int4',
  number: 'pg_catalog.numeric',
  text: 'text',
  date: 'date',
};

const DATA_MODIFYING: Readonly<Record<string, string>> = {
  InsertStmt: 'INSERT',
  UpdateStmt: 'UPDATE',
  DeleteStmt: 'DELETE',
  MergeStmt: 'MERGE',
};

const LOCK_STRENGTHS: Readonly<Record<string, string>> = {
  LCS_FORKEYSHARE: 'FOR KEY SHARE',
  LCS_FORSHARE: 'FOR SHARE',
  LCS_FORNOKEYUPDATE: 'FOR NO KEY UPDATE',
  LCS_FORUPDATE: 'FOR UPDATE',
};

let parserLoading: Promise<void> | undefined;
let parserReady = false;

/** Initialises the WASM parser once; later calls reuse the same promise (a failed load may be retried). */
export async function loadSqlParser(): Promise<void> {
  parserLoading ??= loadModule().then(
    () => {
      parserReady = true;
    },
    (err: unknown) => {
      parserLoading = undefined;
      throw err;
    },
  );
  return parserLoading;
}

/** Checks one registry statement against §2.2; all issues carry the path `params.sql`. Needs loadSqlParser() first. */
export function checkSql(sql: string, args: readonly ArgDecl[]): SpecIssue[] {
  if (!parserReady) throw new Error('checkSql called before loadSqlParser() completed');
  const issues = new IssueList();
  const length = countCodePoints(sql);
  if (length > MAX_SQL_CHARS) {
    // Scanning megabytes of text is pointless once the length rule has failed.
    issues.add('unsafe_sql', `longer than ${MAX_SQL_CHARS} characters (${length})`);
    return issues.list;
  }
  checkFirstKeyword(sql, issues);
  checkForbiddenSequences(sql, issues);
  checkPlaceholders(sql, args, issues);
  checkWords(sql, issues);
  // The grammar check only makes sense for text that already passed the lexical rules (no `;`, comments, ...).
  if (issues.list.length === 0) checkGrammar(sql, args, issues);
  return issues.list;
}

/**
 * Rule 5 alone (the libpg-query grammar check), for SQL that passed the lexical rules; exported so the defence in depth
 * can be exercised on text the lexical rules would already reject.
 */
export function checkSqlGrammar(sql: string, args: readonly ArgDecl[]): SpecIssue[] {
  if (!parserReady) throw new Error('checkSqlGrammar called before loadSqlParser() completed');
  const issues = new IssueList();
  checkGrammar(sql, args, issues);
  return issues.list;
}

/** Issues in discovery order, without repeating the same code and message. */
class IssueList {
  readonly list: SpecIssue[] = [];
  private readonly seen = new Set<string>();

  add(code: SpecIssueCode, message: string): void {
    const key = `${code}\u0000${message}`;
    if (this.seen.has(key)) return;
    this.seen.add(key);
    this.list.push({ path: SQL_PATH, code, message });
  }
}

function countCodePoints(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

/** PostgreSQL identifier characters: ASCII letters, digits, `_`, `$` and every non-ASCII character. */
function isIdentChar(ch: string | undefined): boolean {
  if (ch === undefined) return false;
  return /[A-Za-z0-9_$]/.test(ch) || ch.charCodeAt(0) >= 0x80;
}

function shorten(s: string, max = 40): string {
  return s.length > max ? `${s.slice(0, max)}…` : s;
}

// Rule 1: after leading whitespace (PostgreSQL's set) the first keyword is SELECT or WITH.
function checkFirstKeyword(sql: string, issues: IssueList): void {
  const start = /^[ \t\n\r\f\v]*/.exec(sql)?.[0].length ?? 0;
  let end = start;
  while (end < sql.length && isIdentChar(sql[end])) end++;
  const word = sql.slice(start, end);
  const lower = word.toLowerCase();
  if (lower === 'select' || lower === 'with') return;
  if (word.length > 0) issues.add('unsafe_sql', `must start with SELECT or WITH, found ${shorten(word)}`);
  else if (start >= sql.length) issues.add('unsafe_sql', 'must start with SELECT or WITH, found nothing');
  else issues.add('unsafe_sql', `must start with SELECT or WITH, found "${sql.slice(start, start + 1)}"`);
}

// Rule 2 (except `$`, handled with the placeholders): forbidden sequences anywhere, string literals included.
function checkForbiddenSequences(sql: string, issues: IssueList): void {
  const lower = sql.toLowerCase();
  for (const seq of FORBIDDEN_SEQUENCES) {
    if (lower.includes(seq)) issues.add('unsafe_sql', `forbidden sequence ${seq}`);
  }
  if (sql.includes('\\')) issues.add('unsafe_sql', 'forbidden backslash');
  // NUL cannot reach PostgreSQL and would cut the text the WASM parser sees.
  if (sql.includes('\u0000')) issues.add('unsafe_sql', 'forbidden NUL character');
  for (const m of sql.matchAll(/(?<!:):([\p{L}_][\p{L}\p{N}_$]*)/gu)) {
    issues.add('unsafe_sql', `forbidden named bind :${shorten(m[1] ?? '')}`);
  }
}

// Rule 3 plus the `$` part of rule 2: every `$` starts `$<n>::<cast of arg n>`, and {1..n} are all used.
function checkPlaceholders(sql: string, args: readonly ArgDecl[], issues: IssueList): void {
  const used = new Set<number>();
  const digitsAt = /[0-9]+/y;
  const castAt = /::([A-Za-z_][A-Za-z0-9_$]*)/y;
  for (let i = sql.indexOf('$'); i !== -1; i = sql.indexOf('$', i + 1)) {
    digitsAt.lastIndex = i + 1;
    const digits = digitsAt.exec(sql)?.[0];
    if (digits === undefined || isIdentChar(sql[i - 1])) {
      // `${` is already reported as a forbidden sequence.
      if (sql[i + 1] !== '{') issues.add('unsafe_sql', 'forbidden $ that does not start a placeholder');
      continue;
    }
    const token = `$${shorten(digits, 12)}`;
    if (digits.startsWith('0')) {
      issues.add('sql_placeholder', `malformed placeholder ${token}: needs a positive integer without leading zeros`);
      continue;
    }
    const index = Number(digits);
    const decl = index <= args.length ? args[index - 1] : undefined;
    if (decl === undefined) {
      issues.add('sql_placeholder', `placeholder ${token} has no declared arg (${args.length} declared)`);
      continue;
    }
    used.add(index);
    castAt.lastIndex = i + 1 + digits.length;
    const cast = castAt.exec(sql);
    const castWord = cast?.[1]?.toLowerCase();
    const allowed = PLACEHOLDER_CASTS[decl.type];
    if (castWord === undefined || isIdentChar(sql[castAt.lastIndex]) || !allowed.includes(castWord)) {
      const expected = allowed.map((c) => `::${c}`).join(' or ');
      issues.add('sql_placeholder', `placeholder ${token} must be followed by ${expected}`);
    }
  }
  args.forEach((decl, i) => {
    if (!used.has(i + 1)) issues.add('sql_placeholder', `arg ${decl.name} is declared but $${i + 1} is not used`);
  });
}

function forbiddenIdentifier(lower: string): boolean {
  return (
    FORBIDDEN_IDENTIFIERS.has(lower) ||
    FORBIDDEN_PREFIXES.some((p) => lower.startsWith(p)) ||
    FORBIDDEN_SUFFIXES.some((s) => lower.endsWith(s))
  );
}

// Rule 4: whole words, compared case-insensitively; literals and quoted identifiers included on purpose.
function checkWords(sql: string, issues: IssueList): void {
  for (const m of sql.matchAll(/[\p{L}\p{N}_$]+/gu)) {
    const word = m[0];
    const lower = word.toLowerCase();
    if (FORBIDDEN_KEYWORDS.has(lower)) issues.add('unsafe_sql', `forbidden keyword ${lower.toUpperCase()}`);
    else if (forbiddenIdentifier(lower)) issues.add('unsafe_sql', `forbidden identifier ${shorten(word, 64)}`);
    // UESCAPE lets a U&"..." identifier spell pg_sleep without the letters, bypassing the identifier rule.
    else if (lower === 'uescape') issues.add('unsafe_sql', 'forbidden keyword UESCAPE');
  }
}

type AstObject = Record<string, unknown>;

function isAstObject(v: unknown): v is AstObject {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function errorMessage(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const details = (err as { sqlDetails?: { cursorPosition?: unknown } }).sqlDetails;
  const at = typeof details?.cursorPosition === 'number' ? ` (offset ${details.cursorPosition})` : '';
  return `${err.message}${at}`;
}

// Rule 5: exactly one plain SELECT; no data-modifying CTE, INTO or locking clause; parameters only $1..$n, each cast.
function checkGrammar(sql: string, args: readonly ArgDecl[], issues: IssueList): void {
  let parsed: ReturnType<typeof parseSync>;
  try {
    parsed = parseSync(sql);
  } catch (err) {
    issues.add('unsafe_sql', `does not parse: ${errorMessage(err)}`);
    return;
  }
  const stmts = parsed.stmts ?? [];
  if (stmts.length !== 1) {
    issues.add('unsafe_sql', `expected exactly one statement, found ${stmts.length}`);
    return;
  }
  const top: unknown = stmts[0]?.stmt;
  const topKind = isAstObject(top) ? (Object.keys(top)[0] ?? 'nothing') : 'nothing';
  if (!isAstObject(top) || topKind !== 'SelectStmt') {
    issues.add('unsafe_sql', `top-level statement is ${topKind}, not a plain SELECT`);
    return;
  }
  const walk = new AstWalk(args, issues);
  walk.visit(top, false);
  args.forEach((_, i) => {
    if (!walk.referenced.has(i + 1)) {
      // Its lexical `$n::type` sat inside a literal or quoted identifier, so args and statement disagree.
      issues.add('sql_placeholder', `$${i + 1} never occurs as a parameter reference`);
    }
  });
}

class AstWalk {
  readonly referenced = new Set<number>();
  private readonly castParams = new Set<unknown>();

  constructor(
    private readonly args: readonly ArgDecl[],
    private readonly issues: IssueList,
  ) {}

  visit(node: unknown, inCte: boolean): void {
    if (Array.isArray(node)) {
      for (const item of node) this.visit(item, inCte);
      return;
    }
    if (!isAstObject(node)) return;
    for (const [key, value] of Object.entries(node)) {
      if (key.endsWith('Stmt') && key !== 'SelectStmt') {
        const verb = DATA_MODIFYING[key];
        if (inCte && verb !== undefined) this.issues.add('unsafe_sql', `data-modifying CTE (${verb})`);
        else this.issues.add('unsafe_sql', `nested ${key} not allowed`);
        continue;
      }
      if (key === 'intoClause') this.issues.add('unsafe_sql', 'SELECT INTO not allowed');
      if (key === 'lockingClause') this.lockingClause(value);
      if (key === 'TypeCast' && isAstObject(value)) this.typeCast(value);
      if (key === 'ParamRef' && isAstObject(value)) this.paramRef(value);
      this.visit(value, inCte || key === 'CommonTableExpr');
    }
  }

  private lockingClause(value: unknown): void {
    const clauses = Array.isArray(value) ? value : [value];
    for (const c of clauses) {
      const strength = isAstObject(c) && isAstObject(c.LockingClause) ? c.LockingClause.strength : undefined;
      const label = typeof strength === 'string' ? (LOCK_STRENGTHS[strength] ?? strength) : 'FOR UPDATE/SHARE';
      this.issues.add('unsafe_sql', `locking clause ${label} not allowed`);
    }
  }

  private typeCast(cast: AstObject): void {
    const param = isAstObject(cast.arg) ? cast.arg.ParamRef : undefined;
    if (!isAstObject(param) || typeof param.number !== 'number') return;
    this.castParams.add(param);
    const decl = this.args[param.number - 1];
    if (decl === undefined) return; // reported by paramRef
    const typeName = isAstObject(cast.typeName) ? cast.typeName : {};
    const names = Array.isArray(typeName.names) ? typeName.names : [];
    const spelled = names.map((n) => (isAstObject(n) && isAstObject(n.String) ? String(n.String.sval) : '?')).join('.');
    const plain =
      spelled === PARSED_CAST_NAMES[decl.type] &&
      !nonEmptyList(typeName.typmods) &&
      !nonEmptyList(typeName.arrayBounds) &&
      typeName.setof !== true &&
      typeName.pct_type !== true;
    if (!plain) {
      const modifiers = `${nonEmptyList(typeName.typmods) ? '(…)' : ''}${nonEmptyList(typeName.arrayBounds) ? '[]' : ''}`;
      const found = `${typeName.setof === true ? 'setof ' : ''}${spelled}${modifiers}`;
      const expected = PLACEHOLDER_CASTS[decl.type].map((c) => `::${c}`).join(' or ');
      this.issues.add(
        'sql_placeholder',
        `placeholder $${param.number} must be cast to exactly ${expected}, found ::${found}`,
      );
    }
  }

  private paramRef(param: AstObject): void {
    const n = param.number;
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > this.args.length) {
      const range = this.args.length === 0 ? 'no args declared' : `outside $1..$${this.args.length}`;
      this.issues.add('unsafe_sql', `parameter reference $${String(n)}: ${range}`);
      return;
    }
    this.referenced.add(n);
    if (!this.castParams.has(param)) this.issues.add('sql_placeholder', `placeholder $${n} is not directly cast`);
  }
}

function nonEmptyList(v: unknown): boolean {
  return Array.isArray(v) && v.length > 0;
}
