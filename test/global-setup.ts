import fs from 'node:fs';
import path from 'node:path';
import { TEST_PACK_DIR, packIsIntact } from './support/pack.js';
import { resolvePackOptions, writePack } from '../src/data/synthetic/pack.js';

/** Seeds the default synthetic pack once for the whole suite (tests must not modify it). */
export default async function setup(): Promise<void> {
  const derived = path.join(TEST_PACK_DIR, 'employed-persons-15-years-and-above-synthetic.csv');
  if (packIsIntact(TEST_PACK_DIR) && fs.existsSync(derived)) return;
  fs.rmSync(TEST_PACK_DIR, { recursive: true, force: true });
  await writePack(TEST_PACK_DIR, resolvePackOptions({}));
}
