/**
 * The one data fact the router uses (analysis spec §2.1): the latest data year, the last period of
 * ts_employment_annual. Read once at start-up and passed to the router's constructor.
 */
import type { DataClient } from '../model.js';

export const LATEST_YEAR_QUERY = 'ts_employment_annual';

/** The largest "YYYY" period of ts_employment_annual; throws when the series has none. */
export async function readLatestDataYear(client: DataClient): Promise<number> {
  const result = await client.run(LATEST_YEAR_QUERY);
  let latest: number | null = null;
  for (const row of result.rows) {
    const period = row.get('period');
    const m = typeof period === 'string' ? /^([0-9]{4})$/.exec(period) : null;
    const year = m ? Number(m[1]) : typeof period === 'number' && Number.isInteger(period) ? period : null;
    if (year !== null && (latest === null || year > latest)) latest = year;
  }
  if (latest === null) throw new Error(`${LATEST_YEAR_QUERY} has no annual period to take the latest data year from`);
  return latest;
}
