/**
 * Derived monthly series as materialized views (data-layer spec §9.7), under the staggered-anniversary rule: person p's
 * year-y record takes effect in month e(p, y) = 1 + ((p + y) mod 12); before that the year-(y−1) record is in force.
 * View DDL is fixed code. Each view carries the SHA-256 of its definition as its comment; a mismatch drops and recreates
 * the view and its dependants. The first refresh of a view is plain, later ones CONCURRENTLY (unique index exists).
 */
import { createHash } from 'node:crypto';
import { withAdvisoryLock } from './advisory-lock.js';
import type { Database, Session } from './database.js';
import { DbError } from './errors.js';

interface ViewDefinition {
  /** Schema-qualified name, as logged in lmis.refresh_log and used as a registry `dataset`. */
  name: string;
  relname: string;
  select: string;
  /** Unique index on the grain (required by REFRESH … CONCURRENTLY). */
  indexName: string;
  grain: readonly string[];
  dependsOn: readonly string[];
}

// S(p, t) takes the current year's record from its anniversary month on (or from January when there is no previous
// record), the previous year's record before it.
const PERSON_MONTH_SQL = `
SELECT h.person_id,
       make_date(h.year, m.month_no, 1) AS month,
       CASE WHEN s.current_record THEN h.company_id ELSE p.company_id END AS company_id,
       CASE WHEN s.current_record THEN h.status ELSE p.status END AS status,
       CASE WHEN s.current_record THEN h.nationality ELSE p.nationality END AS nationality,
       CASE WHEN s.current_record THEN h.monthly_salary ELSE p.monthly_salary END AS monthly_salary
FROM lmis.employment_history h
CROSS JOIN generate_series(1, 12) AS m(month_no)
LEFT JOIN lmis.employment_history p ON p.person_id = h.person_id AND p.year = h.year - 1
CROSS JOIN LATERAL (
  SELECT p.person_id IS NULL OR m.month_no >= 1 + (h.person_id + h.year) % 12 AS current_record
) s`;

// Sector × every pack month, ALL computed over all persons; rates in numeric, null when there is nobody to divide by.
const WORKFORCE_SQL = `
WITH bounds AS (
  SELECT min(year) AS first_year, max(year) AS last_year FROM lmis.employment_history
), months AS (
  SELECT make_date(y, m, 1) AS month
  FROM bounds b
  CROSS JOIN LATERAL generate_series(b.first_year, b.last_year) AS y
  CROSS JOIN generate_series(1, 12) AS m
), sectors AS (
  SELECT DISTINCT sector FROM lmis.companies
  UNION
  SELECT 'ALL'
), counts AS (
  SELECT pm.month,
         CASE WHEN grouping(c.sector) = 1 THEN 'ALL' ELSE c.sector END AS sector,
         count(*) AS employees,
         count(*) FILTER (WHERE pm.nationality = 'Qatari') AS qataris,
         sum(pm.monthly_salary) AS salary_total
  FROM lmis.mv_person_month pm
  JOIN lmis.companies c ON c.company_id = pm.company_id
  WHERE pm.status = 'employed'
  GROUP BY GROUPING SETS ((pm.month, c.sector), (pm.month))
)
SELECT s.sector,
       mo.month,
       to_char(mo.month, 'YYYY-MM') AS period,
       coalesce(k.employees, 0)::int AS employees,
       coalesce(k.qataris, 0)::int AS qataris,
       CASE WHEN k.employees > 0 THEN round(100 * k.qataris::numeric / k.employees, 2) END AS qatarization_percent,
       CASE WHEN k.employees > 0 THEN round(k.salary_total::numeric / k.employees, 2) END AS avg_salary_qr
FROM sectors s
CROSS JOIN months mo
LEFT JOIN counts k ON k.sector = s.sector AND k.month = mo.month`;

// Base B = persons active twelve months before t in the sector (by their company then); retained = active at t with the
// same company; exited = no active state at t (the attrition numerator).
const RETENTION_SQL = `
WITH bounds AS (
  SELECT min(year) AS first_year, max(year) AS last_year FROM lmis.employment_history
), months AS (
  SELECT make_date(y, m, 1) AS month
  FROM bounds b
  CROSS JOIN LATERAL generate_series(b.first_year + 1, b.last_year) AS y
  CROSS JOIN generate_series(1, 12) AS m
), sectors AS (
  SELECT DISTINCT sector FROM lmis.companies
  UNION
  SELECT 'ALL'
), counts AS (
  SELECT (b.month + interval '12 months')::date AS month,
         CASE WHEN grouping(c.sector) = 1 THEN 'ALL' ELSE c.sector END AS sector,
         count(*) AS base_employees,
         count(*) FILTER (WHERE n.status = 'employed' AND n.company_id = b.company_id) AS retained,
         count(*) FILTER (WHERE n.status IS DISTINCT FROM 'employed') AS exited
  FROM lmis.mv_person_month b
  JOIN lmis.companies c ON c.company_id = b.company_id
  LEFT JOIN lmis.mv_person_month n
    ON n.person_id = b.person_id AND n.month = (b.month + interval '12 months')::date
  WHERE b.status = 'employed'
    AND b.month < (SELECT make_date(last_year, 1, 1) FROM bounds)
  GROUP BY GROUPING SETS ((b.month, c.sector), (b.month))
)
SELECT s.sector,
       mo.month,
       to_char(mo.month, 'YYYY-MM') AS period,
       coalesce(k.base_employees, 0)::int AS base_employees,
       coalesce(k.retained, 0)::int AS retained,
       coalesce(k.exited, 0)::int AS exited,
       CASE WHEN k.base_employees > 0 THEN round(100 * k.retained::numeric / k.base_employees, 2) END
         AS retention_percent,
       CASE WHEN k.base_employees > 0 THEN round(100 * k.exited::numeric / k.base_employees, 2) END
         AS attrition_percent
FROM sectors s
CROSS JOIN months mo
LEFT JOIN counts k ON k.sector = s.sector AND k.month = mo.month`;

/** The views in dependency order. */
export const VIEW_DEFINITIONS: readonly ViewDefinition[] = [
  {
    name: 'lmis.mv_person_month',
    relname: 'mv_person_month',
    select: PERSON_MONTH_SQL,
    indexName: 'mv_person_month_grain',
    grain: ['person_id', 'month'],
    dependsOn: [],
  },
  {
    name: 'lmis.mv_sector_workforce_monthly',
    relname: 'mv_sector_workforce_monthly',
    select: WORKFORCE_SQL,
    indexName: 'mv_sector_workforce_monthly_grain',
    grain: ['sector', 'month'],
    dependsOn: ['lmis.mv_person_month'],
  },
  {
    name: 'lmis.mv_sector_retention_monthly',
    relname: 'mv_sector_retention_monthly',
    select: RETENTION_SQL,
    indexName: 'mv_sector_retention_monthly_grain',
    grain: ['sector', 'month'],
    dependsOn: ['lmis.mv_person_month'],
  },
];

export const VIEW_NAMES: readonly string[] = VIEW_DEFINITIONS.map((v) => v.name);

export interface MaterializeOptions {
  /** Refresh only this view (`mv_…` or `lmis.mv_…`), plus whatever it needs and whatever had to be recreated. */
  view?: string;
  /** Drop and recreate the selected views (and their dependants) before refreshing. */
  recreate?: boolean;
}

export interface MaterializedView {
  view: string;
  rows: number;
  /** ISO-8601 UTC. */
  refreshed_at: string;
  mode: 'plain' | 'concurrent';
}

function createStatement(def: ViewDefinition): string {
  return `CREATE MATERIALIZED VIEW IF NOT EXISTS ${def.name} AS${def.select}\nWITH NO DATA`;
}

function indexStatement(def: ViewDefinition): string {
  return `CREATE UNIQUE INDEX IF NOT EXISTS ${def.indexName} ON ${def.name} (${def.grain.join(', ')})`;
}

/** SHA-256 of everything that defines the view: its query and its grain index. */
export function definitionSha256(def: ViewDefinition): string {
  return createHash('sha256')
    .update(createStatement(def) + '\n' + indexStatement(def))
    .digest('hex');
}

const COMMENT_PREFIX = 'qnwis definition sha256:';
/** First 8 bytes of SHA-256("qnwis:materialize") as a signed int8: concurrent runs queue instead of racing on DDL. */
const MATERIALIZE_LOCK_KEY = '7679628996028982153';
const MATERIALIZE_LOCK_TIMEOUT_MS = 600_000;

interface ViewState {
  exists: boolean;
  populated: boolean;
  sha256: string | null;
}

async function viewState(db: Session, def: ViewDefinition): Promise<ViewState> {
  const { rows } = await db.query<{ populated: boolean; comment: string | null }>(
    `SELECT c.relispopulated AS populated, obj_description(c.oid, 'pg_class') AS comment
     FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = 'lmis' AND c.relname = $1 AND c.relkind = 'm'`,
    [def.relname],
  );
  const row = rows[0];
  if (row === undefined) return { exists: false, populated: false, sha256: null };
  const sha256 = row.comment?.startsWith(COMMENT_PREFIX) ? row.comment.slice(COMMENT_PREFIX.length) : null;
  return { exists: true, populated: row.populated, sha256 };
}

function resolveView(name: string): ViewDefinition {
  const qualified = name.includes('.') ? name : `lmis.${name}`;
  const def = VIEW_DEFINITIONS.find((v) => v.name === qualified);
  if (def === undefined) {
    throw new DbError('unknown_view', `unknown view "${name}"; expected one of ${VIEW_NAMES.join(', ')}`);
  }
  return def;
}

/** The view itself and everything it depends on, transitively. */
function withPrerequisites(def: ViewDefinition): Set<string> {
  const out = new Set<string>([def.name]);
  for (const dep of def.dependsOn) for (const n of withPrerequisites(resolveView(dep))) out.add(n);
  return out;
}

function dependantsOf(name: string): string[] {
  return VIEW_DEFINITIONS.filter((v) => v.dependsOn.includes(name)).flatMap((v) => [v.name, ...dependantsOf(v.name)]);
}

/**
 * Creates (when missing or outdated) and refreshes the views in dependency order, logging each refresh in
 * lmis.refresh_log. With `view`, only that view is refreshed, plus prerequisites that are not populated yet and
 * dependants that had to be recreated.
 */
export async function materializeViews(db: Database, options: MaterializeOptions = {}): Promise<MaterializedView[]> {
  const target = options.view === undefined ? null : resolveView(options.view);
  return db.session((s) =>
    withAdvisoryLock(
      s,
      {
        key: MATERIALIZE_LOCK_KEY,
        timeoutMs: MATERIALIZE_LOCK_TIMEOUT_MS,
        timeoutError: () =>
          new DbError(
            'lock_timeout',
            `another materialize run held the view lock for more than ${MATERIALIZE_LOCK_TIMEOUT_MS / 1000} s`,
          ),
      },
      () => materializeLocked(s, target, options.recreate === true),
    ),
  );
}

async function materializeLocked(
  db: Session,
  target: ViewDefinition | null,
  recreate: boolean,
): Promise<MaterializedView[]> {
  const selected = new Set(target === null ? VIEW_NAMES : [target.name]);
  const prerequisites = target === null ? new Set<string>() : withPrerequisites(target);
  const mustRefresh = new Set<string>(selected);
  const results: MaterializedView[] = [];
  for (const def of VIEW_DEFINITIONS) {
    if (!selected.has(def.name) && !prerequisites.has(def.name) && !mustRefresh.has(def.name)) continue;
    const sha256 = definitionSha256(def);
    let state = await viewState(db, def);
    const outdated = state.exists && state.sha256 !== sha256;
    if (state.exists && (outdated || (recreate && selected.has(def.name)))) {
      // CASCADE also drops the dependants; they are recreated and refreshed when the loop reaches them.
      await db.exec(`DROP MATERIALIZED VIEW ${def.name} CASCADE`);
      for (const dependant of dependantsOf(def.name)) mustRefresh.add(dependant);
      state = { exists: false, populated: false, sha256: null };
    }
    if (!state.exists) {
      await db.transaction(async (tx) => {
        await tx.exec(createStatement(def));
        await tx.exec(indexStatement(def));
        await tx.exec(`COMMENT ON MATERIALIZED VIEW ${def.name} IS '${COMMENT_PREFIX}${sha256}'`);
      });
      mustRefresh.add(def.name);
    }
    // A prerequisite that is already populated is left as it is.
    if (!mustRefresh.has(def.name) && state.populated) continue;
    results.push(await refreshView(db, def, sha256, state.populated));
  }
  return results;
}

async function refreshView(
  db: Session,
  def: ViewDefinition,
  sha256: string,
  populated: boolean,
): Promise<MaterializedView> {
  const mode = populated ? 'concurrent' : 'plain';
  return db.transaction(async (tx) => {
    // A refresh can outlast the pool's statement timeout; this applies to this transaction only. (A larger work_mem
    // was measured slower on both backends, PGlite by 2x, so the server default stays.)
    await tx.query("SELECT set_config('statement_timeout', '0', true)");
    await tx.exec(`REFRESH MATERIALIZED VIEW ${populated ? 'CONCURRENTLY ' : ''}${def.name}`, { operation: 'refresh' });
    // Fresh statistics for the views that read this one.
    await tx.exec(`ANALYZE ${def.name}`);
    const { rows } = await tx.query<{ n: number }>(`SELECT count(*) AS n FROM ${def.name}`);
    const rowCount = rows[0]?.n ?? 0;
    const logged = await tx.query<{ refreshed_at: Date }>(
      'INSERT INTO lmis.refresh_log (view, refreshed_at, row_count, definition_sha256) VALUES ($1, clock_timestamp(), $2, $3) ' +
        'RETURNING refreshed_at',
      [def.name, rowCount, sha256],
    );
    const refreshedAt = logged.rows[0]?.refreshed_at ?? new Date();
    return { view: def.name, rows: rowCount, refreshed_at: refreshedAt.toISOString(), mode };
  });
}
