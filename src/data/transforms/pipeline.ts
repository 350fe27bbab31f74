import { DataError } from '../errors.js';
import type { Row, TransformName, TransformStep } from '../model.js';
import { validateTransformParams } from './catalogue.js';
import { filterEquals, type FilterEqualsParams } from './filter-equals.js';
import { renameColumns, type RenameColumnsParams } from './rename-columns.js';
import { rollingAvg, type RollingAvgParams } from './rolling-avg.js';
import { selectColumns, type SelectParams } from './select.js';
import { shareOfTotal, type ShareOfTotalParams } from './share-of-total.js';
import { toPercent, type ToPercentParams } from './to-percent.js';
import { topN, type TopNParams } from './top-n.js';
import { yoy, type YoyParams } from './yoy.js';

type Apply = (rows: readonly Row[], params: Record<string, unknown>) => Row[];

// The casts are sound because runPostprocess validates params against the catalogue schema first.
const TRANSFORMS: Readonly<Record<TransformName, Apply>> = {
  select: (rows, p) => selectColumns(rows, p as unknown as SelectParams),
  filter_equals: (rows, p) => filterEquals(rows, p as unknown as FilterEqualsParams),
  rename_columns: (rows, p) => renameColumns(rows, p as unknown as RenameColumnsParams),
  to_percent: (rows, p) => toPercent(rows, p as unknown as ToPercentParams),
  top_n: (rows, p) => topN(rows, p as unknown as TopNParams),
  share_of_total: (rows, p) => shareOfTotal(rows, p as unknown as ShareOfTotalParams),
  yoy: (rows, p) => yoy(rows, p as unknown as YoyParams),
  rolling_avg: (rows, p) => rollingAvg(rows, p as unknown as RollingAvgParams),
};

/**
 * Runs the postprocess steps in list order (data-layer spec §6). Any run-time failure becomes
 * `transform_failed` with message `postprocess[<i>] <name>: <reason>`; with `trace` each executed step adds
 * `transform:<name>` to the warnings. Inputs are never mutated; the returned rows are new maps.
 */
export function runPostprocess(
  steps: readonly TransformStep[],
  rows: readonly Row[],
  trace: boolean,
): { rows: Row[]; warnings: string[] } {
  let current: Row[] = rows.map((row) => new Map(row));
  const warnings: string[] = [];
  steps.forEach((step, i) => {
    const name: string = step.name;
    const fail = (reason: string): never => {
      throw new DataError('transform_failed', `postprocess[${i}] ${name}: ${reason}`);
    };
    // Specs built in code skip the registry's load-time checks, so the schema is enforced here too.
    const issues = validateTransformParams(name, step.params, `postprocess[${i}].params`);
    if (issues.length > 0) fail(issues.map((x) => `${x.path}: ${x.code}: ${x.message}`).join('; '));
    const params = (step.params ?? {}) as Record<string, unknown>;
    try {
      current = TRANSFORMS[step.name](current, params);
    } catch (err) {
      fail(err instanceof Error ? err.message : String(err));
    }
    if (trace) warnings.push(`transform:${name}`);
  });
  return { rows: current, warnings };
}
