/**
 * `env-catalogue` (service spec §7.1): test/config/catalogue-docs.test.ts (catalogue ↔ SECURE_ENV_REFERENCE.md ↔
 * README, environment access only in src/config) run as it is, plus the artefact rules of env-references.ts.
 */
import fs from 'node:fs';
import path from 'node:path';
import { CATALOGUE } from '../../../src/config/catalogue.js';
import { envReferenceProblems } from '../env-references.js';
import { testRunVerdict } from '../test-run-verdict.js';
import type { Check } from '../types.js';
import { runVitest } from '../vitest-results.js';
import { shellScripts } from './lint.js';

export const CATALOGUE_TEST = 'test/config/catalogue-docs.test.ts';
const MANIFESTS = ['ops/k8s/configmap.yaml', 'ops/k8s/secret.template.yaml'];

export const envCatalogue: Check = {
  id: 'env-catalogue',
  title: 'Environment catalogue consistency (§7.1)',
  async run(ctx) {
    const vitest = await runVitest(ctx, { name: 'env-catalogue', files: [CATALOGUE_TEST], timeoutMs: 10 * 60_000 });
    const docs = testRunVerdict(CATALOGUE_TEST, vitest);
    const read = (rel: string): string => fs.readFileSync(path.join(ctx.root, rel), 'utf8');
    let problems: string[];
    try {
      problems = envReferenceProblems(CATALOGUE, {
        scripts: new Map(shellScripts(ctx.root).map((f) => [f, read(f)])),
        compose: read('ops/docker/docker-compose.prod.yml'),
        envExample: read('ops/docker/.env.example'),
        manifests: new Map(MANIFESTS.map((f) => [f, read(f)])),
      });
    } catch (err) {
      problems = [`could not read the deployment artefacts: ${(err as Error).message}`];
    }
    const lines = [
      ...docs.lines,
      `scripts/**/*.sh, docker-compose.prod.yml, .env.example, ${MANIFESTS.join(', ')} against the catalogue: ${problems.length === 0 ? 'ok' : `${problems.length} problems`}`,
      ...problems,
    ];
    return { status: docs.ok && problems.length === 0 ? 'pass' : 'fail', details: lines.join('\n') };
  },
};
