-- Audit manifests (analysis spec §6). The placeholder table of 0001 never matched the spec and nothing wrote to it,
-- so it is replaced rather than altered. Runs unchanged on PostgreSQL 15/16 and PGlite.

DROP TABLE IF EXISTS public.audit_manifests;

CREATE TABLE public.audit_manifests (
  audit_id uuid PRIMARY KEY,
  request_id text,
  endpoint text NOT NULL,
  intent text,
  registry_version text NOT NULL,
  code_version text NOT NULL,
  created_at timestamptz NOT NULL,
  query_ids text[] NOT NULL,
  answer_digest_sha256 char(64) NOT NULL CHECK (answer_digest_sha256 ~ '^[0-9a-f]{64}$'),
  manifest_digest_sha256 char(64) NOT NULL CHECK (manifest_digest_sha256 ~ '^[0-9a-f]{64}$'),
  hmac_sha256 char(64) CHECK (hmac_sha256 ~ '^[0-9a-f]{64}$'),
  manifest jsonb NOT NULL,
  answer jsonb NOT NULL,
  evidence jsonb NOT NULL
);

CREATE INDEX IF NOT EXISTS audit_manifests_created_at_idx ON public.audit_manifests (created_at);
