import { performance } from 'node:perf_hooks';
import type { PostgresParams, QueryResult, QuerySpec, SourceResult, StoredResult } from './model.js';
import { DataError, isDataError } from './errors.js';
import { HistogramTallies } from './metric-children.js';
import type { QueryRegistry, RegistrySnapshot } from './registry/registry.js';
import { applyOverrides, type EffectiveQuery, type OverrideMode } from './overrides.js';
import { runCsvQuery, type CsvContext } from './connectors/csv.js';
import { runWorldBankQuery, type WorldBankContext } from './connectors/world-bank.js';
import { runPostprocess } from './transforms/pipeline.js';
import { normalizeRows } from './normalize-keys.js';
import { unitWarnings } from './verify/unit.js';
import { checkSumToOne } from './verify/sum-to-one.js';
import { freshnessWarnings } from './verify/freshness.js';
import { enrichLicense } from './license/catalog.js';
import { cacheKey, queryHash } from './cache/key.js';
import { resolveTtl, type ResolvedTtl } from './cache/ttl.js';
import type { CacheOutcome, ResultCache } from './cache/result-cache.js';
import type { DataMetrics } from './metrics.js';

/** Executes a registry `postgres` spec with bound values (implemented over src/db). */
export interface PostgresRunner {
  run(params: PostgresParams, values: readonly (string | number)[]): Promise<SourceResult>;
}

export interface QueryServiceOptions {
  registry: QueryRegistry;
  cache: ResultCache;
  csv: CsvContext;
  worldBank: WorldBankContext;
  postgres?: PostgresRunner;
  defaultCacheTtlS: number;
  transformTrace: boolean;
  metrics?: DataMetrics;
  /** Injectable UTC clock for freshness checks. */
  now?: () => Date;
  /** Observers for the service-level metrics (cache lookups, executions), which the data layer does not own. */
  observe?: QueryObserver;
}

export interface QueryObserver {
  cache(outcome: 'hit' | 'miss' | 'bypass'): void;
  execution(queryId: string, status: 'ok' | 'error' | 'timeout'): void;
}

interface RunPlan {
  spec: QuerySpec;
  effective: EffectiveQuery;
  ttl: ResolvedTtl;
  key: string;
}

export interface RunOptions {
  overrides?: Readonly<Record<string, unknown>>;
  /** `text` for CLI strings, `json` for typed HTTP bodies. */
  mode?: OverrideMode;
  /** Request TTL in seconds (0 bypasses the cache). */
  ttlS?: unknown;
}

/** The query path of data-layer spec §8.1: resolve, cache, connector, postprocess, checks, licence, freshness. */
export class QueryService {
  private readonly opts: QueryServiceOptions;
  private readonly plainKeys = new WeakMap<QuerySpec, { version: string; key: string }>();
  private readonly durations: HistogramTallies<'query_id' | 'source' | 'cache'> | undefined;

  constructor(opts: QueryServiceOptions) {
    this.opts = opts;
    this.durations = opts.metrics && new HistogramTallies(opts.metrics.queryDuration, ['query_id', 'source', 'cache']);
  }

  get registry(): QueryRegistry {
    return this.opts.registry;
  }

  /**
   * The answer of `run` when it is a hit of the in-process cache, without a promise; undefined otherwise (then call
   * `run`, which also reports every error).
   */
  runCachedNow(id: string, options: RunOptions = {}): QueryResult | undefined {
    const started = performance.now();
    let plan: RunPlan;
    try {
      plan = this.plan(id, options);
    } catch {
      return undefined;
    }
    const stored = this.opts.cache.hitNow(plan.key, plan.spec.id, plan.ttl);
    if (stored === undefined) return undefined;
    return this.answer(plan.spec, stored, 'hit', null, null, started);
  }

  async run(id: string, options: RunOptions = {}): Promise<QueryResult> {
    const started = performance.now();
    const snapshot = this.opts.registry.snapshot();
    const spec = snapshot.byId.get(id);
    if (!spec) throw new DataError('unknown_query', `unknown query id ${JSON.stringify(id.slice(0, 128))}`);
    const metrics = this.opts.metrics;
    try {
      const { effective, ttl, key } = this.plan(id, options, snapshot, spec);
      let sourceMs: number | null = null;
      let postprocessMs: number | null = null;
      const { result, cache } = await this.opts.cache.getOrCompute(key, spec.id, ttl, async () => {
        const t0 = performance.now();
        const source = await this.fetchSource(effective);
        const t1 = performance.now();
        const stored = this.finish(effective, source, snapshot);
        sourceMs = t1 - t0;
        postprocessMs = performance.now() - t1;
        return stored;
      });
      return this.answer(spec, result, cache, sourceMs, postprocessMs, started);
    } catch (err) {
      const code = isDataError(err) ? err.code : 'internal_error';
      metrics?.queryErrors.inc({ query_id: spec.id, code });
      this.opts.observe?.execution(spec.id, code === 'timeout' ? 'timeout' : 'error');
      throw err;
    }
  }

  /** Spec, effective parameters, TTL and cache key of one call; throws the DataErrors of bad ids and overrides. */
  private plan(
    id: string,
    options: RunOptions,
    snapshot: RegistrySnapshot = this.opts.registry.snapshot(),
    known?: QuerySpec,
  ): RunPlan {
    const spec = known ?? snapshot.byId.get(id);
    if (!spec) throw new DataError('unknown_query', `unknown query id ${JSON.stringify(id.slice(0, 128))}`);
    const effective = applyOverrides(spec, options.overrides, options.mode ?? 'json');
    const ttl = resolveTtl(options.ttlS, spec.constraints.cache_ttl_s, this.opts.defaultCacheTtlS);
    return { spec, effective, ttl, key: this.keyOf(snapshot.version, effective, options.overrides) };
  }

  /** The stored result with this call's freshness warnings and timings; records the call's metrics. */
  private answer(
    spec: QuerySpec,
    result: StoredResult,
    cache: CacheOutcome,
    sourceMs: number | null,
    postprocessMs: number | null,
    started: number,
  ): QueryResult {
    const freshness = freshnessWarnings(
      spec.constraints.freshness_sla_days,
      result.freshness.asof_date,
      this.opts.now ? this.opts.now() : new Date(),
    );
    const totalMs = performance.now() - started;
    this.durations?.get(spec.id, spec.source, cache).observe(totalMs / 1000);
    this.opts.observe?.cache(cache);
    this.opts.observe?.execution(spec.id, 'ok');
    // Listed, not spread: one object shape for every answer.
    return {
      query_id: result.query_id,
      unit: result.unit,
      rows: result.rows,
      row_count: result.row_count,
      provenance: result.provenance,
      freshness: result.freshness,
      warnings: freshness.length > 0 ? [...result.warnings, ...freshness] : result.warnings,
      registry_version: result.registry_version,
      timings: {
        total_ms: round3(totalMs),
        source_ms: cache === 'hit' || sourceMs === null ? null : round3(sourceMs),
        postprocess_ms: cache === 'hit' || postprocessMs === null ? null : round3(postprocessMs),
        cache,
      },
    };
  }

  /** The cache key of §10.1; memoised per spec (and registry version) for the common case of no overrides. */
  private keyOf(version: string, q: EffectiveQuery, overrides: RunOptions['overrides']): string {
    const plain = overrides === undefined || Object.keys(overrides).length === 0;
    if (plain) {
      const known = this.plainKeys.get(q.spec);
      if (known !== undefined && known.version === version) return known.key;
    }
    const h = queryHash({ id: q.spec.id, source: q.spec.source, params: q.keyParams, postprocess: q.spec.postprocess });
    const key = cacheKey(version, q.spec.id, h);
    if (plain) this.plainKeys.set(q.spec, { version, key });
    return key;
  }

  private async fetchSource(q: EffectiveQuery): Promise<SourceResult> {
    switch (q.spec.source) {
      case 'csv':
        return runCsvQuery(q.params as EffectiveQuery['params'] & { pattern: string }, this.opts.csv);
      case 'world_bank':
        return runWorldBankQuery(q.params as EffectiveQuery['params'] & { indicator: string }, this.opts.worldBank);
      case 'postgres': {
        if (!this.opts.postgres) {
          throw new DataError('source_unavailable', 'no database is configured for postgres queries');
        }
        const values = (q as Extract<EffectiveQuery, { values: unknown }>).values;
        return this.opts.postgres.run(q.params as PostgresParams, values);
      }
    }
  }

  /** Steps after the connector; the returned value is what the cache stores. */
  private finish(q: EffectiveQuery, source: SourceResult, snapshot: RegistrySnapshot): StoredResult {
    const spec = q.spec;
    const processed = runPostprocess(spec.postprocess, source.rows, this.opts.transformTrace);
    const rows = normalizeRows(processed.rows);
    const warnings = [
      ...source.warnings,
      ...processed.warnings,
      ...unitWarnings(spec.expected_unit, spec.expected_unit),
    ];
    if (spec.constraints.sum_to_one === true) warnings.push(...checkSumToOne(rows));
    return {
      query_id: spec.id,
      unit: spec.expected_unit,
      rows,
      row_count: rows.length,
      provenance: enrichLicense(source.provenance, snapshot.catalog),
      freshness: source.freshness,
      warnings,
      registry_version: snapshot.version,
    };
  }
}

function round3(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}
