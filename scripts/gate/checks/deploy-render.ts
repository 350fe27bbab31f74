/**
 * `deploy-render` (service spec §11.2): the tests that render or verify the deployment artefacts with the tools that
 * consume them (test/deploy/artefacts.test.ts and the `promtool check metrics` tests of test/http/metrics.test.ts),
 * restricted to the tools present; a missing tool skips its part. `docker compose` (v2) is run here when present.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describeExit, findOnPath, runCommand, tail } from '../run-command.js';
import { testRunVerdict } from '../test-run-verdict.js';
import type { Check, CheckOutcome } from '../types.js';
import { runVitest, type TestCase } from '../vitest-results.js';

export interface ToolGroup {
  tool: string;
  /** Debian package that provides the tool. */
  debianPackage: string;
  what: string;
  /** Full-name prefixes (describe + test titles) of the tests of this group. */
  prefixes: string[];
}

export const TOOL_GROUPS: readonly ToolGroup[] = [
  {
    tool: 'docker-compose',
    debianPackage: 'docker-compose',
    what: 'docker-compose -f ops/docker/docker-compose.prod.yml config (blue, and green with other host ports)',
    prefixes: ['docker-compose.prod.yml '],
  },
  {
    tool: 'kubectl',
    debianPackage: 'kubernetes-client',
    what: 'kubectl kustomize ops/k8s',
    prefixes: ['Kubernetes manifests '],
  },
  {
    tool: 'systemd-analyze',
    debianPackage: 'systemd',
    what: 'systemd-analyze verify of the three units',
    prefixes: ['systemd units '],
  },
  {
    tool: 'promtool',
    debianPackage: 'prometheus',
    what: 'promtool check config, check rules, test rules, check metrics',
    prefixes: [
      'Prometheus files ',
      'service metrics catalogue (service spec §5.2) passes promtool check metrics',
      'service metrics catalogue (service spec §5.2) promtool reports a gauge named',
    ],
  },
];

export const DEPLOY_TEST_FILES = ['test/deploy/artefacts.test.ts', 'test/http/metrics.test.ts'];

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** The `vitest -t` pattern that selects exactly the tests of these groups. */
export function groupPattern(groups: readonly ToolGroup[]): string {
  return `^(?:${groups.flatMap((g) => g.prefixes.map(escapeRegExp)).join('|')})`;
}

export function inGroup(group: ToolGroup, test: TestCase): boolean {
  return group.prefixes.some((p) => test.fullName.startsWith(p));
}

/** `docker compose … config` (v2) for blue and a green project, when the plugin is present. */
async function composeV2(
  root: string,
  writeLog: (name: string, text: string) => string,
): Promise<{ ok: boolean; line: string } | undefined> {
  if (findOnPath('docker') === undefined) return undefined;
  const version = await runCommand('docker', ['compose', 'version'], { cwd: root, timeoutMs: 30_000 });
  if (version.code !== 0) return undefined;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'qnwis-gate-compose-'));
  try {
    fs.copyFileSync(path.join(root, 'ops/docker/docker-compose.prod.yml'), path.join(dir, 'docker-compose.prod.yml'));
    fs.copyFileSync(path.join(root, 'ops/docker/.env.example'), path.join(dir, '.env'));
    const env: NodeJS.ProcessEnv = {};
    for (const [k, v] of Object.entries(process.env)) if (!/^(QNWIS_|COMPOSE_|POSTGRES_|REDIS_)/.test(k)) env[k] = v;
    const blue = await runCommand('docker', ['compose', '-f', 'docker-compose.prod.yml', 'config'], {
      cwd: dir,
      env,
      timeoutMs: 60_000,
    });
    const green = await runCommand(
      'docker',
      ['compose', '-p', 'qnwis-green', '-f', 'docker-compose.prod.yml', 'config'],
      {
        cwd: dir,
        env: { ...env, QNWIS_STACK: 'green', QNWIS_HTTP_PORT: '8080', QNWIS_HTTPS_PORT: '8443' },
        timeoutMs: 60_000,
      },
    );
    const log = writeLog(
      'deploy-render-compose-v2.log',
      `blue:\n${blue.stdout}${blue.stderr}\ngreen:\n${green.stdout}${green.stderr}`,
    );
    const ok = blue.code === 0 && green.code === 0 && green.stdout.includes('qnwis_green_net');
    return {
      ok,
      line: `docker compose (v2) config, blue and green: ${ok ? 'ok' : `blue ${describeExit(blue)}, green ${describeExit(green)}: ${tail(blue.stderr + green.stderr, 5)}`} (log ${log})`,
    };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

export const deployRender: Check = {
  id: 'deploy-render',
  title: 'Deployment artefacts render and verify (compose, kustomize, systemd, promtool)',
  async run(ctx): Promise<CheckOutcome> {
    const present = TOOL_GROUPS.filter((g) => findOnPath(g.tool) !== undefined);
    const absent = TOOL_GROUPS.filter((g) => findOnPath(g.tool) === undefined);
    const lines: string[] = [];
    let failed = false;
    if (present.length > 0) {
      const vitest = await runVitest(ctx, {
        name: 'deploy-render',
        files: DEPLOY_TEST_FILES,
        testNamePattern: groupPattern(present),
        timeoutMs: 15 * 60_000,
      });
      for (const group of present) {
        const verdict = testRunVerdict(`${group.tool}: ${group.what}`, vitest, (t) => inGroup(group, t));
        failed ||= !verdict.ok;
        lines.push(...verdict.lines);
      }
    }
    for (const group of absent)
      lines.push(`${group.tool}: SKIPPED, not on PATH (Debian package ${group.debianPackage}): ${group.what}`);
    const v2 = await composeV2(ctx.root, ctx.writeLog);
    if (v2 === undefined) lines.push('docker compose (v2): plugin not present; optional per §11.2 ("where present")');
    else {
      failed ||= !v2.ok;
      lines.push(v2.line);
    }
    const details = lines.join('\n');
    if (failed) return { status: 'fail', details };
    if (absent.length > 0)
      return {
        status: 'skipped',
        details,
        skipReason: `not on PATH: ${absent.map((g) => `${g.tool} (Debian package ${g.debianPackage})`).join(', ')}`,
      };
    return { status: 'pass', details };
  },
};
