import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DataClient, QueryResult } from '../../../src/analysis/model.js';
import { LATEST_YEAR_QUERY, readLatestDataYear } from '../../../src/analysis/router/latest-year.js';
import { openPackData, type PackData } from '../../support/analysis-data.js';

function fakeClient(periods: unknown[]): DataClient & { asked: string[] } {
  const asked: string[] = [];
  return {
    asked,
    has: () => true,
    run: (id: string) => {
      asked.push(id);
      const rows = periods.map(
        (p) =>
          new Map<string, unknown>([
            ['period', p],
            ['sector', 'ALL'],
          ]),
      );
      return Promise.resolve({ rows } as unknown as QueryResult);
    },
  };
}

describe('latest data year (§2.1)', () => {
  it('is the largest annual period of ts_employment_annual', async () => {
    const client = fakeClient(['2017', '2024', '2019', null, '2020-05', 2021]);
    expect(await readLatestDataYear(client)).toBe(2024);
    expect(client.asked).toEqual([LATEST_YEAR_QUERY]);
  });

  it('a series without an annual period is an error, not a guess', async () => {
    await expect(readLatestDataYear(fakeClient([null, 'x']))).rejects.toThrow(
      'ts_employment_annual has no annual period to take the latest data year from',
    );
  });

  describe('on the seed-42 pack', () => {
    let pack: PackData;
    beforeAll(async () => {
      pack = await openPackData();
    });
    afterAll(async () => {
      await pack.close();
    });

    it('is 2024', async () => {
      expect(await readLatestDataYear(pack.client())).toBe(2024);
    });
  });
});
