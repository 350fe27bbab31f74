-- QNWIS initial schema (service spec §8.3, data-layer spec §5.2.2 and §9.6).
-- Runs unchanged on PostgreSQL 15/16 and PGlite: no extensions, IF NOT EXISTS wherever PostgreSQL allows it.

CREATE SCHEMA IF NOT EXISTS lmis;

-- LMIS micro data (data-layer §9.6; every column NOT NULL)
CREATE TABLE IF NOT EXISTS lmis.companies (
  company_id int PRIMARY KEY,
  company_name text NOT NULL,
  sector text NOT NULL,
  size_band text NOT NULL,
  founded_year int NOT NULL
);

CREATE TABLE IF NOT EXISTS lmis.employment_history (
  person_id int NOT NULL,
  year int NOT NULL,
  company_id int NOT NULL REFERENCES lmis.companies (company_id),
  gender text NOT NULL,
  nationality text NOT NULL,
  education_level text NOT NULL,
  monthly_salary int NOT NULL,
  status text NOT NULL CHECK (status IN ('employed', 'exited')),
  PRIMARY KEY (person_id, year)
);

CREATE INDEX IF NOT EXISTS employment_history_company_idx ON lmis.employment_history (company_id);

-- Aggregate files of the synthetic pack, one table per file (integers int, the float columns double precision)
CREATE TABLE IF NOT EXISTS lmis.employment_share_by_gender (
  year int PRIMARY KEY,
  male_percent double precision NOT NULL,
  female_percent double precision NOT NULL,
  total_percent double precision NOT NULL
);

CREATE TABLE IF NOT EXISTS lmis.unemployment_gcc_latest (
  country text NOT NULL,
  year int NOT NULL,
  value double precision NOT NULL,
  PRIMARY KEY (country, year)
);

CREATE TABLE IF NOT EXISTS lmis.qatarization_by_sector (
  year int NOT NULL,
  sector text NOT NULL,
  qataris int NOT NULL,
  non_qataris int NOT NULL,
  qatarization_percent double precision NOT NULL,
  PRIMARY KEY (year, sector)
);

CREATE TABLE IF NOT EXISTS lmis.avg_salary_by_sector (
  year int NOT NULL,
  sector text NOT NULL,
  avg_salary_qr int NOT NULL,
  PRIMARY KEY (year, sector)
);

CREATE TABLE IF NOT EXISTS lmis.attrition_by_sector (
  year int NOT NULL,
  sector text NOT NULL,
  attrition_percent double precision NOT NULL,
  PRIMARY KEY (year, sector)
);

CREATE TABLE IF NOT EXISTS lmis.company_size_distribution (
  year int NOT NULL,
  size_band text NOT NULL,
  companies int NOT NULL,
  PRIMARY KEY (year, size_band)
);

CREATE TABLE IF NOT EXISTS lmis.sector_employment_by_year (
  year int NOT NULL,
  sector text NOT NULL,
  employees int NOT NULL,
  PRIMARY KEY (year, sector)
);

CREATE TABLE IF NOT EXISTS lmis.ewi_employment_drop (
  year int NOT NULL,
  sector text NOT NULL,
  drop_percent double precision NOT NULL,
  PRIMARY KEY (year, sector)
);

-- Load and refresh bookkeeping
CREATE TABLE IF NOT EXISTS lmis.ingest_log (
  id bigserial PRIMARY KEY,
  dataset text NOT NULL,
  file_sha256 text NOT NULL,
  row_count int NOT NULL,
  ingested_at timestamptz NOT NULL
);

CREATE INDEX IF NOT EXISTS ingest_log_dataset_idx ON lmis.ingest_log (dataset, id);

CREATE TABLE IF NOT EXISTS lmis.refresh_log (
  view text NOT NULL,
  refreshed_at timestamptz NOT NULL,
  row_count bigint NOT NULL,
  definition_sha256 text NOT NULL
);

CREATE INDEX IF NOT EXISTS refresh_log_view_idx ON lmis.refresh_log (view, refreshed_at);

-- Stored World Bank indicator snapshots (data-layer §5.2.2); last_updated is null when the payload's date is invalid
CREATE TABLE IF NOT EXISTS lmis.world_bank_snapshots (
  indicator text PRIMARY KEY,
  payload jsonb NOT NULL,
  last_updated date,
  fetched_at timestamptz NOT NULL,
  payload_sha256 text NOT NULL
);

-- API keys (service §2.2): hash = hex HMAC-SHA256(pepper, full key); the plaintext is never stored
CREATE TABLE IF NOT EXISTS public.api_keys (
  key_id text PRIMARY KEY CHECK (key_id ~ '^[0-9a-f]{12}$'),
  label text NOT NULL,
  roles text[] NOT NULL,
  hash text NOT NULL,
  pepper_fp text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz,
  revoked_at timestamptz,
  last_used_at timestamptz
);

-- Browser sessions (service §2.4): sid_sha256 = hex SHA-256 of the cookie's sid
CREATE TABLE IF NOT EXISTS public.sessions (
  sid_sha256 text PRIMARY KEY,
  key_id text NOT NULL REFERENCES public.api_keys (key_id) ON DELETE CASCADE,
  created_at timestamptz NOT NULL DEFAULT now(),
  last_seen_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL,
  revoked_at timestamptz
);

CREATE INDEX IF NOT EXISTS sessions_key_id_idx ON public.sessions (key_id);

-- Audit events (service §3.9); CLI events have no request, anonymous security events no principal
CREATE TABLE IF NOT EXISTS public.audit_events (
  id bigserial PRIMARY KEY,
  ts timestamptz NOT NULL DEFAULT now(),
  request_id text,
  principal_hash text,
  principal_kind text,
  action text NOT NULL,
  resource text,
  status int,
  client_ip_hash text,
  details jsonb NOT NULL DEFAULT '{}'::jsonb
);

CREATE INDEX IF NOT EXISTS audit_events_ts_idx ON public.audit_events (ts);
CREATE INDEX IF NOT EXISTS audit_events_principal_ts_idx ON public.audit_events (principal_hash, ts);

-- Audit pack index served by GET /api/v1/audit/{id}
CREATE TABLE IF NOT EXISTS public.audit_manifests (
  audit_id uuid PRIMARY KEY,
  created_at timestamptz NOT NULL DEFAULT now(),
  request_id text,
  digest text NOT NULL,
  hmac text NOT NULL,
  manifest jsonb NOT NULL,
  answer jsonb NOT NULL
);

CREATE INDEX IF NOT EXISTS audit_manifests_created_at_idx ON public.audit_manifests (created_at);
