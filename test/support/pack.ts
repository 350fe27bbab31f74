import path from 'node:path';
import fs from 'node:fs';
import { createHash } from 'node:crypto';

/** The default synthetic pack (seed 42, 2017–2024, 800 companies, 20000 employees), written once per suite. */
export const TEST_PACK_DIR = path.resolve('var/test/pack');
export const REPO_QUERIES_DIR = path.resolve('data/queries');
export const REPO_CATALOG = path.resolve('data/catalog/datasets.yaml');
export const REPO_WORLD_BANK_DIR = path.resolve('data/world_bank');

/** Golden SHA-256 values of data-layer spec §9.5 for the default parameters. */
export const GOLDEN_DEFAULT: Readonly<Record<string, string>> = {
  'companies.csv': 'e8adbe446c2360298808c8fc390bd751187593d45a9f7cb022d86de3515269c2',
  'employment_history.csv': 'b3c4da39256d0978a33a1f0ade8651d37ae7d7d4de4e5d06a7a2096e8fc986b5',
  'aggregates/employment_share_by_gender.csv': 'e0b48944f23df8ceed3451df92d833a2ac77922d025c649a51a9ddccfddaa9a6',
  'aggregates/unemployment_gcc_latest.csv': '7acfd3f044a6a7a806d218c354a9e09d1d3e545ed52d9a493f427fe5d121e9fd',
  'aggregates/qatarization_by_sector.csv': '8fd10e1435d1ac41bdd6f3699cce8d3e4e8b1206f6440b52fe197828088a1316',
  'aggregates/avg_salary_by_sector.csv': '9dd971abf4ac69dd5d2606d9d108dd10109f71626aadb021d826d067428c2867',
  'aggregates/attrition_by_sector.csv': '53f5c831d6a22c8a1da8c1fbb4cfd4bdf76e8a715e37da4a5b5a44c0bb4ece5f',
  'aggregates/company_size_distribution.csv': 'da660c597f9cf9c11aceb118d059202c3aca870139aa946a5bb413a3497907ab',
  'aggregates/sector_employment_by_year.csv': '33b8e53fd36ea26abf9bec8e99e2b934483c66b0d62eb7cb730a770bfab426bd',
  'aggregates/ewi_employment_drop.csv': '102b8b34c07343d611b8ef8a4325c4889b7b72ad00f007878d5e43a25a14c77a',
};

export function sha256File(file: string): string {
  return createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

/** True when the pack directory holds the ten golden files unchanged. */
export function packIsIntact(dir: string): boolean {
  return Object.entries(GOLDEN_DEFAULT).every(([rel, sha]) => {
    const file = path.join(dir, rel);
    return fs.existsSync(file) && sha256File(file) === sha;
  });
}
