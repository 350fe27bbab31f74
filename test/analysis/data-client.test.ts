import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPackData, type PackData } from '../support/analysis-data.js';

describe('DataClient over the seed-42 pack', () => {
  let pack: PackData;
  beforeAll(async () => {
    pack = await openPackData();
  });
  afterAll(async () => {
    await pack.close();
  });

  it('answers registered ids only and reads the ts_* views and the CSV aggregates', async () => {
    const client = pack.client();
    expect(client.has('ts_employment_annual')).toBe(true);
    expect(client.has('LMIS_RETENTION_TS')).toBe(false);
    const ts = await client.run('ts_employment_annual');
    const all = ts.rows.filter((r) => r.get('sector') === 'ALL').map((r) => r.get('period'));
    expect(all).toEqual(['2017', '2018', '2019', '2020', '2021', '2022', '2023', '2024']);
    const q = await client.run('syn_qatarization_by_sector_latest');
    expect(q.rows).toHaveLength(10);
    expect(await client.run('ts_employment_annual')).toBe(ts);
  });

  it('rejects an unknown id with the data layer error', async () => {
    await expect(pack.client().run('no_such_query')).rejects.toMatchObject({ code: 'unknown_query' });
  });
});
