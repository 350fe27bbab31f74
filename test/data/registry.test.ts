import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadRegistry, QueryRegistry, RegistryLoadError } from '../../src/data/registry/registry.js';
import { registryChecksum } from '../../src/data/registry/checksum.js';
import { DataError } from '../../src/data/errors.js';
import { checkCsvPattern } from '../../src/data/connectors/csv-pattern.js';
import { REPO_CATALOG, REPO_QUERIES_DIR } from '../support/pack.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

function registryDir(files: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'qnwis-reg-'));
  dirs.push(dir);
  for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), text);
  return dir;
}

const GOOD = `id: good
title: Good
description: A valid spec.
source: csv
params:
  pattern: aggregates/attrition_by_sector.csv
`;

async function errorsOf(files: Record<string, string>): Promise<string[]> {
  const dir = registryDir(files);
  try {
    await loadRegistry({ dir, displayBase: dir });
  } catch (err) {
    expect(err).toBeInstanceOf(RegistryLoadError);
    return [...(err as RegistryLoadError).lines];
  }
  throw new Error('expected the registry load to fail');
}

function spec(extra: string, base = GOOD): string {
  return base + extra;
}

describe('registry checksum', () => {
  it('matches the spec test vector', () => {
    const files = [
      { name: 'b.yaml', bytes: Buffer.from('id: b\n') },
      { name: 'a.yaml', bytes: Buffer.from('id: a\n') },
    ];
    expect(registryChecksum(files)).toBe('5bd22dad75a2');
    expect(registryChecksum([])).toBe('empty');
  });

  it('changes with a byte, a file name or the file set', () => {
    const base = [{ name: 'a.yaml', bytes: Buffer.from('id: a\n') }];
    const v = registryChecksum(base);
    expect(registryChecksum([{ name: 'a.yaml', bytes: Buffer.from('id: a \n') }])).not.toBe(v);
    expect(registryChecksum([{ name: 'c.yaml', bytes: Buffer.from('id: a\n') }])).not.toBe(v);
    expect(registryChecksum([...base, { name: 'd.yaml', bytes: Buffer.from('') }])).not.toBe(v);
  });
});

describe('repository registry', () => {
  it('loads the shipped specs strictly, twice with the same version', async () => {
    const a = await loadRegistry({ dir: REPO_QUERIES_DIR, catalogPath: REPO_CATALOG });
    const b = await loadRegistry({ dir: REPO_QUERIES_DIR, catalogPath: REPO_CATALOG });
    expect(a.version).toMatch(/^[0-9a-f]{12}$/);
    expect(b.version).toBe(a.version);
    const ids = a.specs.map((s) => s.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.length).toBeGreaterThanOrEqual(44);
    expect(ids[0]).toBe('q_employment_share_by_gender_2023');
    expect(ids).toContain('q_unemployment_rate_gcc_latest');
    for (const s of a.specs) if (s.source === 'csv') expect(checkCsvPattern(s.params.pattern)).toBeNull();
    expect(a.catalog?.entries.length).toBe(5);
  });

  it('keeps the reference file names so the listing order matches', async () => {
    const snap = await loadRegistry({ dir: REPO_QUERIES_DIR });
    const ids = snap.specs.map((s) => s.id);
    expect(ids.indexOf('syn_employment_share_bounds_check')).toBeLessThan(
      ids.indexOf('syn_employment_share_by_gender_2017_2024'),
    );
    expect(ids.indexOf('syn_employment_share_by_gender_2017_2024')).toBeLessThan(
      ids.indexOf('syn_employment_share_by_gender_latest'),
    );
    expect(ids.indexOf('syn_unemployment_gcc_latest')).toBe(ids.indexOf('syn_unemployment_rate_gcc_latest') - 1);
    // unemployment_rate_gcc.yaml sorts after every syn_* file, as in the reference listing
    expect(ids.indexOf('q_unemployment_rate_gcc_latest')).toBeGreaterThan(
      ids.indexOf('syn_unemployment_rate_gcc_latest'),
    );
  });
});

describe('registry object', () => {
  it('reloads the same directory idempotently and swaps atomically', async () => {
    const dir = registryDir({ 'good.yaml': GOOD });
    const reg = await QueryRegistry.open({ dir });
    const v1 = reg.version();
    expect((await reg.load()).version).toBe(v1);
    expect(reg.ids()).toEqual(['good']);
    fs.writeFileSync(path.join(dir, 'bad.yaml'), spec('bogus: 1\n').replace('id: good', 'id: bad'));
    await expect(reg.load()).rejects.toBeInstanceOf(RegistryLoadError);
    expect(reg.version()).toBe(v1);
    expect(reg.ids()).toEqual(['good']);
  });

  it('reports a missing directory and gives an empty registry for an empty one', async () => {
    await expect(loadRegistry({ dir: '/nonexistent/qnwis-queries' })).rejects.toMatchObject({
      code: 'registry_dir_missing',
    });
    const empty = await loadRegistry({ dir: registryDir({}) });
    expect(empty.version).toBe('empty');
    expect(empty.specs).toEqual([]);
  });

  it('ignores .yml and hidden files and lists them', async () => {
    const dir = registryDir({ 'good.yaml': GOOD, 'other.yml': 'x: [', '.hidden.yaml': 'x: [' });
    const snap = await loadRegistry({ dir });
    expect(snap.specs.map((s) => s.id)).toEqual(['good']);
    expect(snap.ignored).toEqual(['.hidden.yaml', 'other.yml']);
  });

  it('orders ids by file name bytes and rejects unknown ids', async () => {
    const dir = registryDir({
      'b.yaml': GOOD.replace('id: good', 'id: zz'),
      'a.yaml': GOOD.replace('id: good', 'id: yy'),
    });
    const reg = await QueryRegistry.open({ dir });
    expect(reg.ids()).toEqual(['yy', 'zz']);
    expect(() => reg.get('nope')).toThrow(DataError);
  });

  it('loads reference-style specs unchanged (flow lists, block scalars, non-ASCII titles)', async () => {
    const dir = registryDir({
      'ref.yaml': `id: syn_ref_style
title: "التوطين — Qatarization by sector"
description: |
  Multi-line
  description.
source: csv
expected_unit: percent
params:
  pattern: "aggregates/qatarization_by_sector.csv"
  select: ["year", "sector", "qatarization_percent"]
  year: 2024
constraints:
  freshness_sla_days: 3650
postprocess:
  - name: top_n
    params: { sort_key: "qatarization_percent", n: 5, descending: false }
`,
    });
    const snap = await loadRegistry({ dir });
    expect(snap.specs[0]!.title).toBe('التوطين — Qatarization by sector');
    expect(snap.specs[0]!.postprocess).toEqual([
      { name: 'top_n', params: { sort_key: 'qatarization_percent', n: 5, descending: false } },
    ]);
  });
});

describe('load-time validation', () => {
  it('rejects unknown keys at every level, naming file and field', async () => {
    const lines = await errorsOf({
      'x.yaml': spec(
        'owner: me\nconstraints:\n  max_age: 3\npostprocess:\n  - name: top_n\n    params: {sort_key: a, n: 1, limit: 2}\n    extra: 1\n',
      ).replace('  pattern:', '  colour: red\n  pattern:'),
    });
    expect(lines).toContain(
      'x.yaml: owner: unknown_key: unknown key "owner"; allowed: constraints, description, expected_unit, id, params, postprocess, source, title',
    );
    expect(lines.some((l) => l.startsWith('x.yaml: constraints.max_age: unknown_key:'))).toBe(true);
    expect(lines.some((l) => l.startsWith('x.yaml: params.colour: unknown_key:'))).toBe(true);
    expect(lines.some((l) => l.startsWith('x.yaml: postprocess[0].extra: unknown_key:'))).toBe(true);
    expect(lines.some((l) => l.startsWith('x.yaml: postprocess[0].params.limit: unknown_key:'))).toBe(true);
  });

  it('rejects unknown transforms, listing the valid names sorted', async () => {
    const lines = await errorsOf({ 'x.yaml': spec('postprocess:\n  - name: pivot\n') });
    expect(lines).toEqual([
      'x.yaml: postprocess[0].name: unknown_transform: "pivot" is not a transform; valid: filter_equals, rename_columns, rolling_avg, select, share_of_total, to_percent, top_n, yoy',
    ]);
  });

  it('rejects bad transform params', async () => {
    const lines = await errorsOf({
      'x.yaml': spec(
        'postprocess:\n  - name: top_n\n    params: {sort_key: a, n: "5"}\n  - name: rolling_avg\n    params: {key: a, sort_keys: [year], window: 0}\n',
      ),
    });
    expect(lines.some((l) => l.startsWith('x.yaml: postprocess[0].params.n: invalid_type:'))).toBe(true);
    expect(lines.some((l) => l.startsWith('x.yaml: postprocess[1].params.window: invalid_value:'))).toBe(true);
  });

  it('rejects wrong types, ranges and enums with field paths', async () => {
    const lines = await errorsOf({
      'x.yaml': spec('expected_unit: dollars\nconstraints:\n  sum_to_one: yes\n  cache_ttl_s: 30\n').replace(
        '  pattern:',
        '  select: year\n  max_rows: 0\n  year: 2024.5\n  pattern:',
      ),
    });
    expect(lines.some((l) => l.startsWith('x.yaml: expected_unit: invalid_value:'))).toBe(true);
    expect(lines.some((l) => l.startsWith('x.yaml: constraints.sum_to_one: invalid_type:'))).toBe(true);
    expect(lines.some((l) => l.startsWith('x.yaml: constraints.cache_ttl_s: invalid_value:'))).toBe(true);
    expect(lines.some((l) => l.startsWith('x.yaml: params.select: invalid_type:'))).toBe(true);
    expect(lines.some((l) => l.startsWith('x.yaml: params.max_rows: invalid_value:'))).toBe(true);
    expect(lines.some((l) => l.startsWith('x.yaml: params.year: invalid_type:'))).toBe(true);
  });

  it('reports missing required fields', async () => {
    const lines = await errorsOf({ 'x.yaml': 'id: x\nsource: csv\nparams: {}\n' });
    expect(lines).toEqual([
      'x.yaml: title: missing_field: required',
      'x.yaml: description: missing_field: required',
      'x.yaml: params.pattern: missing_field: required',
    ]);
  });

  it('rejects duplicate ids, naming both files', async () => {
    const lines = await errorsOf({ 'a.yaml': GOOD, 'b.yaml': GOOD });
    expect(lines).toEqual(['b.yaml: id: duplicate_id: id "good" is already defined in a.yaml']);
  });

  it.each([
    ['/etc/x.csv'],
    ['../x.csv'],
    ['aggregates/../../x.csv'],
    ['a;b.csv'],
    ['$(id).csv'],
    ['`id`.csv'],
    ['C:\\\\x.csv'],
    ['**/*.csv'],
    ['{a,b}.csv'],
    ['x.txt'],
  ])('rejects the unsafe CSV pattern %s', async (pattern) => {
    const lines = await errorsOf({ 'x.yaml': GOOD.replace('aggregates/attrition_by_sector.csv', `"${pattern}"`) });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^x\.yaml: params\.pattern: unsafe_pattern: /);
  });

  const PG = `id: pg
title: PG
description: Postgres spec.
source: postgres
params:
  dataset: lmis.mv_sector_workforce_monthly
`;
  it.each([
    ['SELECT 1; DROP TABLE x', 'unsafe_sql'],
    ['SELECT 1 -- c', 'unsafe_sql'],
    ['SELECT /* c */ 1', 'unsafe_sql'],
    ['DELETE FROM t', 'unsafe_sql'],
  ])('rejects the SQL %s', async (sql, code) => {
    const lines = await errorsOf({ 'x.yaml': `${PG}  sql: "${sql}"\n` });
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.every((l) => l.startsWith(`x.yaml: params.sql: ${code}: `))).toBe(true);
  });

  it('rejects a postgres spec whose args do not match its placeholders', async () => {
    const lines = await errorsOf({
      'x.yaml': `${PG}  sql: "SELECT * FROM lmis.t WHERE a = $1::text"\n  args:\n    - {name: a, type: text}\n    - {name: b, type: int}\n`,
      'y.yaml': `${PG.replace('id: pg', 'id: pg2')}  sql: "SELECT * FROM lmis.t WHERE a = $1::int"\n  args:\n    - {name: a, type: text}\n`,
    });
    expect(lines.some((l) => l.startsWith('x.yaml: params.sql: sql_placeholder: '))).toBe(true);
    expect(lines.some((l) => l.startsWith('y.yaml: params.sql: sql_placeholder: '))).toBe(true);
  });

  it('accepts a valid postgres spec', async () => {
    const dir = registryDir({
      'pg.yaml': `${PG}  sql: |
    SELECT period, sector, employees AS value FROM lmis.mv_sector_workforce_monthly
    WHERE sector = $1::text AND month BETWEEN $2::date AND $3::date ORDER BY month
  args:
    - {name: sector, type: text, default: ALL}
    - {name: start, type: date, default: "1900-01-01"}
    - {name: end, type: date, default: "2999-12-31"}
`,
    });
    const snap = await loadRegistry({ dir });
    expect(snap.specs[0]!.source).toBe('postgres');
  });

  it.each([
    ['anchor', 'id: &a x\n', 'yaml_feature'],
    ['alias', 'title: &t T\ndescription: *t\n', 'yaml_feature'],
    ['merge key', 'constraints:\n  <<: {sum_to_one: true}\n', 'yaml_feature'],
    ['explicit tag', 'expected_unit: !!str count\n', 'yaml_feature'],
    ['duplicate key', 'source: csv\n', 'yaml_feature'],
  ])('rejects YAML feature: %s', async (_name, extra, code) => {
    const text = extra.startsWith('id:') ? GOOD.replace('id: good\n', extra) : GOOD + extra;
    const lines = await errorsOf({
      'x.yaml': text.replace('title: Good\n', extra.startsWith('title') ? '' : 'title: Good\n'),
    });
    expect(lines.some((l) => l.startsWith(`x.yaml: (root): ${code}: `))).toBe(true);
  });

  it.each([
    ['several documents', `${GOOD}---\n${GOOD}`],
    ['unparseable', 'id: [x\n'],
    ['root list', '- 1\n'],
    ['empty file', ''],
    ['invalid UTF-8', Buffer.from([0x69, 0x64, 0x3a, 0x20, 0xff, 0x0a]).toString('latin1')],
  ])('rejects %s as yaml_syntax', async (_name, text) => {
    const dir = registryDir({});
    fs.writeFileSync(path.join(dir, 'x.yaml'), _name === 'invalid UTF-8' ? Buffer.from(text, 'latin1') : text);
    await expect(loadRegistry({ dir, displayBase: dir })).rejects.toSatisfy((err: unknown) =>
      (err as RegistryLoadError).lines.some((l) => l.startsWith('x.yaml: (root): yaml_syntax: ')),
    );
  });

  it('collects errors from every file before failing', async () => {
    const lines = await errorsOf({ 'a.yaml': spec('x: 1\n'), 'b.yaml': spec('y: 1\n').replace('good', 'other') });
    expect(lines.map((l) => l.split(':')[0])).toEqual(['a.yaml', 'b.yaml']);
  });

  it('reports a malformed dataset catalogue', async () => {
    const dir = registryDir({ 'good.yaml': GOOD });
    const catalog = path.join(dir, 'catalog.yaml');
    fs.writeFileSync(catalog, 'datasets: [\n');
    await expect(loadRegistry({ dir, catalogPath: catalog, displayBase: dir })).rejects.toSatisfy((err: unknown) =>
      (err as RegistryLoadError).lines.some((l) => l.startsWith('catalog.yaml: ') && l.includes('catalog_invalid')),
    );
  });
});
