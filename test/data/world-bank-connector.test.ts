import { createHash } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import {
  WorldBankFormatError,
  isFixtureSnapshot,
  parseWorldBankSnapshot,
  parseWorldBankSnapshotText,
  runWorldBankQuery,
  serializeWorldBankSnapshot,
  type WorldBankContext,
  type WorldBankObservation,
  type WorldBankSnapshot,
  type WorldBankSnapshotStore,
} from '../../src/data/connectors/world-bank.js';
import { DataError } from '../../src/data/errors.js';
import type { Scalar, SourceResult, WorldBankParams } from '../../src/data/model.js';

const SHIPPED_DIR = fileURLToPath(new URL('../../data/world_bank/', import.meta.url));
const SHIPPED = ['SL.UEM.TOTL.ZS', 'SL.TLF.CACT.ZS', 'SL.TLF.CACT.FE.ZS', 'SL.EMP.TOTL.SP.ZS'];
const GCC = ['QAT', 'SAU', 'ARE', 'KWT', 'BHR', 'OMN'];
const IND = 'SL.UEM.TOTL.ZS';

const dirs: string[] = [];
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'qnwis-wb-'));
  dirs.push(dir);
  return dir;
}

function obs(iso3: string, date: string, value: number | null, indicator = IND): WorldBankObservation {
  return {
    indicator: { id: indicator, value: 'Unemployment, total (% of total labor force)' },
    country: { id: iso3.slice(0, 2), value: `Country ${iso3}` },
    countryiso3code: iso3,
    date,
    value,
    unit: '',
    obs_status: '',
    decimal: 1,
  };
}

function snapshot(observations: WorldBankObservation[], meta: Partial<WorldBankSnapshot[0]> = {}): WorldBankSnapshot {
  return [
    {
      page: 1,
      pages: 1,
      per_page: observations.length,
      total: observations.length,
      sourceid: '2',
      sourcename: 'World Development Indicators',
      lastupdated: '2025-07-01',
      ...meta,
    },
    observations,
  ];
}

function writeSnapshot(dir: string, indicator: string, snap: WorldBankSnapshot): string {
  const file = path.join(dir, `${indicator}.json`);
  fs.writeFileSync(file, serializeWorldBankSnapshot(snap));
  return file;
}

function rowsOf(result: SourceResult): Record<string, Scalar>[] {
  return result.rows.map((row) => Object.fromEntries(row));
}

/** A fetch that fails the test if called: offline runs must do no network I/O. */
const noFetch: typeof fetch = () => {
  throw new Error('network I/O in offline mode');
};

function offline(snapshotDir: string, extra: Partial<WorldBankContext> = {}): WorldBankContext {
  return { snapshotDir, online: false, baseUrl: 'http://127.0.0.1:9/v2', fetch: noFetch, ...extra };
}

async function failure(params: WorldBankParams, ctx: WorldBankContext): Promise<DataError> {
  try {
    await runWorldBankQuery(params, ctx);
  } catch (err) {
    expect(err).toBeInstanceOf(DataError);
    return err as DataError;
  }
  throw new Error('expected the World Bank query to fail');
}

describe('shipped snapshots', () => {
  it.each(SHIPPED)('%s is a fixture in API v2 format for the six GCC countries, 2010–2024', (indicator) => {
    const text = fs.readFileSync(path.join(SHIPPED_DIR, `${indicator}.json`), 'utf8');
    const snap = parseWorldBankSnapshotText(text);
    // Written with 2-space indent and a final newline.
    expect(serializeWorldBankSnapshot(snap)).toBe(text);
    const [meta, observations] = snap;
    expect(meta).toStrictEqual({
      page: 1,
      pages: 1,
      per_page: 90,
      total: 90,
      sourceid: '2',
      sourcename: 'fixture: World Development Indicators (values approximate, not downloaded)',
      lastupdated: '2025-07-01',
    });
    expect(isFixtureSnapshot(snap)).toBe(true);
    expect(observations.length).toBe(90);
    const keys = new Set(observations.map((o) => `${o.countryiso3code}:${o.date}`));
    expect(keys.size).toBe(90);
    for (const country of GCC) for (let y = 2010; y <= 2024; y++) expect(keys.has(`${country}:${y}`)).toBe(true);
    const iso2: Record<string, string> = { QAT: 'QA', SAU: 'SA', ARE: 'AE', KWT: 'KW', BHR: 'BH', OMN: 'OM' };
    for (const o of observations) {
      expect(o.indicator.id).toBe(indicator);
      expect(o.country.id).toBe(iso2[o.countryiso3code]);
      expect([o.unit, o.obs_status, o.decimal]).toStrictEqual(['', '', 1]);
      expect(Object.keys(o)).toStrictEqual([
        'indicator',
        'country',
        'countryiso3code',
        'date',
        'value',
        'unit',
        'obs_status',
        'decimal',
      ]);
    }
  });

  it('serves the unemployment fixture with the default countries, ordered and marked', async () => {
    const result = await runWorldBankQuery({ indicator: IND }, offline(SHIPPED_DIR));
    const rows = rowsOf(result);
    expect(rows.length).toBe(90);
    expect(rows[0]).toStrictEqual({ country: 'QAT', year: 2010, value: 0.442 });
    expect(rows[14]).toStrictEqual({ country: 'QAT', year: 2024, value: 0.125 });
    expect(rows[15]).toStrictEqual({ country: 'SAU', year: 2010, value: 5.711 });
    expect(rows[89]).toStrictEqual({ country: 'OMN', year: 2024, value: 1.961 });
    expect(rows.map((r) => r.country).filter((c, i, a) => a.indexOf(c) === i)).toStrictEqual(GCC);
    expect(result.provenance).toStrictEqual({
      source: 'world_bank',
      dataset_id: IND,
      locator: `fixture:indicator=${IND}`,
      fields: ['country', 'year', 'value'],
      license: 'MIT-SYNTHETIC',
    });
    expect(result.freshness).toStrictEqual({ asof_date: '2025-07-01', updated_at: null });
    expect(result.warnings).toStrictEqual(['world_bank_fixture_data']);
  });

  it('filters the shipped snapshots by year and range, skipping null values', async () => {
    const ctx = offline(SHIPPED_DIR);
    const latest = await runWorldBankQuery({ indicator: IND, year: 2024, countries: ['ARE', 'QAT'] }, ctx);
    expect(rowsOf(latest)).toStrictEqual([
      { country: 'ARE', year: 2024, value: 2.176 },
      { country: 'QAT', year: 2024, value: 0.125 },
    ]);
    const emp = await runWorldBankQuery({ indicator: 'SL.EMP.TOTL.SP.ZS', start_year: 2023 }, ctx);
    expect(rowsOf(emp).map((r) => `${r.country as string}${r.year as number}`)).toStrictEqual(
      GCC.map((c) => `${c}2023`),
    );
    const none = await failure({ indicator: 'SL.EMP.TOTL.SP.ZS', year: 2024 }, ctx);
    expect(none.code).toBe('no_rows_matched');
    for (const indicator of SHIPPED.slice(1)) {
      const r = await runWorldBankQuery({ indicator, year: 2015 }, ctx);
      expect(r.rows.length).toBe(6);
      expect(r.warnings).toStrictEqual(['world_bank_fixture_data']);
    }
  });
});

describe('parseWorldBankSnapshot', () => {
  it('accepts API pages, converting numeric text and a null observation list', () => {
    const [meta, list] = parseWorldBankSnapshot([
      { page: '1', pages: '0', per_page: '1000', total: 0, sourceid: '2', lastupdated: '2025-07-01', extra: true },
      null,
    ]);
    expect(meta).toStrictEqual({
      page: 1,
      pages: 0,
      per_page: 1000,
      total: 0,
      sourceid: '2',
      lastupdated: '2025-07-01',
      extra: true,
    });
    expect(list).toStrictEqual([]);
  });

  it('rejects API errors and malformed shapes', () => {
    const bad: [unknown, string][] = [
      [
        [{ message: [{ id: '120', key: 'Invalid value', value: 'The provided parameter value is not valid' }] }],
        'API error: 120 Invalid value The provided parameter value is not valid',
      ],
      [{}, 'not a JSON array'],
      [[1, 2, 3], 'expected a two-element array [metadata, observations]'],
      [[{ page: 1, pages: 1, per_page: 1 }, []], 'metadata.total is not a non-negative integer'],
      [[{ page: 1, pages: 1, per_page: 1, total: 1, sourcename: 5 }, []], 'metadata.sourcename is not a string'],
      [[{ page: 1, pages: 1, per_page: 1, total: 1 }, {}], 'observations are not an array'],
      [
        [{ page: 1, pages: 1, per_page: 1, total: 1 }, [{ ...obs('QAT', '2020', 1), value: '1.5' }]],
        'observation 0.value is neither a number nor null',
      ],
      [
        [{ page: 1, pages: 1, per_page: 1, total: 1 }, [{ ...obs('QAT', '2020', 1), country: 'QA' }]],
        'observation 0.country is not {id, value} text',
      ],
      [
        [{ page: 1, pages: 1, per_page: 1, total: 1 }, [{ ...obs('QAT', '2020', 1), date: 2020 }]],
        'observation 0.date is not a string',
      ],
    ];
    for (const [value, message] of bad) {
      expect(() => parseWorldBankSnapshot(value)).toThrow(WorldBankFormatError);
      expect(() => parseWorldBankSnapshot(value)).toThrow(message);
    }
    expect(() => parseWorldBankSnapshotText('[{')).toThrow('not valid JSON');
  });
});

describe('runWorldBankQuery offline rules', () => {
  const MIXED = [
    obs('SAU', '2021', 5.1),
    obs('QAT', '2022', 0.2),
    obs('qat', '2020', 0.3),
    obs('SAU', '2019', 5.9),
    obs('QAT', '2021Q1', 0.1),
    obs('QAT', '2021M01', 0.1),
    obs('QAT', '2021', null),
    obs('KWT', '2020', 2.2),
    obs('KWT', '20201', 2.2),
    obs('OMN', '2022', 3.1),
  ];

  it('orders by position in countries, then year, and reports missing countries and non-annual dates', async () => {
    const dir = tempDir();
    writeSnapshot(dir, IND, snapshot(MIXED));
    const result = await runWorldBankQuery({ indicator: IND, countries: ['sau', 'QAT', 'BHR', 'KWT'] }, offline(dir));
    expect(rowsOf(result)).toStrictEqual([
      { country: 'SAU', year: 2019, value: 5.9 },
      { country: 'SAU', year: 2021, value: 5.1 },
      { country: 'QAT', year: 2020, value: 0.3 },
      { country: 'QAT', year: 2022, value: 0.2 },
      { country: 'KWT', year: 2020, value: 2.2 },
    ]);
    expect(result.warnings).toStrictEqual(['world_bank_country_missing:BHR', 'world_bank_non_annual_skipped:3']);
    expect(result.provenance.locator).toBe(`indicator=${IND}`);
    expect(result.provenance.license).toBe('World Bank Open Data (CC BY 4.0)');
    expect(result.freshness).toStrictEqual({ asof_date: '2025-07-01', updated_at: null });
  });

  it('applies year and start/end filters inclusively', async () => {
    const dir = tempDir();
    writeSnapshot(dir, IND, snapshot(MIXED));
    const ctx = offline(dir);
    const years = async (params: Partial<WorldBankParams>) =>
      rowsOf(await runWorldBankQuery({ indicator: IND, countries: ['SAU', 'QAT'], ...params }, ctx)).map(
        (r) => `${r.country as string}${r.year as number}`,
      );
    expect(await years({ year: 2021 })).toStrictEqual(['SAU2021']);
    expect(await years({ start_year: 2020, end_year: 2021 })).toStrictEqual(['SAU2021', 'QAT2020']);
    expect(await years({ start_year: 2021 })).toStrictEqual(['SAU2021', 'QAT2022']);
    expect(await years({ end_year: 2019 })).toStrictEqual(['SAU2019']);
    const none = await failure({ indicator: IND, countries: ['SAU'], year: 2030 }, ctx);
    expect(none.code).toBe('no_rows_matched');
    expect(none.message).toBe(`no World Bank observations matched indicator ${IND} for SAU with year 2030`);
  });

  it('limits rows with a warning only when more rows exist, warnings in vocabulary order', async () => {
    const dir = tempDir();
    writeSnapshot(dir, IND, snapshot(MIXED, { sourcename: 'fixture: test data' }));
    const ctx = offline(dir);
    const cut = await runWorldBankQuery({ indicator: IND, countries: ['QAT', 'SAU', 'ARE'], max_rows: 3 }, ctx);
    expect(rowsOf(cut)).toStrictEqual([
      { country: 'QAT', year: 2020, value: 0.3 },
      { country: 'QAT', year: 2022, value: 0.2 },
      { country: 'SAU', year: 2019, value: 5.9 },
    ]);
    expect(cut.warnings).toStrictEqual([
      'row_limit_reached:3',
      'world_bank_country_missing:ARE',
      'world_bank_non_annual_skipped:2',
      'world_bank_fixture_data',
    ]);
    expect(cut.provenance.locator).toBe(`fixture:indicator=${IND}`);
    const exact = await runWorldBankQuery({ indicator: IND, countries: ['QAT', 'SAU'], max_rows: 4 }, ctx);
    expect(exact.rows.length).toBe(4);
    expect(exact.warnings).toStrictEqual(['world_bank_non_annual_skipped:2', 'world_bank_fixture_data']);
  });

  it('uses the default GCC countries', async () => {
    const dir = tempDir();
    writeSnapshot(dir, IND, snapshot(MIXED));
    const result = await runWorldBankQuery({ indicator: IND }, offline(dir));
    expect(rowsOf(result).map((r) => r.country)).toStrictEqual(['QAT', 'QAT', 'SAU', 'SAU', 'KWT', 'OMN']);
    expect(result.warnings).toStrictEqual([
      'world_bank_country_missing:ARE',
      'world_bank_country_missing:BHR',
      'world_bank_non_annual_skipped:3',
    ]);
  });

  it('fails with source_error when an observation carries another indicator', async () => {
    const dir = tempDir();
    writeSnapshot(dir, IND, snapshot([obs('QAT', '2020', 1), obs('ZZZ', '2020', 1, 'SL.OTHER')]));
    const err = await failure({ indicator: IND, countries: ['QAT'] }, offline(dir));
    expect(err.code).toBe('source_error');
    expect(err.message).toBe(`World Bank snapshot for ${IND} holds another indicator`);
  });

  it('derives as-of from lastupdated or the max year, and updated_at from fetched_at', async () => {
    const dir = tempDir();
    const ctx = offline(dir);
    const data = [obs('QAT', '2019', 1), obs('QAT', '2023', 2), obs('QAT', '2024', null)];
    const freshness = async (meta: Partial<WorldBankSnapshot[0]>, params: Partial<WorldBankParams> = {}) => {
      writeSnapshot(dir, IND, snapshot(data, meta));
      return (await runWorldBankQuery({ indicator: IND, countries: ['QAT'], ...params }, ctx)).freshness;
    };
    expect(await freshness({ lastupdated: '2025-02-30' })).toStrictEqual({ asof_date: '2023-12-31', updated_at: null });
    expect(await freshness({ lastupdated: 'July 2025' }, { end_year: 2020 })).toStrictEqual({
      asof_date: '2019-12-31',
      updated_at: null,
    });
    expect(await freshness({ lastupdated: undefined, fetched_at: '2025-07-02T10:00:00Z' })).toStrictEqual({
      asof_date: '2023-12-31',
      updated_at: '2025-07-02T10:00:00Z',
    });
    expect(await freshness({ fetched_at: '2025-07-02 10:00' })).toStrictEqual({
      asof_date: '2025-07-01',
      updated_at: null,
    });
  });

  it('fails with source_not_found when no snapshot is stored, and source_error on a corrupt file', async () => {
    const dir = tempDir();
    const missing = await failure({ indicator: 'SL.NONE.ZS' }, offline(dir));
    expect(missing.code).toBe('source_not_found');
    expect(missing.message).toBe('world_bank_snapshot_missing:SL.NONE.ZS');
    fs.writeFileSync(path.join(dir, `${IND}.json`), '[{"message": [{"id": "120", "key": "x", "value": "y"}]}]');
    const corrupt = await failure({ indicator: IND }, offline(dir));
    expect(corrupt.code).toBe('source_error');
    expect(corrupt.message).toBe(`World Bank snapshot file for ${IND} is invalid: API error: 120 x y`);
    expect(corrupt.message).not.toContain(dir);
  });

  it('chooses between file and table by lastupdated, a tie going to the file', async () => {
    const dir = tempDir();
    const fileSnap = snapshot([obs('QAT', '2020', 1)], { lastupdated: '2025-07-01' });
    const store = (snap: WorldBankSnapshot | null): WorldBankSnapshotStore & { reads: string[] } => {
      const reads: string[] = [];
      return {
        reads,
        read: async (indicator) => {
          reads.push(indicator);
          return snap;
        },
        write: async () => {
          throw new Error('no writes offline');
        },
      };
    };
    const value = async (s: WorldBankSnapshotStore) =>
      rowsOf(await runWorldBankQuery({ indicator: IND, countries: ['QAT'] }, offline(dir, { store: s })))[0]?.value;

    const onlyStore = store(snapshot([obs('QAT', '2020', 5)]));
    expect(await value(onlyStore)).toBe(5);
    expect(onlyStore.reads).toStrictEqual([IND]);
    writeSnapshot(dir, IND, fileSnap);
    expect(await value(store(snapshot([obs('QAT', '2020', 2)], { lastupdated: '2025-07-02' })))).toBe(2);
    expect(await value(store(snapshot([obs('QAT', '2020', 3)], { lastupdated: '2025-07-01' })))).toBe(1);
    expect(await value(store(snapshot([obs('QAT', '2020', 4)], { lastupdated: '2025-06-30' })))).toBe(1);
    expect(await value(store(null))).toBe(1);
    const broken: WorldBankSnapshotStore = {
      read: async () => {
        throw new Error('connection refused');
      },
      write: async () => undefined,
    };
    const err = await failure({ indicator: IND }, offline(dir, { store: broken }));
    expect(err.code).toBe('source_unavailable');
  });

  it('rejects an indicator id that is not safe as a file name', async () => {
    const err = await failure({ indicator: '../etc' }, offline(tempDir()));
    expect(err.code).toBe('source_error');
  });
});

type Reply = { status: number; body: unknown } | 'destroy' | 'hang';

/** A local API stand-in: answers requests in order from `replies` and records each request URL. */
async function apiServer(replies: Reply[]): Promise<{ baseUrl: string; urls: string[] }> {
  const urls: string[] = [];
  const server = http.createServer((req, res) => {
    urls.push(req.url ?? '');
    const reply = replies.shift() ?? { status: 500, body: 'no reply scripted' };
    if (reply === 'destroy') {
      req.socket.destroy();
      return;
    }
    if (reply === 'hang') return;
    res.writeHead(reply.status, { 'content-type': 'application/json' });
    res.end(typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  closers.push(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  const { port } = server.address() as AddressInfo;
  return { baseUrl: `http://127.0.0.1:${port}/v2/`, urls };
}

function page(p: number, pages: number, total: number, observations: WorldBankObservation[]): unknown {
  return [
    {
      page: p,
      pages,
      per_page: 2,
      total,
      sourceid: '2',
      sourcename: 'World Development Indicators',
      lastupdated: '2025-07-01',
    },
    observations,
  ];
}

function online(snapshotDir: string, baseUrl: string, extra: Partial<WorldBankContext> = {}) {
  const sleeps: number[] = [];
  const ctx: WorldBankContext = {
    snapshotDir,
    online: true,
    baseUrl,
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    clock: () => new Date('2025-08-01T12:34:56.789Z'),
    ...extra,
  };
  return { ctx, sleeps };
}

describe('runWorldBankQuery live fetch', () => {
  it('merges all pages for the union of countries and writes the snapshot atomically', async () => {
    const dir = tempDir();
    writeSnapshot(dir, IND, snapshot([obs('BHR', '2019', 1.1), obs('QAT', '2019', 0.1)]));
    const p1 = [obs('QAT', '2023', 0.13), obs('QAT', '2022', 0.14)];
    const p2 = [obs('BHR', '2023', 1.3)];
    const api = await apiServer([
      { status: 200, body: page(1, 2, 3, p1) },
      { status: 200, body: page(2, 2, 3, p2) },
    ]);
    const written: { indicator: string; snapshot: WorldBankSnapshot; sha256: string }[] = [];
    const store: WorldBankSnapshotStore = {
      read: async () => null,
      write: async (indicator, snap, sha256) => {
        written.push({ indicator, snapshot: snap, sha256 });
      },
    };
    const { ctx, sleeps } = online(path.join(dir), api.baseUrl, { store });
    const result = await runWorldBankQuery({ indicator: IND, countries: ['QAT'] }, ctx);

    expect(api.urls).toStrictEqual([
      `/v2/country/QAT;BHR/indicator/${IND}?format=json&per_page=1000&page=1`,
      `/v2/country/QAT;BHR/indicator/${IND}?format=json&per_page=1000&page=2`,
    ]);
    expect(sleeps).toStrictEqual([]);
    expect(rowsOf(result)).toStrictEqual([
      { country: 'QAT', year: 2022, value: 0.14 },
      { country: 'QAT', year: 2023, value: 0.13 },
    ]);
    expect(result.warnings).toStrictEqual([]);
    expect(result.provenance.locator).toBe(`indicator=${IND}`);
    expect(result.freshness).toStrictEqual({ asof_date: '2025-07-01', updated_at: '2025-08-01T12:34:56Z' });

    const text = fs.readFileSync(path.join(dir, `${IND}.json`), 'utf8');
    const expected: WorldBankSnapshot = [
      {
        page: 1,
        pages: 1,
        per_page: 3,
        total: 3,
        sourceid: '2',
        sourcename: 'World Development Indicators',
        lastupdated: '2025-07-01',
        fetched_at: '2025-08-01T12:34:56Z',
      },
      [...p1, ...p2],
    ];
    expect(text).toBe(`${JSON.stringify(expected, null, 2)}\n`);
    expect(fs.readdirSync(dir)).toStrictEqual([`${IND}.json`]);
    expect(written).toStrictEqual([
      { indicator: IND, snapshot: expected, sha256: createHash('sha256').update(text).digest('hex') },
    ]);
  });

  it('creates the snapshot directory and file when nothing is stored', async () => {
    const dir = path.join(tempDir(), 'world_bank');
    const api = await apiServer([{ status: 200, body: page(1, 1, 1, [obs('QAT', '2023', 0.13)]) }]);
    const { ctx } = online(dir, api.baseUrl);
    const result = await runWorldBankQuery({ indicator: IND, countries: ['QAT', 'SAU'] }, ctx);
    expect(api.urls).toStrictEqual([`/v2/country/QAT;SAU/indicator/${IND}?format=json&per_page=1000&page=1`]);
    expect(rowsOf(result)).toStrictEqual([{ country: 'QAT', year: 2023, value: 0.13 }]);
    expect(result.warnings).toStrictEqual(['world_bank_country_missing:SAU']);
    const stored = parseWorldBankSnapshotText(fs.readFileSync(path.join(dir, `${IND}.json`), 'utf8'));
    expect(stored[0].fetched_at).toBe('2025-08-01T12:34:56Z');
    // The written snapshot now serves offline runs.
    const again = await runWorldBankQuery({ indicator: IND, countries: ['QAT'] }, offline(dir));
    expect(again.freshness.updated_at).toBe('2025-08-01T12:34:56Z');
  });

  it('retries a 500 after 1 s and succeeds', async () => {
    const dir = tempDir();
    const api = await apiServer([
      { status: 500, body: 'oops' },
      { status: 200, body: page(1, 1, 1, [obs('QAT', '2023', 0.13)]) },
    ]);
    const { ctx, sleeps } = online(dir, api.baseUrl);
    const result = await runWorldBankQuery({ indicator: IND, countries: ['QAT'] }, ctx);
    expect(api.urls.length).toBe(2);
    expect(sleeps).toStrictEqual([1000]);
    expect(rowsOf(result)).toStrictEqual([{ country: 'QAT', year: 2023, value: 0.13 }]);
    expect(result.warnings).toStrictEqual([]);
  });

  it('retries 429 and network errors with 1 s then 2 s back-off', async () => {
    const dir = tempDir();
    const api = await apiServer([
      { status: 429, body: 'slow down' },
      'destroy',
      { status: 200, body: page(1, 1, 1, [obs('QAT', '2023', 0.13)]) },
    ]);
    const { ctx, sleeps } = online(dir, api.baseUrl);
    const result = await runWorldBankQuery({ indicator: IND, countries: ['QAT'] }, ctx);
    expect(api.urls.length).toBe(3);
    expect(sleeps).toStrictEqual([1000, 2000]);
    expect(result.rows.length).toBe(1);
  });

  it('falls back to the stored snapshot with a warning after three failed attempts', async () => {
    const dir = tempDir();
    const file = writeSnapshot(dir, IND, snapshot([obs('QAT', '2019', 0.1)], { sourcename: 'fixture: stored' }));
    const before = fs.readFileSync(file, 'utf8');
    const api = await apiServer([
      { status: 503, body: '' },
      { status: 502, body: '' },
      { status: 500, body: '' },
    ]);
    const { ctx, sleeps } = online(dir, api.baseUrl);
    const result = await runWorldBankQuery({ indicator: IND, countries: ['QAT'] }, ctx);
    expect(api.urls.length).toBe(3);
    expect(sleeps).toStrictEqual([1000, 2000]);
    expect(rowsOf(result)).toStrictEqual([{ country: 'QAT', year: 2019, value: 0.1 }]);
    expect(result.warnings).toStrictEqual(['world_bank_live_fetch_failed', 'world_bank_fixture_data']);
    expect(fs.readFileSync(file, 'utf8')).toBe(before);
    expect(fs.readdirSync(dir)).toStrictEqual([`${IND}.json`]);
  });

  it('does not retry a 404 and falls back', async () => {
    const dir = tempDir();
    writeSnapshot(dir, IND, snapshot([obs('QAT', '2019', 0.1)]));
    const api = await apiServer([{ status: 404, body: 'not found' }]);
    const { ctx, sleeps } = online(dir, api.baseUrl);
    const result = await runWorldBankQuery({ indicator: IND, countries: ['QAT'] }, ctx);
    expect(api.urls.length).toBe(1);
    expect(sleeps).toStrictEqual([]);
    expect(result.warnings).toStrictEqual(['world_bank_live_fetch_failed']);
  });

  it('treats an API error body, a foreign indicator or a timeout as a failed fetch', async () => {
    const dir = tempDir();
    writeSnapshot(dir, IND, snapshot([obs('QAT', '2019', 0.1)]));
    const apiError = await apiServer([{ status: 200, body: [{ message: [{ id: '120', key: 'k', value: 'v' }] }] }]);
    const r1 = await runWorldBankQuery({ indicator: IND, countries: ['QAT'] }, online(dir, apiError.baseUrl).ctx);
    expect(r1.warnings).toStrictEqual(['world_bank_live_fetch_failed']);
    expect(apiError.urls.length).toBe(1);

    const foreign = await apiServer([{ status: 200, body: page(1, 1, 1, [obs('QAT', '2023', 9, 'NY.GDP')]) }]);
    const r2 = await runWorldBankQuery({ indicator: IND, countries: ['QAT'] }, online(dir, foreign.baseUrl).ctx);
    expect(r2.warnings).toStrictEqual(['world_bank_live_fetch_failed']);
    expect(rowsOf(r2)).toStrictEqual([{ country: 'QAT', year: 2019, value: 0.1 }]);

    const slow = await apiServer(['hang', 'hang', 'hang']);
    const { ctx, sleeps } = online(dir, slow.baseUrl);
    const r3 = await runWorldBankQuery({ indicator: IND, countries: ['QAT'], timeout_s: 0.05 }, ctx);
    expect(slow.urls.length).toBe(3);
    expect(sleeps).toStrictEqual([1000, 2000]);
    expect(r3.warnings).toStrictEqual(['world_bank_live_fetch_failed']);
  });

  it('fails with source_unavailable when the fetch fails and nothing is stored', async () => {
    const dir = tempDir();
    const api = await apiServer([{ status: 400, body: 'bad request' }]);
    const err = await failure({ indicator: IND }, online(dir, api.baseUrl).ctx);
    expect(err.code).toBe('source_unavailable');
    expect(err.message).toBe(`World Bank live fetch for ${IND} failed (HTTP 400) and no snapshot is stored`);
    expect(fs.readdirSync(dir)).toStrictEqual([]);
  });

  it('does no network I/O when offline', async () => {
    const dir = tempDir();
    writeSnapshot(dir, IND, snapshot([obs('QAT', '2019', 0.1)]));
    const api = await apiServer([]);
    const result = await runWorldBankQuery(
      { indicator: IND, countries: ['QAT'] },
      { snapshotDir: dir, online: false, baseUrl: api.baseUrl },
    );
    expect(result.rows.length).toBe(1);
    expect(api.urls).toStrictEqual([]);
  });
});
