/** Addresses of the real services used by integration tests (documented in test/README.md). */
export const TEST_REDIS_URL = process.env.QNWIS_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
export const TEST_DATABASE_URL = process.env.QNWIS_TEST_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/test';

/** A Redis URL on a logical database of its own, so parallel test files never see each other's keys. */
export function redisUrlForDb(db: number): string {
  const url = new URL(TEST_REDIS_URL);
  url.pathname = `/${db}`;
  return url.toString();
}
