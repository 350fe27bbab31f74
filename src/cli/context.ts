import type { DataConfig } from '../config/data-config.js';
import { resolveDataConfig, dataConfigFromProcess } from '../config/data-config.js';
import type { RawEnv } from '../config/resolve.js';
import type { QueryRegistry } from '../data/registry/registry.js';
import type { QueryService } from '../data/query-service.js';
import type { ResultCache } from '../data/cache/result-cache.js';
import { createDataServices, type DataServices } from '../data/data-services.js';

/** What a command may use; everything is created lazily so `seed` never loads the registry. */
export interface CliContext {
  stdout(text: string): void;
  stderr(text: string): void;
  dataConfig(): DataConfig;
  registry(): Promise<QueryRegistry>;
  queryService(): Promise<QueryService>;
  resultCache(): Promise<ResultCache>;
  close(): Promise<void>;
}

/** Where a command writes and which environment it reads; tests pass their own. */
export interface CliIo {
  stdout(text: string): void;
  stderr(text: string): void;
  env?: RawEnv;
}

const PROCESS_IO: CliIo = {
  stdout: (t) => void process.stdout.write(t),
  stderr: (t) => void process.stderr.write(t),
};

export function createCliContext(io: CliIo = PROCESS_IO): CliContext {
  let config: DataConfig | undefined;
  let services: Promise<DataServices> | undefined;
  const dataConfig = (): DataConfig => (config ??= io.env ? resolveDataConfig(io.env) : dataConfigFromProcess());
  const data = (): Promise<DataServices> => (services ??= createDataServices(dataConfig()));
  return {
    stdout: io.stdout,
    stderr: io.stderr,
    dataConfig,
    registry: async () => (await data()).registry,
    queryService: async () => (await data()).queryService,
    resultCache: async () => (await data()).cache,
    close: async () => {
      if (services) await (await services).close();
    },
  };
}
