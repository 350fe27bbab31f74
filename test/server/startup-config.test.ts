import { describe, expect, it } from 'vitest';
import { startServer } from '../support/server-process.js';

describe('start-up configuration checks', () => {
  it('refuses to start in prod without DATABASE_URL and REDIS_URL, one clear line each, exit 78', async () => {
    const s = await startServer({ QNWIS_ENV: 'prod' }, { waitReady: false });
    const exit = await s.exited;
    expect(exit.code).toBe(78);
    const lines = s.output().split('\n');
    expect(lines).toContain('config error: DATABASE_URL: is required in prod');
    expect(lines).toContain('config error: REDIS_URL: is required in prod');
    expect(s.output()).not.toMatch(/\n\s+at /);
  });

  it('refuses an invalid value with exit 78', async () => {
    const s = await startServer({ PORT: 'eighty' }, { waitReady: false });
    expect((await s.exited).code).toBe(78);
    expect(s.output()).toMatch(/config error: PORT: /);
  });
});
