import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { QueryRegistry } from '../../src/data/registry/registry.js';
import { MANDATORY_QUERY_IDS, missingMandatoryQueries } from '../../src/analysis/mandatory-queries.js';
import { REPO_CATALOG, REPO_QUERIES_DIR } from '../support/pack.js';
import { startServer } from '../support/server-process.js';

describe('mandatory query ids (analysis spec §1.1)', () => {
  it('the shipped registry holds every mandatory id', async () => {
    const registry = await QueryRegistry.open({ dir: REPO_QUERIES_DIR, catalogPath: REPO_CATALOG });
    expect(MANDATORY_QUERY_IDS).toHaveLength(17);
    expect(missingMandatoryQueries(registry)).toEqual([]);
  });

  it('the service refuses to start without one and names what is missing', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'qnwis-queries-'));
    try {
      for (const f of fs.readdirSync(REPO_QUERIES_DIR)) {
        const text = fs.readFileSync(path.join(REPO_QUERIES_DIR, f), 'utf8');
        if (/^id:\s*(wb_gcc_unemployment|ts_retention_annual)\s*$/m.test(text)) continue;
        fs.writeFileSync(path.join(dir, f), text);
      }
      const server = await startServer({ QNWIS_QUERIES_DIR: dir }, { waitReady: false });
      const exit = await server.exited;
      expect(exit.code).toBe(78);
      expect(server.output()).toContain(
        'qnwis: mandatory queries are not registered: ts_retention_annual, wb_gcc_unemployment',
      );
      await server.stop();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
