import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import type { Provenance } from '../../src/data/model.js';
import { enrichLicense, loadLicenseCatalog, type LicenseCatalog } from '../../src/data/license/catalog.js';
import { fnmatch } from '../../src/data/license/fnmatch.js';

const PROJECT_CATALOG = fileURLToPath(new URL('../../data/catalog/datasets.yaml', import.meta.url));

describe('fnmatch (Python fnmatchcase semantics)', () => {
  // Expected values produced by CPython 3.11 fnmatch.fnmatchcase for each pair.
  const vectors: [string, string, boolean][] = [
    ['aggregates/sector.csv', 'aggregates/*.csv', true],
    ['aggregates/sub/sector.csv', 'aggregates/*.csv', true],
    ['Aggregates/sector.csv', 'aggregates/*.csv', false],
    ['aggregates/sector.csv.bak', 'aggregates/*.csv', false],
    ['x/aggregates/sector.csv', 'aggregates/*.csv', false],
    ['indicator=SL.UEM.TOTL.ZS', 'indicator=*', true],
    ['fixture:indicator=SL.UEM.TOTL.ZS', 'indicator=*', false],
    ['postgres:lmis.mv_sector', 'postgres:lmis.*', true],
    ['postgres:lmisXmv', 'postgres:lmis.*', false],
    ['employed-persons-15-years-and-above-synthetic.csv', '*employed-persons-15-years-and-above-synthetic*.csv', true],
    ['employed-persons-15-years-and-above-synthetic.csv', '*employed-persons-15-years-and-above*.csv', true],
    ['raw/employed-persons-15-years-and-above.csv', '*employed-persons-15-years-and-above*.csv', true],
    ['abc', 'a?c', true],
    ['a/c', 'a?c', true],
    ['ac', 'a?c', false],
    ['a\nc', 'a?c', true],
    ['a\nc', 'a*c', true],
    ['abc', '[abc]bc', true],
    ['dbc', '[abc]bc', false],
    ['dbc', '[!abc]bc', true],
    ['abc', '[!abc]bc', false],
    ['b', '[a-c]', true],
    ['d', '[a-c]', false],
    ['-', '[a-]', true],
    ['a', '[a-]', true],
    ['-', '[-a]', true],
    [']', '[]]', true],
    [']', '[!]]', false],
    ['a', '[!]]', true],
    ['[', '[', true],
    ['[a', '[a', true],
    ['[ab', '[a*', true],
    ['x]', '[!]x]', false],
    ['a', '[z-a]', false],
    ['a', '[!z-a]', true],
    ['!', '[!z-a]', true],
    ['q', '[!z-a]', true],
    ['b', '[a--b]', true],
    ['-', '[a--b]', false],
    ['a', '[a--b]', false],
    ['c', '[z-a-c]', true],
    ['-', '[z-a-c]', true],
    ['b', '[z-a-c]', false],
    ['\\', '[\\]', true],
    ['a', '[\\-a]', true],
    ['^', '[^a]', true],
    ['b', '[^a]', false],
    ['!', '[!!]', false],
    ['a', '[!!]', true],
    ['*', '[*]', true],
    ['x', '[*]', false],
    ['?', '[?]', true],
    ['a.b', 'a.b', true],
    ['axb', 'a.b', false],
    ['a+b', 'a+b', true],
    ['(x)', '(x)', true],
    ['', '*', true],
    ['', '?', false],
    ['', '[a]', false],
    ['abc', '***', true],
    ['abcabc', '*abc', true],
    ['ab', 'a**b', true],
    ['ab', '*a*b*', true],
    ['é', '?', true],
    ['😀', '?', true],
    ['😀x', '??', true],
    ['é', '[à-ê]', true],
    ['😀', '[😀]', true],
    ['😃', '[😀-😆]', true],
    ['a|b', 'a[|]b', true],
    ['a&b', 'a[&&]b', true],
    ['a~b', 'a[~]b', true],
    ['abcd', 'a[b-c][c-d]d', true],
    ['a-c', 'a[b-]c', true],
    ['abc', 'a[!-]c', true],
    ['a-c', 'a[!-]c', false],
    ['ABC', 'abc', false],
    ['Abc', '[A-Z]bc', true],
    ['mississippi', '*s*s*ippi', true],
    ['mississippi', 'm*issip*i', true],
    ['mississippi', 'm*issip?i', true],
  ];

  it.each(vectors)('fnmatch(%j, %j) is %s', (name, pattern, want) => {
    expect(fnmatch(name, pattern)).toBe(want);
  });

  it('is not a path glob: * crosses /, the whole string must match, nothing is case-folded', () => {
    expect(fnmatch('a/b/c.csv', '*.csv')).toBe(true);
    expect(fnmatch('a/b/c.csv', 'a/*')).toBe(true);
    expect(fnmatch('.hidden.csv', '*.csv')).toBe(true);
    expect(fnmatch('c.csv', '*.CSV')).toBe(false);
    expect(fnmatch('c.csvx', '*.csv')).toBe(false);
    expect(fnmatch('xc.csv', 'c.csv')).toBe(false);
  });
});

describe('project catalogue', () => {
  it('holds exactly the five entries of the spec table, in order', () => {
    const { catalog, issues } = loadLicenseCatalog(PROJECT_CATALOG);
    expect(issues).toEqual([]);
    expect(catalog).toEqual({
      entries: [
        {
          pattern: '*employed-persons-15-years-and-above-synthetic*.csv',
          license: 'MIT-SYNTHETIC',
          notes: 'derived by seed from the synthetic micro data, never real',
        },
        {
          pattern: '*employed-persons-15-years-and-above*.csv',
          license: 'Qatar Open Data (see portal terms)',
          notes: 'real employment CSV',
        },
        { pattern: 'indicator=*', license: 'World Bank Open Data (CC BY 4.0)', notes: 'any World Bank indicator' },
        { pattern: 'aggregates/*.csv', license: 'MIT-SYNTHETIC', notes: 'synthetic aggregates' },
        {
          pattern: 'postgres:lmis.*',
          license: 'MIT-SYNTHETIC',
          notes: 'tables and views built from the synthetic micro files',
        },
      ],
    });
  });

  const catalog = loadLicenseCatalog(PROJECT_CATALOG).catalog;
  const prov = (p: Partial<Provenance>): Provenance => ({
    source: 'csv',
    dataset_id: 'x',
    locator: 'x',
    fields: ['year'],
    license: 'Qatar Open Data Portal License',
    ...p,
  });

  it('licenses every kind of result as §4 and §5 expect', () => {
    const cases: [Partial<Provenance>, string | null][] = [
      [
        {
          dataset_id: 'employed-persons-15-years-and-above*.csv',
          locator: 'employed-persons-15-years-and-above-synthetic.csv',
        },
        'MIT-SYNTHETIC',
      ],
      [
        { dataset_id: 'employed-persons-15-years-and-above*.csv', locator: 'employed-persons-15-years-and-above.csv' },
        'Qatar Open Data (see portal terms)',
      ],
      [
        { dataset_id: 'aggregates/sector_employment_by_year.csv', locator: 'aggregates/sector_employment_by_year.csv' },
        'MIT-SYNTHETIC',
      ],
      [
        {
          source: 'world_bank',
          dataset_id: 'SL.UEM.TOTL.ZS',
          locator: 'indicator=SL.UEM.TOTL.ZS',
          license: 'World Bank Open Data (CC BY 4.0)',
        },
        'World Bank Open Data (CC BY 4.0)',
      ],
      // A fixture snapshot keeps its own licence: neither its locator nor its dataset id matches.
      [
        {
          source: 'world_bank',
          dataset_id: 'SL.UEM.TOTL.ZS',
          locator: 'fixture:indicator=SL.UEM.TOTL.ZS',
          license: 'MIT-SYNTHETIC',
        },
        'MIT-SYNTHETIC',
      ],
      [
        {
          source: 'postgres',
          dataset_id: 'lmis.mv_sector_retention_monthly',
          locator: 'postgres:lmis.mv_sector_retention_monthly',
          license: null,
        },
        'MIT-SYNTHETIC',
      ],
      [{ source: 'postgres', dataset_id: 'public.other', locator: 'postgres:public.other', license: null }, null],
      // No locator match: the dataset id decides.
      [{ dataset_id: 'aggregates/*.csv', locator: 'other/file.csv' }, 'MIT-SYNTHETIC'],
    ];
    for (const [p, want] of cases) expect(enrichLicense(prov(p), catalog).license).toBe(want);
  });

  it('returns a new provenance and leaves the input untouched', () => {
    const input = Object.freeze(prov({ locator: 'aggregates/a.csv', fields: Object.freeze(['year']) as string[] }));
    const out = enrichLicense(input, catalog);
    expect(out).toEqual({ ...input, license: 'MIT-SYNTHETIC' });
    expect(out).not.toBe(input);
    expect(input.license).toBe('Qatar Open Data Portal License');
    expect(enrichLicense(input, null)).toEqual(input);
    expect(enrichLicense(input, null)).not.toBe(input);
  });
});

describe('enrichLicense matching order', () => {
  const custom: LicenseCatalog = {
    entries: [
      { pattern: '', license: 'EMPTY-PATTERN', notes: '' },
      { pattern: 'data/*', license: '', notes: 'matches but has no licence' },
      { pattern: 'data/*', license: 'SECOND', notes: '' },
      { pattern: 'ds.*', license: 'BY-DATASET', notes: '' },
      { pattern: '*', license: 'ANY', notes: '' },
    ],
  };
  const base: Provenance = { source: 'csv', dataset_id: 'ds.one', locator: 'data/x.csv', fields: [], license: 'OWN' };

  it('takes the first locator match even when its licence is empty (no replacement)', () => {
    expect(enrichLicense(base, custom).license).toBe('OWN');
  });

  it('prefers any locator match over a dataset-id match, and never matches an empty pattern', () => {
    expect(enrichLicense({ ...base, locator: 'elsewhere' }, custom).license).toBe('ANY');
    const noWildcard: LicenseCatalog = { entries: custom.entries.slice(0, 4) };
    expect(enrichLicense({ ...base, locator: 'elsewhere' }, noWildcard).license).toBe('BY-DATASET');
    expect(enrichLicense({ ...base, locator: '', dataset_id: '' }, noWildcard).license).toBe('OWN');
  });
});

describe('loadLicenseCatalog', () => {
  const dir = mkdtempSync(join(tmpdir(), 'qnwis-catalog-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const write = (name: string, content: string | Uint8Array): string => {
    const path = join(dir, name);
    writeFileSync(path, content);
    return path;
  };
  const codes = (path: string) => loadLicenseCatalog(path).issues.map((i) => `${i.path}|${i.code}`);

  it('gives no catalogue and no issue for a missing file', () => {
    expect(loadLicenseCatalog(join(dir, 'absent.yaml'))).toEqual({ catalog: null, issues: [] });
  });

  it('accepts a top-level list, ignores non-mapping entries and unknown keys, and keeps YAML 1.1 words as strings', () => {
    const path = write(
      'list.yaml',
      ['- pattern: "a/*.csv"', '  license: yes', '  extra: 1', '- just a string', '- 42', '- pattern: b', ''].join(
        '\n',
      ),
    );
    expect(loadLicenseCatalog(path)).toEqual({
      catalog: {
        entries: [
          { pattern: 'a/*.csv', license: 'yes', notes: '' },
          { pattern: 'b', license: '', notes: '' },
        ],
      },
      issues: [],
    });
  });

  it('accepts a mapping with a datasets list and null fields as empty', () => {
    const path = write('map.yaml', 'version: 1\ndatasets:\n  - {pattern: x, license: null, notes: ~}\n');
    expect(loadLicenseCatalog(path)).toEqual({
      catalog: { entries: [{ pattern: 'x', license: '', notes: '' }] },
      issues: [],
    });
  });

  it('reports malformed catalogues as catalog_invalid with no catalogue', () => {
    expect(codes(write('syntax.yaml', 'datasets: [\n'))).toEqual(['(root)|catalog_invalid']);
    expect(codes(write('scalar.yaml', 'just text\n'))).toEqual(['(root)|catalog_invalid']);
    expect(codes(write('empty.yaml', ''))).toEqual(['(root)|catalog_invalid']);
    expect(codes(write('nolist.yaml', 'datasets: {pattern: x}\n'))).toEqual(['datasets|catalog_invalid']);
    expect(codes(write('nokey.yaml', 'entries: []\n'))).toEqual(['datasets|catalog_invalid']);
    expect(codes(write('twodocs.yaml', '- {pattern: a}\n---\n- {pattern: b}\n'))).toEqual(['(root)|catalog_invalid']);
    expect(codes(write('dup.yaml', 'datasets: []\ndatasets: []\n'))).toEqual(['(root)|catalog_invalid']);
    expect(codes(write('utf8.yaml', new Uint8Array([0x2d, 0x20, 0xff, 0x0a])))).toEqual(['(root)|catalog_invalid']);
    expect(codes(write('types.yaml', 'datasets:\n  - {pattern: a}\n  - {pattern: 5, license: [x]}\n'))).toEqual([
      'datasets[1].pattern|catalog_invalid',
      'datasets[1].license|catalog_invalid',
    ]);
    expect(codes(write('types-list.yaml', '- {notes: 1}\n'))).toEqual(['[0].notes|catalog_invalid']);
    const sub = join(dir, 'a-directory.yaml');
    mkdirSync(sub);
    expect(codes(sub)).toEqual(['(root)|catalog_invalid']);
    expect(loadLicenseCatalog(join(dir, 'types.yaml')).catalog).toBeNull();
  });

  it('never puts the file path into messages', () => {
    for (const issue of loadLicenseCatalog(join(dir, 'a-directory.yaml')).issues) {
      expect(issue.message).not.toContain(dir);
    }
  });
});
