/** The gate's checks in the order of service spec §11.2. */
import type { Check } from '../types.js';
import { backupRestore } from './backup-restore.js';
import { deployRender } from './deploy-render.js';
import { docsCommands } from './docs-commands.js';
import { envCatalogue } from './env-catalogue.js';
import { image } from './image.js';
import { lint } from './lint.js';
import { routerSmoke } from './router-smoke.js';
import { security } from './security.js';
import { tests } from './tests.js';
import { typecheck } from './typecheck.js';

export const CHECKS: readonly Check[] = [
  typecheck,
  lint,
  tests,
  routerSmoke,
  security,
  envCatalogue,
  docsCommands,
  deployRender,
  backupRestore,
  image,
];
