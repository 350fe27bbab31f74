import { beforeAll, describe, expect, it } from 'vitest';
import type { ArgDecl, ArgType } from '../../src/data/model.js';
import type { SpecIssue, SpecIssueCode } from '../../src/data/registry/issues.js';
import { checkSql, checkSqlGrammar, loadSqlParser, MAX_SQL_CHARS } from '../../src/data/registry/sql-safety.js';

const arg = (name: string, type: ArgType): ArgDecl => ({ name, type });
const unsafe = (message: string): SpecIssue => ({ path: 'params.sql', code: 'unsafe_sql', message });
const placeholder = (message: string): SpecIssue => ({ path: 'params.sql', code: 'sql_placeholder', message });

const INT_A = [arg('a', 'int')];
const MUST_CAST_INT = placeholder('placeholder $1 must be followed by ::int or ::integer');

/** [sql, declared args, exact issues]: the hostile corpus of data-layer spec §11 and the §2.2 rules around it. */
const HOSTILE: readonly (readonly [string, readonly ArgDecl[], readonly SpecIssue[]])[] = [
  ['SELECT 1; DROP TABLE x', [], [unsafe('forbidden sequence ;'), unsafe('forbidden keyword DROP')]],
  ['SELECT 1 FROM t;', [], [unsafe('forbidden sequence ;')]],
  ['SELECT 1 -- c', [], [unsafe('forbidden sequence --')]],
  ['SELECT /* c */ 1', [], [unsafe('forbidden sequence /*'), unsafe('forbidden sequence */')]],
  ['DELETE FROM t', [], [unsafe('must start with SELECT or WITH, found DELETE'), unsafe('forbidden keyword DELETE')]],
  ['WITH d AS (DELETE FROM t RETURNING *) SELECT * FROM d', [], [unsafe('forbidden keyword DELETE')]],
  ['SELECT * INTO t2 FROM t', [], [unsafe('forbidden keyword INTO')]],
  ['SELECT * FROM t FOR UPDATE', [], [unsafe('forbidden keyword UPDATE')]],
  ['SELECT * FROM t FOR SHARE', [], [unsafe('forbidden keyword SHARE')]],
  ['SELECT pg_sleep(10)', [], [unsafe('forbidden identifier pg_sleep')]],
  ["SELECT pg_read_file('x')", [], [unsafe('forbidden identifier pg_read_file')]],
  ["SELECT query_to_xml('x', true, true, '')", [], [unsafe('forbidden identifier query_to_xml')]],
  ["SELECT query_to_xmlschema('x', true, true, '')", [], [unsafe('forbidden identifier query_to_xmlschema')]],
  [
    "SELECT query_to_xml_and_xmlschema('x', true, true, '')",
    [],
    [unsafe('forbidden identifier query_to_xml_and_xmlschema')],
  ],
  ["SELECT lo_import('/etc/passwd')", [], [unsafe('forbidden identifier lo_import')]],
  ["SELECT * FROM dblink('h', 'q') AS r(x int)", [], [unsafe('forbidden identifier dblink')]],
  [
    "SELECT set_config('a', 'b', false), current_setting('a')",
    [],
    [unsafe('forbidden identifier set_config'), unsafe('forbidden identifier current_setting')],
  ],
  [
    "SELECT nextval('s'), setval('s', 1)",
    [],
    [unsafe('forbidden identifier nextval'), unsafe('forbidden identifier setval')],
  ],
  [
    'SELECT * FROM pg_catalog.pg_roles',
    [],
    [unsafe('forbidden identifier pg_catalog'), unsafe('forbidden identifier pg_roles')],
  ],
  ['COPY t TO STDOUT', [], [unsafe('must start with SELECT or WITH, found COPY'), unsafe('forbidden keyword COPY')]],
  [
    'EXPLAIN ANALYZE SELECT 1',
    [],
    [
      unsafe('must start with SELECT or WITH, found EXPLAIN'),
      unsafe('forbidden keyword EXPLAIN'),
      unsafe('forbidden keyword ANALYZE'),
    ],
  ],
  ['SELECT $$body$$', [], [unsafe('forbidden $ that does not start a placeholder')]],
  ['SELECT $tag$body$tag$', [], [unsafe('forbidden $ that does not start a placeholder')]],
  ["SELECT '${x}'", [], [unsafe('forbidden sequence ${')]],
  ['SELECT {{x}}', [], [unsafe('forbidden sequence {{'), unsafe('forbidden sequence }}')]],
  ["SELECT '%s'", [], [unsafe('forbidden sequence %s')]],
  ['SELECT a %(b) FROM t', [], [unsafe('forbidden sequence %(')]],
  ['SELECT * FROM t WHERE a = :name', [], [unsafe('forbidden named bind :name')]],
  ['SELECT * FROM t WHERE a = :_x', [], [unsafe('forbidden named bind :_x')]],
  ['SELECT * FROM t WHERE a = ?', [], [unsafe('forbidden sequence ?')]],
  ["SELECT E'\\x41'", [], [unsafe('forbidden backslash')]],
  ['SELECT 1\u0000', [], [unsafe('forbidden NUL character')]],
  // UESCAPE would let U&"!0070g_sleep" name pg_sleep without spelling it.
  [`SELECT U&"!0070g_sleep" UESCAPE '!'(1)`, [], [unsafe('forbidden keyword UESCAPE')]],
  ['SELECT $0::int', [], [placeholder('malformed placeholder $0: needs a positive integer without leading zeros')]],
  [
    'SELECT x FROM t WHERE a = $01::int',
    INT_A,
    [
      placeholder('malformed placeholder $01: needs a positive integer without leading zeros'),
      placeholder('arg a is declared but $1 is not used'),
    ],
  ],
  [
    'SELECT x FROM t WHERE b = $2::int',
    [arg('a', 'int'), arg('b', 'int')],
    [placeholder('arg a is declared but $1 is not used')],
  ],
  [
    'SELECT x FROM t WHERE b = $2::int',
    INT_A,
    [
      placeholder('placeholder $2 has no declared arg (1 declared)'),
      placeholder('arg a is declared but $1 is not used'),
    ],
  ],
  ['SELECT x FROM t WHERE a = $1', [], [placeholder('placeholder $1 has no declared arg (0 declared)')]],
  ['SELECT x FROM t WHERE a = $1', INT_A, [MUST_CAST_INT]],
  ['SELECT x FROM t WHERE a = $1::text', INT_A, [MUST_CAST_INT]],
  ['SELECT x FROM t WHERE a = $1::int4', INT_A, [MUST_CAST_INT]],
  ['SELECT x FROM t WHERE a = $1 ::int', INT_A, [MUST_CAST_INT]],
  ['SELECT x FROM t WHERE a = $1:: int', INT_A, [MUST_CAST_INT]],
  ['SELECT x FROM t WHERE a = $1::int', [arg('a', 'text')], [placeholder('placeholder $1 must be followed by ::text')]],
  [
    'SELECT x FROM t WHERE a = $1::date',
    [arg('a', 'number')],
    [placeholder('placeholder $1 must be followed by ::numeric')],
  ],
  [
    'SELECT x FROM t WHERE a = $1::text',
    [arg('a', 'date')],
    [placeholder('placeholder $1 must be followed by ::date')],
  ],
  ['SELECT x FROM t WHERE a = $1::int AND b = $1', INT_A, [MUST_CAST_INT]],
  [
    'SELECT x FROM t WHERE a = $1::int',
    [arg('a', 'int'), arg('b', 'text')],
    [placeholder('arg b is declared but $2 is not used')],
  ],
  ['SELECT x FROM t', INT_A, [placeholder('arg a is declared but $1 is not used')]],
  // Lexically fine, but the grammar check sees no parameter: the placeholder sits inside a literal.
  ["SELECT '$1::text' AS x", [arg('a', 'text')], [placeholder('$1 never occurs as a parameter reference')]],
  ['SELECT "$1::text" FROM t', [arg('a', 'text')], [placeholder('$1 never occurs as a parameter reference')]],
  // The cast word matches, but the grammar shows an array or a type modifier.
  [
    'SELECT x FROM t WHERE a = ANY($1::int[])',
    INT_A,
    [placeholder('placeholder $1 must be cast to exactly ::int or ::integer, found ::pg_catalog.int4[]')],
  ],
  [
    'SELECT x FROM t WHERE a = $1::integer ARRAY',
    INT_A,
    [placeholder('placeholder $1 must be cast to exactly ::int or ::integer, found ::pg_catalog.int4[]')],
  ],
  [
    'SELECT x FROM t WHERE a = $1::numeric(5,2)',
    [arg('a', 'number')],
    [placeholder('placeholder $1 must be cast to exactly ::numeric, found ::pg_catalog.numeric(…)')],
  ],
  [
    'SELECT a$1::int FROM t',
    INT_A,
    [unsafe('forbidden $ that does not start a placeholder'), placeholder('arg a is declared but $1 is not used')],
  ],
  ['', [], [unsafe('must start with SELECT or WITH, found nothing')]],
  ['   \n\t ', [], [unsafe('must start with SELECT or WITH, found nothing')]],
  ['(SELECT 1)', [], [unsafe('must start with SELECT or WITH, found "("')]],
  ['VALUES (1)', [], [unsafe('must start with SELECT or WITH, found VALUES')]],
  ['TABLE t', [], [unsafe('must start with SELECT or WITH, found TABLE')]],
  ['SELECTX 1', [], [unsafe('must start with SELECT or WITH, found SELECTX')]],
  ['SELECT FROM FROM t', [], [unsafe('does not parse: syntax error at or near "FROM" (offset 12)')]],
  [
    'SELECT 1delete',
    [],
    [unsafe('does not parse: trailing junk after numeric literal at or near "1delete" (offset 7)')],
  ],
];

/** Mixed-case and tab/newline-separated variants of the corpus. */
const VARIANTS: readonly (readonly [string, readonly ArgDecl[], readonly SpecIssue[]])[] = [
  ['sElEcT 1\t;\n', [], [unsafe('forbidden sequence ;')]],
  ['SELECT 1\n--c', [], [unsafe('forbidden sequence --')]],
  ['select\t/*\nc*/1', [], [unsafe('forbidden sequence /*'), unsafe('forbidden sequence */')]],
  [
    '\n  Delete\tFROM t',
    [],
    [unsafe('must start with SELECT or WITH, found Delete'), unsafe('forbidden keyword DELETE')],
  ],
  ['WITH d AS (\n\tdElEtE FROM t RETURNING *\n) SELECT * FROM d', [], [unsafe('forbidden keyword DELETE')]],
  ['SeLeCt *\tInTo t2\nFROM t', [], [unsafe('forbidden keyword INTO')]],
  ['SELECT *\nFROM t\nFOR\tUpdate', [], [unsafe('forbidden keyword UPDATE')]],
  ['SELECT * FROM t FOR\nno KEY\tsHaRe', [], [unsafe('forbidden keyword SHARE')]],
  ['select\tPG_SLEEP(10)', [], [unsafe('forbidden identifier PG_SLEEP')]],
  ["Select Pg_Read_File('x')", [], [unsafe('forbidden identifier Pg_Read_File')]],
  ["SELECT\nQuery_To_XML('x', true, true, '')", [], [unsafe('forbidden identifier Query_To_XML')]],
  ['SELECT "pg_sleep"(10)', [], [unsafe('forbidden identifier pg_sleep')]],
  ['cOpY t\tTO\nSTDOUT', [], [unsafe('must start with SELECT or WITH, found cOpY'), unsafe('forbidden keyword COPY')]],
  [
    'Explain\nAnalyze\tSELECT 1',
    [],
    [
      unsafe('must start with SELECT or WITH, found Explain'),
      unsafe('forbidden keyword EXPLAIN'),
      unsafe('forbidden keyword ANALYZE'),
    ],
  ],
  ["SELECT '%S'", [], [unsafe('forbidden sequence %s')]],
  ['SELECT *\tFROM t WHERE a =\n:Name', [], [unsafe('forbidden named bind :Name')]],
  ['SELECT x FROM t WHERE a = $1::TEXT', INT_A, [MUST_CAST_INT]],
  ['SELECT x FROM t WHERE a = $1\n::int', INT_A, [MUST_CAST_INT]],
  ["SELECT 'Delete me'", [], [unsafe('forbidden keyword DELETE')]],
];

describe('checkSql before the parser is loaded', () => {
  it('refuses to run (the grammar check needs the WASM module)', () => {
    expect(() => checkSql('SELECT 1', [])).toThrow('checkSql called before loadSqlParser() completed');
    expect(() => checkSqlGrammar('SELECT 1', [])).toThrow('checkSqlGrammar called before loadSqlParser() completed');
  });
});

describe('checkSql (data-layer spec §2.2)', () => {
  beforeAll(async () => {
    await loadSqlParser();
  });

  it('loads the parser once; repeated calls resolve', async () => {
    await expect(loadSqlParser()).resolves.toBeUndefined();
    await expect(loadSqlParser()).resolves.toBeUndefined();
  });

  it.each(HOSTILE)('rejects %j', (sql, args, expected) => {
    expect(checkSql(sql, args)).toEqual(expected);
  });

  it.each(VARIANTS)('rejects the variant %j', (sql, args, expected) => {
    expect(checkSql(sql, args)).toEqual(expected);
  });

  it('accepts the ts_retention_monthly example of §2.1 with its three args', () => {
    const sql = [
      'SELECT period, month, sector, CASE WHEN base_employees < 15 THEN NULL ELSE retention_percent END AS value,',
      '       base_employees AS base, base_employees < 15 AS suppressed, retained, exited, retention_percent',
      'FROM lmis.mv_sector_retention_monthly',
      'WHERE sector = $1::text AND month BETWEEN $2::date AND $3::date',
      'ORDER BY month',
      '',
    ].join('\n');
    const args: ArgDecl[] = [
      { name: 'sector', type: 'text', default: 'ALL' },
      { name: 'start', type: 'date', default: '1900-01-01' },
      { name: 'end', type: 'date', default: '2999-12-31' },
    ];
    expect(checkSql(sql, args)).toEqual([]);
  });

  it.each([
    ['SELECT x::int FROM t WHERE a = $1::integer', INT_A],
    ['SELECT x FROM t WHERE a = $1::int AND b < $1::INTEGER', INT_A],
    ["SELECT a::text, b::date, 'x'::text AS c FROM t", []],
    ['\n\t  select 1', []],
    ['SELECT 1 UNION ALL SELECT 2', []],
    ['SELECT a[1:2], b[1:3] FROM t', []],
    ['SELECT created_at, updated_by, market_share, into_x, do_not FROM t', []],
    ['SELECT x FROM t WHERE a >= $1::numeric AND d <= $2::date', [arg('a', 'number'), arg('d', 'date')]],
    [
      [
        'WITH latest AS (SELECT sector, max(month) AS month FROM lmis.mv_sector_workforce_monthly GROUP BY sector)',
        'SELECT w.sector, w.employees FROM lmis.mv_sector_workforce_monthly w',
        'JOIN latest l USING (sector, month) WHERE w.sector = $1::text',
      ].join('\n'),
      [arg('sector', 'text')],
    ],
    [
      "SELECT to_char(month, 'YYYY') AS period, EXTRACT(YEAR FROM month)::int AS year, employees AS value\n" +
        'FROM lmis.mv_sector_workforce_monthly WHERE EXTRACT(MONTH FROM month) = 12 AND sector = $1::text',
      [arg('sector', 'text')],
    ],
  ] as const)('accepts %j', (sql, args) => {
    expect(checkSql(sql, args)).toEqual([]);
  });

  it(`accepts ${MAX_SQL_CHARS} characters and rejects one more (counted in code points)`, () => {
    const atLimit = `SELECT 1${' '.repeat(MAX_SQL_CHARS - 8)}`;
    expect(atLimit.length).toBe(20000);
    expect(checkSql(atLimit, [])).toEqual([]);
    expect(checkSql(`${atLimit} `, [])).toEqual([unsafe('longer than 20000 characters (20001)')]);
    // 20000 code points but 20009 UTF-16 units: within the limit.
    const astral = `SELECT '${'😀'.repeat(9)}'${' '.repeat(MAX_SQL_CHARS - 18)}`;
    expect(astral.length).toBe(20009);
    expect(checkSql(astral, [])).toEqual([]);
  });

  it('reports every issue with path params.sql and a §1.4 code', () => {
    const issues = checkSql('DELETE FROM t WHERE a = $1; --', INT_A);
    const codes = new Set<SpecIssueCode>(issues.map((i) => i.code));
    expect(issues.every((i) => i.path === 'params.sql')).toBe(true);
    expect([...codes].sort()).toEqual(['sql_placeholder', 'unsafe_sql']);
    expect(issues).toEqual([
      unsafe('must start with SELECT or WITH, found DELETE'),
      unsafe('forbidden sequence ;'),
      unsafe('forbidden sequence --'),
      MUST_CAST_INT,
      unsafe('forbidden keyword DELETE'),
    ]);
  });
});

describe('checkSqlGrammar (rule 5 on its own, defence in depth)', () => {
  beforeAll(async () => {
    await loadSqlParser();
  });

  it.each([
    ['SELECT 1; SELECT 2', [], [unsafe('expected exactly one statement, found 2')]],
    ['DELETE FROM t', [], [unsafe('top-level statement is DeleteStmt, not a plain SELECT')]],
    ['COPY t TO STDOUT', [], [unsafe('top-level statement is CopyStmt, not a plain SELECT')]],
    ['EXPLAIN ANALYZE SELECT 1', [], [unsafe('top-level statement is ExplainStmt, not a plain SELECT')]],
    ['WITH d AS (DELETE FROM t RETURNING *) SELECT * FROM d', [], [unsafe('data-modifying CTE (DELETE)')]],
    ['WITH i AS (INSERT INTO t VALUES (1) RETURNING *) SELECT * FROM i', [], [unsafe('data-modifying CTE (INSERT)')]],
    [
      'WITH a AS (SELECT 1) SELECT * FROM (WITH u AS (UPDATE t SET x = 1 RETURNING x) SELECT * FROM u) s',
      [],
      [unsafe('data-modifying CTE (UPDATE)')],
    ],
    ['SELECT * INTO t2 FROM t', [], [unsafe('SELECT INTO not allowed')]],
    ['SELECT * FROM t FOR UPDATE', [], [unsafe('locking clause FOR UPDATE not allowed')]],
    ['SELECT * FROM (SELECT * FROM t FOR KEY SHARE) s', [], [unsafe('locking clause FOR KEY SHARE not allowed')]],
    [
      'SELECT $2::int',
      INT_A,
      [unsafe('parameter reference $2: outside $1..$1'), placeholder('$1 never occurs as a parameter reference')],
    ],
    ['SELECT $1::int', [], [unsafe('parameter reference $1: no args declared')]],
    ['SELECT $1', INT_A, [placeholder('placeholder $1 is not directly cast')]],
    [
      'SELECT $1::date',
      [arg('a', 'text')],
      [placeholder('placeholder $1 must be cast to exactly ::text, found ::date')],
    ],
    ['SELEC 1', [], [unsafe('does not parse: syntax error at or near "SELEC" (offset 0)')]],
    ['SELECT 1', [], []],
    ['SELECT $1::int FROM t, LATERAL (SELECT $1::integer) s', INT_A, []],
  ] as const)('%j', (sql, args, expected) => {
    expect(checkSqlGrammar(sql, args)).toEqual(expected);
  });
});
