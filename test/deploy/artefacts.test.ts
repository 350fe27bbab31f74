// Deployment artefacts (service spec §10): each is rendered or verified by the tool that consumes it.
// A missing tool fails its test with the Debian package to install; nothing is skipped.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { runCli } from '../../src/cli/run.js';

const ROOT = path.resolve(import.meta.dirname, '..', '..');
const DOCKER_DIR = path.join(ROOT, 'ops', 'docker');
const SYSTEMD_DIR = path.join(ROOT, 'ops', 'systemd');
const TOOL_TIMEOUT_MS = 10_000;

/** Debian package that provides each external tool (named in the failure when the tool is absent). */
const DEBIAN_PACKAGE: Record<string, string> = {
  'docker-compose': 'docker-compose',
  kubectl: 'kubernetes-client',
  'systemd-analyze': 'systemd',
  promtool: 'prometheus',
};

interface ToolRun {
  code: number;
  stdout: string;
  stderr: string;
}

function findOnPath(command: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    const candidate = path.join(dir, command);
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      return candidate;
    } catch {
      // not in this directory
    }
  }
  return undefined;
}

/** Runs a deployment tool; never throws on a non-zero exit, so tests assert the code and output themselves. */
async function runTool(
  command: string,
  args: readonly string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<ToolRun> {
  const binary = findOnPath(command);
  if (binary === undefined)
    throw new Error(`${command} not found on PATH: install the Debian package ${DEBIAN_PACKAGE[command] ?? command}`);
  return new Promise((resolve, reject) => {
    execFile(
      binary,
      args,
      { cwd: options.cwd ?? ROOT, env: options.env ?? process.env, timeout: TOOL_TIMEOUT_MS, maxBuffer: 16 << 20 },
      (error, stdout, stderr) => {
        if (error && typeof error.code !== 'number') reject(error);
        else resolve({ code: error ? Number(error.code) : 0, stdout, stderr });
      },
    );
  });
}

const scratchDirs: string[] = [];
function scratch(prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `qnwis-deploy-${prefix}-`));
  scratchDirs.push(dir);
  return dir;
}
afterAll(() => {
  for (const dir of scratchDirs) fs.rmSync(dir, { recursive: true, force: true });
});

type Yaml = Record<string, unknown>;
const obj = (value: unknown): Yaml => value as Yaml;

describe('docker-compose.prod.yml', () => {
  /** The compose file next to `.env` copied from `.env.example`, as an operator would have it. */
  function composeDir(): string {
    const dir = scratch('compose');
    fs.copyFileSync(path.join(DOCKER_DIR, 'docker-compose.prod.yml'), path.join(dir, 'docker-compose.prod.yml'));
    fs.copyFileSync(path.join(DOCKER_DIR, '.env.example'), path.join(dir, '.env'));
    return dir;
  }
  /** Process environment without compose variables from the developer's shell, which would override `.env`. */
  function composeEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
    const env: NodeJS.ProcessEnv = {};
    for (const [key, value] of Object.entries(process.env))
      if (!/^(QNWIS_|COMPOSE_|POSTGRES_|REDIS_)/.test(key)) env[key] = value;
    return { ...env, ...extra };
  }

  async function render(args: string[], extraEnv: Record<string, string> = {}): Promise<Yaml> {
    const dir = composeDir();
    const run = await runTool('docker-compose', [...args, '-f', 'docker-compose.prod.yml', 'config'], {
      cwd: dir,
      env: composeEnv(extraEnv),
    });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    return obj(parse(run.stdout));
  }

  it('renders with .env = .env.example: five services, api unpublished and scalable, drain and hardening settings', async () => {
    const model = await render([]);
    expect(model.name).toBeUndefined();
    const services = obj(model.services);
    expect(Object.keys(services).sort()).toEqual(['api', 'postgres', 'prometheus', 'redis', 'traefik']);
    const api = obj(services.api);
    expect(api.ports).toBeUndefined();
    expect(api.container_name).toBeUndefined();
    expect(api.image).toBe('ghcr.io/albarami/qnwis:latest');
    expect(api.expose).toEqual(['8000', '9464']);
    expect(api.stop_signal).toBe('SIGTERM');
    expect(api.stop_grace_period).toBe('45s');
    expect(api.restart).toBe('always');
    expect(api.read_only).toBe(true);
    expect(api.cap_drop).toEqual(['ALL']);
    expect(api.security_opt).toEqual(['no-new-privileges:true']);
    expect(api.healthcheck).toEqual({
      test: ['CMD', 'qnwis', 'healthcheck'],
      interval: '15s',
      timeout: '3s',
      retries: 5,
      start_period: '30s',
    });
    expect(api.depends_on).toEqual({
      postgres: { condition: 'service_healthy' },
      redis: { condition: 'service_healthy' },
    });
    expect(Object.keys(obj(api.networks)).sort()).toEqual(['metrics_net', 'qnwis_net']);
    const env = obj(api.environment);
    expect([env.HOST, env.PORT, env.METRICS_PORT, env.TRUSTED_PROXIES, env.METRICS_ALLOW_CIDRS]).toEqual([
      '0.0.0.0',
      '8000',
      '9464',
      '172.16.0.0/12,192.168.0.0/16',
      '172.16.0.0/12,192.168.0.0/16',
    ]);
    const labels = obj(api.labels);
    expect(labels['qnwis.stack']).toBe('blue');
    expect(labels['traefik.http.routers.qnwis.rule']).toBe('Host(`qnwis.example.org`)');
    expect(labels['traefik.http.routers.qnwis-metrics-deny.rule']).toBe('PathPrefix(`/metrics`)');
    expect(labels['traefik.http.services.qnwis.loadbalancer.healthcheck.path']).toBe('/health/ready');
    expect(labels['traefik.http.middlewares.qnwis-retry.retry.attempts']).toBe('3');

    for (const name of ['postgres', 'redis', 'prometheus']) expect(obj(services[name]).ports).toBeUndefined();
    expect(obj(services.postgres).image).toBe('postgres:16');
    expect(obj(services.redis).image).toBe('redis:7');
    // The Redis password is expanded by the container's shell, not written into the rendered command.
    expect(obj(services.redis).command).toEqual([
      'sh',
      '-c',
      'exec redis-server --appendonly yes --requirepass "$$REDIS_PASSWORD"',
    ]);
    expect(Object.keys(obj(obj(services.prometheus).networks))).toEqual(['metrics_net']);
    expect(obj(services.traefik).ports).toEqual([
      { target: 80, published: 80 },
      { target: 443, published: 443 },
    ]);
    expect(obj(services.traefik).command).toContain('--providers.docker.constraints=Label(`qnwis.stack`,`blue`)');
    expect(obj(services.traefik).command).toContain('--serverstransport.forwardingtimeouts.idleconntimeout=4s');

    const networks = obj(model.networks);
    expect(obj(networks.metrics_net).internal).toBe(true);
    expect(obj(networks.qnwis_net).name).toBe('qnwis_blue_net');
    expect(Object.keys(obj(model.volumes)).sort()).toEqual([
      'backups',
      'postgres_data',
      'prometheus_data',
      'redis_data',
    ]);
  });

  it('a second project (QNWIS_STACK=green, other host ports) renders isolated from blue', async () => {
    const model = await render(['-p', 'qnwis-green'], {
      QNWIS_STACK: 'green',
      QNWIS_HTTP_PORT: '8080',
      QNWIS_HTTPS_PORT: '8443',
    });
    const services = obj(model.services);
    expect(obj(obj(services.api).labels)['qnwis.stack']).toBe('green');
    expect(obj(obj(services.api).labels)['traefik.docker.network']).toBe('qnwis_green_net');
    expect(obj(services.traefik).ports).toEqual([
      { target: 80, published: 8080 },
      { target: 443, published: 8443 },
    ]);
    expect(obj(services.traefik).command).toContain('--providers.docker.constraints=Label(`qnwis.stack`,`green`)');
    expect(obj(obj(model.networks).qnwis_net).name).toBe('qnwis_green_net');
  });

  it('refuses to render without a required password', async () => {
    const dir = composeDir();
    const envFile = path.join(dir, '.env');
    fs.writeFileSync(envFile, fs.readFileSync(envFile, 'utf8').replace(/^POSTGRES_PASSWORD=.*\n/m, ''));
    const run = await runTool('docker-compose', ['-f', 'docker-compose.prod.yml', 'config'], {
      cwd: dir,
      env: composeEnv(),
    });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('POSTGRES_PASSWORD must be set in .env');
  });
});

describe('ops/docker/.env.example', () => {
  it('`qnwis config check --env-file` reports only placeholder errors', async () => {
    let stdout = '';
    let stderr = '';
    const code = await runCli(['config', 'check', '--env-file', path.join(DOCKER_DIR, '.env.example')], {
      stdout: (t) => void (stdout += t),
      stderr: (t) => void (stderr += t),
      env: {},
    });
    expect(code).toBe(78);
    expect(stderr.trimEnd().split('\n')).toEqual([
      'config error: DATABASE_URL: still holds a placeholder value',
      'config error: REDIS_URL: still holds a placeholder value',
      'config error: CSRF_SECRET: still holds a placeholder value',
      'config error: SESSION_SECRET: still holds a placeholder value',
      'config error: QNWIS_API_KEY_PEPPER: still holds a placeholder value',
      'config error: QNWIS_AUDIT_HMAC_KEY: still holds a placeholder value',
      'config error: POSTGRES_PASSWORD: still holds a placeholder value',
      'config error: REDIS_PASSWORD: still holds a placeholder value',
    ]);
    expect(stdout.trimEnd().split('\n').at(-1)).toBe('config invalid (8 errors)');
    expect(stdout.split('\n')).toContain('DATABASE_URL=postgresql://qnwis:***@postgres:5432/qnwis');
  });

  it('embeds the password placeholders in the URLs and documents secret generation', () => {
    const text = fs.readFileSync(path.join(DOCKER_DIR, '.env.example'), 'utf8');
    const value = (key: string): string => new RegExp(`^${key}=(.*)$`, 'm').exec(text)?.[1] ?? '';
    expect(value('DATABASE_URL')).toBe(`postgresql://qnwis:${value('POSTGRES_PASSWORD')}@postgres:5432/qnwis`);
    expect(value('REDIS_URL')).toBe(`redis://:${value('REDIS_PASSWORD')}@redis:6379/0`);
    expect(text).toContain('openssl rand -base64 48');
    for (const key of ['CSRF_SECRET', 'SESSION_SECRET', 'QNWIS_API_KEY_PEPPER', 'QNWIS_AUDIT_HMAC_KEY'])
      expect(value(key)).toContain('CHANGE_ME');
  });
});

describe('Kubernetes manifests', () => {
  it('`kubectl kustomize ops/k8s` renders every object labelled app: qnwis with the §10.6 settings', async () => {
    const run = await runTool('kubectl', ['kustomize', 'ops/k8s']);
    expect(run.code).toBe(0);
    const docs = parseAllDocuments(run.stdout).map((doc) => obj(doc.toJS()));
    expect(docs.map((d) => d.kind).sort()).toEqual([
      'ConfigMap',
      'Deployment',
      'HorizontalPodAutoscaler',
      'NetworkPolicy',
      'PodDisruptionBudget',
      'Secret',
      'Service',
    ]);
    for (const doc of docs) expect(obj(obj(doc.metadata).labels).app).toBe('qnwis');
    const byKind = (kind: string): Yaml => docs.find((d) => d.kind === kind) ?? {};

    const deploymentSpec = obj(byKind('Deployment').spec);
    expect(deploymentSpec.replicas).toBe(2);
    expect(obj(deploymentSpec.strategy).rollingUpdate).toEqual({ maxUnavailable: 0, maxSurge: 1 });
    const pod = obj(obj(deploymentSpec.template).spec);
    expect(obj(obj(deploymentSpec.template).metadata).labels).toEqual({ app: 'qnwis' });
    expect(pod.terminationGracePeriodSeconds).toBe(45);
    expect(pod.securityContext).toEqual({
      runAsNonRoot: true,
      runAsUser: 10001,
      runAsGroup: 10001,
      fsGroup: 10001,
      seccompProfile: { type: 'RuntimeDefault' },
    });
    const container = obj((pod.containers as unknown[])[0]);
    expect(container.securityContext).toEqual({
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
      capabilities: { drop: ['ALL'] },
    });
    expect(container.ports).toEqual([
      { name: 'http', containerPort: 8000, protocol: 'TCP' },
      { name: 'metrics', containerPort: 9464, protocol: 'TCP' },
    ]);
    expect(container.envFrom).toEqual([
      { configMapRef: { name: 'qnwis-config' } },
      { secretRef: { name: 'qnwis-secrets' } },
    ]);
    expect(container.startupProbe).toEqual({
      httpGet: { path: '/health/live', port: 'http' },
      periodSeconds: 2,
      failureThreshold: 30,
    });
    expect(container.readinessProbe).toEqual({
      httpGet: { path: '/health/ready', port: 'http' },
      periodSeconds: 5,
      timeoutSeconds: 2,
      failureThreshold: 2,
    });
    expect(container.livenessProbe).toEqual({
      httpGet: { path: '/health/live', port: 'http' },
      periodSeconds: 10,
      timeoutSeconds: 2,
      failureThreshold: 6,
    });
    expect(container.lifecycle).toEqual({ preStop: { exec: { command: ['sleep', '5'] } } });
    expect(Object.keys(obj(container.resources)).sort()).toEqual(['limits', 'requests']);
    expect(container.volumeMounts).toEqual([
      { name: 'tmp', mountPath: '/tmp' },
      { name: 'state', mountPath: '/app/var' },
    ]);

    const secret = obj(obj(byKind('Secret')).stringData);
    expect(Object.keys(secret).sort()).toEqual([
      'CSRF_SECRET',
      'DATABASE_URL',
      'QNWIS_API_KEY_PEPPER',
      'QNWIS_AUDIT_HMAC_KEY',
      'REDIS_URL',
      'SESSION_SECRET',
    ]);
    for (const value of Object.values(secret)) expect(String(value)).toContain('CHANGE_ME');
    const config = obj(byKind('ConfigMap').data);
    expect([config.QNWIS_ENV, config.METRICS_PORT, config.PORT]).toEqual(['prod', '9464', '8000']);

    expect(obj(byKind('Service').spec).type).toBe('ClusterIP');
    expect(obj(byKind('Service').spec).ports).toEqual([
      { name: 'http', port: 80, targetPort: 'http', protocol: 'TCP' },
      { name: 'metrics', port: 9464, targetPort: 'metrics', protocol: 'TCP' },
    ]);
    const hpa = obj(byKind('HorizontalPodAutoscaler'));
    expect(hpa.apiVersion).toBe('autoscaling/v2');
    expect([obj(hpa.spec).minReplicas, obj(hpa.spec).maxReplicas]).toEqual([2, 6]);
    expect(obj(byKind('PodDisruptionBudget').spec).minAvailable).toBe(1);
    const ingress = obj(byKind('NetworkPolicy').spec).ingress as Yaml[];
    expect(ingress.map((rule) => rule.ports)).toEqual([
      [{ protocol: 'TCP', port: 8000 }],
      [{ protocol: 'TCP', port: 9464 }],
    ]);
    expect(ingress[1]?.from).toEqual([
      { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } } },
    ]);
  });
});

describe('systemd units', () => {
  const UNITS = ['qnwis.service', 'qnwis-backup.service', 'qnwis-backup.timer'];

  /**
   * systemd 252's `verify` checks that every Exec*= path is executable and that the dependencies it pulls in
   * (sysinit.target, ...) exist. With `--root=DIR` both are looked up inside DIR, so the scratch root holds: the units
   * in /etc/systemd/system, stub executables for /opt/qnwis/scripts/*.sh and /bin/kill, a copy of the host's
   * /usr/lib/systemd/system (symlinks there are absolute, hence the merged-/usr links lib → usr/lib, bin → usr/bin).
   * A symlink to the host's unit directory instead does not work: its absolute links loop back into the root.
   */
  function scratchRoot(): string {
    const root = scratch('systemd');
    fs.mkdirSync(path.join(root, 'etc', 'systemd', 'system'), { recursive: true });
    fs.mkdirSync(path.join(root, 'opt', 'qnwis', 'scripts'), { recursive: true });
    fs.mkdirSync(path.join(root, 'usr', 'bin'), { recursive: true });
    fs.mkdirSync(path.join(root, 'usr', 'lib', 'systemd'), { recursive: true });
    fs.symlinkSync('usr/lib', path.join(root, 'lib'));
    fs.symlinkSync('usr/bin', path.join(root, 'bin'));
    fs.cpSync('/usr/lib/systemd/system', path.join(root, 'usr', 'lib', 'systemd', 'system'), {
      recursive: true,
      verbatimSymlinks: true,
    });
    for (const stub of ['opt/qnwis/scripts/entrypoint.sh', 'opt/qnwis/scripts/pg_backup.sh', 'usr/bin/kill'])
      fs.writeFileSync(path.join(root, stub), '#!/bin/sh\nexit 0\n', { mode: 0o755 });
    for (const unit of UNITS)
      fs.copyFileSync(path.join(SYSTEMD_DIR, unit), path.join(root, 'etc', 'systemd', 'system', unit));
    return root;
  }

  it('all three units pass `systemd-analyze verify` without findings', async () => {
    const root = scratchRoot();
    const run = await runTool('systemd-analyze', [
      'verify',
      `--root=${root}`,
      ...UNITS.map((unit) => `/etc/systemd/system/${unit}`),
    ]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
  });

  it('the same check reports a missing script (so the passing run is meaningful)', async () => {
    const root = scratchRoot();
    fs.rmSync(path.join(root, 'opt/qnwis/scripts/pg_backup.sh'));
    const run = await runTool('systemd-analyze', [
      'verify',
      `--root=${root}`,
      '/etc/systemd/system/qnwis-backup.service',
    ]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('Command /opt/qnwis/scripts/pg_backup.sh is not executable');
  });

  it('drain and hardening settings of qnwis.service', () => {
    const lines = fs.readFileSync(path.join(SYSTEMD_DIR, 'qnwis.service'), 'utf8').split('\n');
    for (const setting of [
      'KillSignal=SIGTERM',
      'KillMode=mixed',
      'TimeoutStopSec=45',
      'ExecStop=/bin/kill -s SIGTERM $MAINPID',
      'ReadWritePaths=/opt/qnwis/backups /opt/qnwis/var',
      'RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX',
    ])
      expect(lines).toContain(setting);
    expect(lines.filter((line) => line.startsWith('MemoryDenyWriteExecute'))).toEqual([]);
  });
});

describe('Prometheus files', () => {
  it('`promtool check config` accepts prometheus.yml with its rule file', async () => {
    const dir = scratch('prometheus');
    for (const file of ['prometheus.yml', 'alerts.yml'])
      fs.copyFileSync(path.join(DOCKER_DIR, 'prometheus', file), path.join(dir, file));
    const run = await runTool('promtool', ['check', 'config', path.join(dir, 'prometheus.yml')]);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('SUCCESS: 1 rule files found');
    expect(run.stdout).toContain('SUCCESS: 8 rules found');
  });

  it('`promtool check rules` finds the eight alerts', async () => {
    const run = await runTool('promtool', ['check', 'rules', 'ops/docker/prometheus/alerts.yml']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('SUCCESS: 8 rules found');
    const groups = obj(parse(fs.readFileSync(path.join(DOCKER_DIR, 'prometheus', 'alerts.yml'), 'utf8'))).groups;
    const names = (groups as { rules: { alert: string }[] }[]).flatMap((g) => g.rules.map((r) => r.alert));
    expect(names).toEqual([
      'QnwisTargetDown',
      'QnwisHighErrorRate',
      'QnwisHighLatencyP95',
      'QnwisDependencyDown',
      'QnwisAuthFailureBurst',
      'QnwisRateLimitSurge',
      'QnwisCacheHitRateLow',
      'QnwisAuditEventsDropped',
    ]);
  });

  it('`promtool test rules` passes with a firing and a non-firing case per alert', async () => {
    const run = await runTool('promtool', ['test', 'rules', 'ops/docker/prometheus/alerts.test.yml']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('SUCCESS');
    const tests = obj(parse(fs.readFileSync(path.join(DOCKER_DIR, 'prometheus', 'alerts.test.yml'), 'utf8'))).tests;
    const cases = (tests as { alert_rule_test: { alertname: string; exp_alerts: unknown[] }[] }[]).flatMap(
      (t) => t.alert_rule_test,
    );
    for (const alert of new Set(cases.map((c) => c.alertname))) {
      expect(cases.some((c) => c.alertname === alert && c.exp_alerts.length > 0)).toBe(true);
      expect(cases.some((c) => c.alertname === alert && c.exp_alerts.length === 0)).toBe(true);
    }
    expect(new Set(cases.map((c) => c.alertname)).size).toBe(8);
  });
});

describe('Dockerfile', () => {
  const text = fs.readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8');
  /** Instructions with line continuations joined and comments removed. */
  const instructions = text
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
  const runtimeStart = instructions.findIndex((line) => /^FROM .* AS runtime$/.test(line));
  const runtime = instructions.slice(runtimeStart);

  it('has a build and a runtime stage on the same Node 20 bookworm-slim base', () => {
    expect(instructions.filter((line) => line.startsWith('FROM '))).toEqual([
      'FROM ${NODE_IMAGE} AS build',
      'FROM ${NODE_IMAGE} AS runtime',
    ]);
    expect(instructions).toContain('ARG NODE_IMAGE=node:20.19-bookworm-slim');
    expect(text).toContain('docker buildx imagetools inspect');
  });

  it('builds, seeds and prunes in the build stage', () => {
    const build = instructions.slice(0, runtimeStart).join('\n');
    expect(build).toContain('RUN npm ci --no-audit --no-fund');
    expect(build).toMatch(/npm run build .*node dist\/cli\/main\.js seed --out data\/lmis .*npm ci --omit=dev/);
  });

  it('runtime: packages, user, env, ports, health check and start command of §10.1', () => {
    const body = runtime.join('\n');
    expect(body).toContain('postgresql-client-16');
    expect(body).toContain('https://apt.postgresql.org/pub/repos/apt bookworm-pgdg main');
    expect(body).toMatch(/apt-get install -y --no-install-recommends ca-certificates tini/);
    expect(body).toMatch(/useradd --system --uid 10001 --gid 10001 .*--shell \/usr\/sbin\/nologin qnwis/);
    expect(body).toContain('install -d -o 10001 -g 10001 -m 0700 /app/backups /app/var');
    expect(body).toContain('ln -s /app/dist/cli/main.js /usr/local/bin/qnwis');
    expect(body).toContain('COPY --from=build --chown=root:root --chmod=0755 /src/scripts ./scripts');
    expect(runtime).toContain('USER 10001:10001');
    expect(runtime).toContain('EXPOSE 8000 9464');
    expect(runtime).toContain('WORKDIR /app');
    expect(runtime).toContain(
      'HEALTHCHECK --interval=15s --timeout=3s --start-period=30s --retries=5 CMD ["qnwis","healthcheck"]',
    );
    expect(runtime).toContain('ENTRYPOINT ["tini","--"]');
    expect(runtime).toContain('CMD ["scripts/entrypoint.sh"]');
    expect(body).toMatch(
      /ENV NODE_ENV=production +HOST=0\.0\.0\.0 +PORT=8000 +QNWIS_STATE_DIR=\/app\/var +QNWIS_VERSION=\$\{QNWIS_VERSION\}/,
    );
    for (const label of ['version', 'revision', 'source']) expect(body).toContain(`org.opencontainers.image.${label}=`);
    // The runtime stage has no compilers, curl or dev dependencies.
    expect(body).not.toMatch(/\b(curl|gcc|g\+\+|make|python3)\b/);
  });

  it('the CLI entry keeps its shebang, so the qnwis symlink is executable', () => {
    expect(fs.readFileSync(path.join(ROOT, 'src', 'cli', 'main.ts'), 'utf8').split('\n')[0]).toBe(
      '#!/usr/bin/env node',
    );
  });

  it('.dockerignore keeps secrets, local state and tests out of the build context', () => {
    const lines = fs.readFileSync(path.join(ROOT, '.dockerignore'), 'utf8').split('\n');
    for (const entry of [
      '.git',
      'node_modules',
      'dist',
      'var',
      'backups',
      'coverage',
      'reports',
      'test',
      '**/.env',
      'ops/docker/.env',
    ])
      expect(lines).toContain(entry);
  });
});
