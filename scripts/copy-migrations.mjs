// Copies src/db/migrations/*.sql to dist/db/migrations/ after `tsc` (tsc copies only .ts output); run from the repo root.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const from = path.join(root, 'src', 'db', 'migrations');
const to = path.join(root, 'dist', 'db', 'migrations');

fs.rmSync(to, { recursive: true, force: true });
fs.mkdirSync(to, { recursive: true });
const files = fs.readdirSync(from).filter((name) => name.endsWith('.sql'));
for (const name of files) fs.copyFileSync(path.join(from, name), path.join(to, name));
console.log(`copied ${files.length} migration file(s) to dist/db/migrations`);
