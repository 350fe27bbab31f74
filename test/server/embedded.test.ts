import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type ServerProcess } from '../support/server-process.js';
import { sharedPackDatabase } from '../support/shared-postgres.js';
import { createDataServices } from '../../src/data/data-services.js';
import { resolveDataConfig } from '../../src/config/data-config.js';
import { createPostgresRunner } from '../../src/data/connectors/postgres.js';
import { openPostgres } from '../../src/db/database.js';
import { rowToPlainObject } from '../../src/data/result-json.js';
import { TEST_PACK_DIR } from '../support/pack.js';

let server: ServerProcess;
let dataDir: string;

beforeAll(async () => {
  // An empty data directory: the first start seeds the pack, loads it into PGlite and materializes the views.
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'qnwis-embedded-data-'));
  fs.rmSync(dataDir, { recursive: true });
  server = await startServer({ QNWIS_DATA_DIR: dataDir }, { waitReady: false });
  await server.waitReady(240_000);
}, 300_000);

afterAll(async () => {
  await server?.stop();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

async function runOnServer(id: string, overrides: Record<string, unknown>): Promise<unknown[]> {
  const res = await fetch(`${server.url}/api/v1/queries/${id}/run`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ override_params: overrides }),
  });
  expect(res.status).toBe(200);
  return ((await res.json()) as { rows: unknown[] }).rows;
}

describe('embedded default: no DATABASE_URL, no REDIS_URL', () => {
  it('seeded the pack, is ready, and logs where the database lives', async () => {
    expect(fs.existsSync(path.join(dataDir, 'employment_history.csv'))).toBe(true);
    expect(fs.existsSync(path.join(server.stateDir, 'pglite'))).toBe(true);
    expect((await fetch(`${server.url}/health/ready`)).status).toBe(200);
    expect(server.output()).toContain('"msg":"worker ready"');
  });

  it('answers postgres-source queries with the same rows as PostgreSQL', async () => {
    const db = await openPostgres(await sharedPackDatabase(), {
      min: 0,
      max: 2,
      acquireTimeoutS: 10,
      statementTimeoutMs: 60_000,
      applicationName: 'qnwis-test',
    });
    const onPostgres = await createDataServices(resolveDataConfig({ QNWIS_DATA_DIR: TEST_PACK_DIR }), {
      postgres: createPostgresRunner(db),
    });
    try {
      for (const [id, overrides] of [
        ['ts_retention_monthly', { sector: 'Hospitality', start: '2024-01-01', end: '2024-12-31' }],
        ['ts_qatarization_annual', { sector: 'ICT' }],
        ['ts_avg_salary_monthly', { sector: 'Finance', start: '2022-07-01', end: '2022-07-31' }],
        ['lmis_company_retention_latest', { sector: 'Energy' }],
      ] as const) {
        const expected = (await onPostgres.queryService.run(id, { overrides, mode: 'json', ttlS: 0 })).rows.map(
          rowToPlainObject,
        );
        expect(expected.length).toBeGreaterThan(0);
        expect(await runOnServer(id, overrides)).toEqual(expected);
      }
      const finance = await runOnServer('ts_avg_salary_monthly', {
        sector: 'Finance',
        start: '2022-07-01',
        end: '2022-07-31',
      });
      expect(finance).toMatchObject([{ period: '2022-07', employees: 1240, avg_salary_qr: 26531.08 }]);
    } finally {
      await onPostgres.close();
      await db.close();
    }
  });

  it('answers CSV queries from the seeded pack', async () => {
    expect(await runOnServer('syn_gcc_unemployment_rank', {})).toEqual([
      { country: 'QAT', year: 2024, value: 0.27 },
      { country: 'ARE', year: 2024, value: 2.4 },
      { country: 'BHR', year: 2024, value: 2.46 },
      { country: 'KWT', year: 2024, value: 2.61 },
      { country: 'OMN', year: 2024, value: 3.59 },
      { country: 'SAU', year: 2024, value: 4.49 },
    ]);
  });

  it('refuses a second user of the embedded database while it serves', async () => {
    const { runCli } = await import('../../src/cli/run.js');
    let stderr = '';
    const code = await runCli(['migrate', '--status'], {
      stdout: () => undefined,
      stderr: (t) => void (stderr += t),
      env: { QNWIS_STATE_DIR: server.stateDir, QNWIS_ENV: 'test' },
    });
    expect(code).toBe(1);
    expect(stderr).toMatch(/stop the server first/);
  });
});
