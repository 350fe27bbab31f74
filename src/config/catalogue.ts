/**
 * The environment catalogue: every variable QNWIS reads, with its type, default and consumer.
 * docs/deploy/SECURE_ENV_REFERENCE.md and the README are checked against this list by a test.
 */
export type Consumer = 'service' | 'compose' | 'scripts' | 'smoke' | 'image' | 'entrypoint';

export type VarKind =
  | { type: 'string'; pattern?: RegExp }
  | { type: 'int'; min: number; max: number }
  | { type: 'bool' }
  | { type: 'enum'; values: readonly string[] }
  | { type: 'list' }
  | { type: 'url'; schemes: readonly string[] };

export interface VarSpec {
  name: string;
  consumers: readonly Consumer[];
  kind: VarKind;
  /** Documented default as text; undefined = unset. */
  default?: string;
  secret?: boolean;
  requiredInProd?: boolean;
  description: string;
}

export const CATALOGUE: readonly VarSpec[] = [
  {
    name: 'QNWIS_ENV',
    consumers: ['service'],
    kind: { type: 'enum', values: ['dev', 'test', 'staging', 'dr', 'ops', 'prod'] },
    default: 'dev',
    description: 'Deployment environment; `prod` turns on the production guardrails.',
  },
  {
    name: 'QNWIS_QUERIES_DIR',
    consumers: ['service'],
    kind: { type: 'string' },
    default: 'data/queries',
    description: 'Directory of the query spec registry (`*.yaml`, not recursive).',
  },
  {
    name: 'QNWIS_CATALOG_PATH',
    consumers: ['service'],
    kind: { type: 'string' },
    default: 'data/catalog/datasets.yaml',
    description: 'Dataset catalogue used for licence enrichment.',
  },
  {
    name: 'QNWIS_DATA_DIR',
    consumers: ['service', 'entrypoint'],
    kind: { type: 'string' },
    default: 'data/lmis',
    description: 'Data root of the CSV connector; `seed` writes and `ingest` reads the LMIS pack here.',
  },
  {
    name: 'QNWIS_WORLD_BANK_DIR',
    consumers: ['service'],
    kind: { type: 'string' },
    default: 'data/world_bank',
    description: 'Directory of World Bank API v2 JSON snapshots.',
  },
  {
    name: 'QNWIS_WORLD_BANK_ONLINE',
    consumers: ['service'],
    kind: { type: 'bool' },
    default: 'false',
    description: 'Fetch World Bank indicators live (and refresh the snapshots); off means no network I/O.',
  },
  {
    name: 'QNWIS_WORLD_BANK_BASE_URL',
    consumers: ['service'],
    kind: { type: 'url', schemes: ['http:', 'https:'] },
    default: 'https://api.worldbank.org/v2',
    description: 'Base URL of the World Bank API for live fetches.',
  },
  {
    name: 'DATABASE_URL',
    consumers: ['service', 'scripts'],
    kind: {
      type: 'url',
      schemes: ['postgres:', 'postgresql:', 'postgresql+psycopg:', 'postgresql+psycopg2:', 'postgresql+asyncpg:'],
    },
    secret: true,
    requiredInProd: true,
    description: 'Postgres URL of the writer role (migrations, ingest, materialize, keys, audit).',
  },
  {
    name: 'QNWIS_DB_READONLY_URL',
    consumers: ['service'],
    kind: {
      type: 'url',
      schemes: ['postgres:', 'postgresql:', 'postgresql+psycopg:', 'postgresql+psycopg2:', 'postgresql+asyncpg:'],
    },
    secret: true,
    description: 'Postgres URL of the read-only role used by `postgres` query specs; defaults to DATABASE_URL.',
  },
  {
    name: 'REDIS_URL',
    consumers: ['service'],
    kind: { type: 'url', schemes: ['redis:', 'rediss:'] },
    secret: true,
    requiredInProd: true,
    description: 'Redis URL for the shared result cache and rate limits; unset = in-process cache.',
  },
  {
    name: 'QNWIS_DEFAULT_CACHE_TTL_S',
    consumers: ['service'],
    kind: { type: 'int', min: 0, max: 86400 },
    default: '3600',
    description: 'Default result-cache TTL in seconds (0 disables caching).',
  },
  {
    name: 'QNWIS_CACHE_MAX_ENTRIES',
    consumers: ['service'],
    kind: { type: 'int', min: 1, max: 10_000_000 },
    default: '1000',
    description: 'Entry bound of the in-process result cache.',
  },
  {
    name: 'QNWIS_CACHE_MAX_BYTES',
    consumers: ['service'],
    kind: { type: 'int', min: 1024, max: 17_179_869_184 },
    default: '67108864',
    description: 'Byte bound of the in-process result cache (stored strings).',
  },
  {
    name: 'QNWIS_WARM_CACHE',
    consumers: ['service'],
    kind: { type: 'bool' },
    default: 'false',
    description: 'Warm the result cache with QNWIS_WARM_QUERIES after the registry loads.',
  },
  {
    name: 'QNWIS_WARM_QUERIES',
    consumers: ['service'],
    kind: { type: 'list' },
    default: 'syn_employment_latest_total,syn_attrition_hotspots_latest,syn_qatarization_gap_latest',
    description: 'Query ids run by cache warming.',
  },
  {
    name: 'QNWIS_WARM_MAX_WORKERS',
    consumers: ['service'],
    kind: { type: 'int', min: 1, max: 64 },
    default: '4',
    description: 'Concurrent executions during cache warming.',
  },
  {
    name: 'QNWIS_TRANSFORM_TRACE',
    consumers: ['service'],
    kind: { type: 'bool' },
    description: 'When true, every executed postprocess step adds a `transform:<name>` warning.',
  },
];

export function findVar(name: string): VarSpec | undefined {
  return CATALOGUE.find((v) => v.name === name);
}
