import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { loadRegistry } from '../src/data/registry/registry.js';
import { createDataServices } from '../src/data/data-services.js';
import { resolveDataConfig } from '../src/config/data-config.js';
import { resolvePackOptions, writePack } from '../src/data/synthetic/pack.js';
import { median, round } from './stats.js';

export interface DataBenchResult {
  /** Median load of the 44 reference specs (the set the reference figure of ~60 ms is for). */
  registry_load_ms: number;
  /** Median load of every shipped spec (reference specs plus the postgres time series). */
  registry_load_all_ms: number;
  registry_specs_all: number;
  uncached_median_ms: number;
  cached_median_ms: number;
  queries: number;
  per_query: { id: string; uncached_ms: number; cached_ms: number }[];
  targets: { registry_load_ms: number; uncached_median_ms: number; cached_median_ms: number };
}

const TARGETS = { registry_load_ms: 30, uncached_median_ms: 0.15, cached_median_ms: 0.02 };

/** In-process figures for the 42 synthetic queries (ids starting with `syn_`). */
export async function benchDataLayer(opts: { packDir: string; rounds: number }): Promise<DataBenchResult> {
  await writePack(opts.packDir, resolvePackOptions({}));
  const config = resolveDataConfig({ QNWIS_DATA_DIR: opts.packDir, QNWIS_DEFAULT_CACHE_TTL_S: '3600' });

  // The 44 reference specs are the csv and world_bank ones; copy them apart to time that set alone.
  const referenceDir = fs.mkdtempSync(path.join(os.tmpdir(), 'qnwis-bench-registry-'));
  const all = await loadRegistry({ dir: config.queriesDir, catalogPath: config.catalogPath });
  for (const spec of all.specs) {
    if (spec.source !== 'postgres')
      fs.copyFileSync(path.join(config.queriesDir, spec.file), path.join(referenceDir, spec.file));
  }
  const timeLoads = async (dir: string): Promise<number> => {
    const loads: number[] = [];
    for (let i = 0; i < 40; i++) {
      const t0 = performance.now();
      await loadRegistry({ dir, catalogPath: config.catalogPath });
      loads.push(performance.now() - t0);
    }
    return round(median(loads), 3);
  };
  const referenceLoadMs = await timeLoads(referenceDir);
  const allLoadMs = await timeLoads(config.queriesDir);
  fs.rmSync(referenceDir, { recursive: true, force: true });

  const services = await createDataServices(config);
  try {
    // The 42 synthetic reference queries; ids added later for the analysis layer are not part of that set.
    const ids = services.registry
      .ids()
      .filter((id) => id.startsWith('syn_') && id !== 'syn_sector_employment_all_years');
    const perQuery: DataBenchResult['per_query'] = [];
    for (const id of ids) {
      const uncached: number[] = [];
      const cached: number[] = [];
      for (let i = 0; i < 20; i++) await services.queryService.run(id, { ttlS: 0 });
      for (let i = 0; i < opts.rounds; i++) {
        const t0 = performance.now();
        await services.queryService.run(id, { ttlS: 0 });
        uncached.push(performance.now() - t0);
      }
      await services.queryService.run(id);
      for (let i = 0; i < 20; i++) await services.queryService.run(id);
      for (let i = 0; i < opts.rounds; i++) {
        const t0 = performance.now();
        await services.queryService.run(id);
        cached.push(performance.now() - t0);
      }
      perQuery.push({ id, uncached_ms: round(median(uncached)), cached_ms: round(median(cached)) });
    }
    return {
      registry_load_ms: referenceLoadMs,
      registry_load_all_ms: allLoadMs,
      registry_specs_all: all.specs.length,
      uncached_median_ms: round(median(perQuery.map((q) => q.uncached_ms))),
      cached_median_ms: round(median(perQuery.map((q) => q.cached_ms))),
      queries: ids.length,
      per_query: perQuery,
      targets: TARGETS,
    };
  } finally {
    await services.close();
  }
}

export function defaultPackDir(): string {
  return path.resolve('var/bench/pack');
}
