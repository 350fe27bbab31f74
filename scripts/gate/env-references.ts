/**
 * The artefact half of the environment-catalogue consistency rules (service spec §7.1); the catalogue ↔
 * SECURE_ENV_REFERENCE.md ↔ README half is test/config/catalogue-docs.test.ts, which the gate runs as it is.
 * Rules here: every variable a scripts/**\/*.sh file expands is a `scripts` (or `entrypoint`) row; every `${VAR}` of
 * the compose file is a `compose` or `service` row; every key of ops/docker/.env.example, the k8s ConfigMap and the
 * Secret template (commented optional keys included) is a row; every row required in prod is set in .env.example.
 */
import { parseAllDocuments } from 'yaml';
import type { Consumer, VarSpec } from '../../src/config/catalogue.js';

/** Variables bash itself or the locale provides; expanding them is not configuration. */
const SHELL_VARIABLES = new Set([
  'BASH_SOURCE',
  'BASH_REMATCH',
  'BASH_LINENO',
  'BASHPID',
  'FUNCNAME',
  'LINENO',
  'PIPESTATUS',
  'RANDOM',
  'SECONDS',
  'EUID',
  'UID',
  'PPID',
  'IFS',
  'OPTARG',
  'OPTIND',
  'REPLY',
  'HOSTNAME',
  'PATH',
  'HOME',
  'PWD',
  'OLDPWD',
  'TMPDIR',
  'LANG',
  'LC_ALL',
]);

function withoutCommentLines(text: string): string[] {
  return text.split('\n').filter((line) => !line.trimStart().startsWith('#'));
}

/** Upper-case variables a shell script expands (`$NAME`, `${NAME…}`), shell-provided ones left out. */
export function shellVariables(text: string): Set<string> {
  const names = new Set<string>();
  for (const line of withoutCommentLines(text))
    for (const m of line.matchAll(/\$\{?([A-Z][A-Z0-9_]*)/g)) if (!SHELL_VARIABLES.has(m[1]!)) names.add(m[1]!);
  return names;
}

/** Variables compose interpolates (`${NAME…}` or `$NAME`), leaving out `$$NAME` (expanded in the container). */
export function composeVariables(text: string): Set<string> {
  const names = new Set<string>();
  for (const line of withoutCommentLines(text))
    for (const m of line.matchAll(/(?<!\$)\$\{?([A-Z_][A-Z0-9_]*)/g)) names.add(m[1]!);
  return names;
}

/** Keys of an env file, `NAME=value` lines and commented `# NAME=value` lines. */
export function envFileKeys(text: string): { set: Set<string>; commented: Set<string> } {
  const set = new Set<string>();
  const commented = new Set<string>();
  for (const line of text.split('\n')) {
    const active = /^\s*(?:export\s+)?([A-Z][A-Z0-9_]*)=/.exec(line);
    if (active) set.add(active[1]!);
    const inactive = /^\s*#\s*([A-Z][A-Z0-9_]*)=/.exec(line);
    if (inactive) commented.add(inactive[1]!);
  }
  return { set, commented };
}

/** Keys of ConfigMap `data` and Secret `data`/`stringData` in a manifest, plus commented `# NAME: value` keys. */
export function manifestKeys(text: string): Set<string> {
  const keys = new Set<string>();
  for (const doc of parseAllDocuments(text)) {
    const object = doc.toJS() as { kind?: unknown; data?: unknown; stringData?: unknown } | null;
    if (object === null || (object.kind !== 'ConfigMap' && object.kind !== 'Secret')) continue;
    for (const section of [object.data, object.stringData])
      if (typeof section === 'object' && section !== null) for (const key of Object.keys(section)) keys.add(key);
  }
  for (const m of text.matchAll(/^\s+#\s*([A-Z][A-Z0-9_]*):\s/gm)) keys.add(m[1]!);
  return keys;
}

export interface ArtefactTexts {
  /** Repository-relative path → content, for every scripts/**\/*.sh. */
  scripts: ReadonlyMap<string, string>;
  compose: string;
  envExample: string;
  /** Repository-relative path → content of the ConfigMap and Secret template manifests. */
  manifests: ReadonlyMap<string, string>;
}

/** Problems found, one line each; empty when every rule holds. */
export function envReferenceProblems(catalogue: readonly VarSpec[], texts: ArtefactTexts): string[] {
  const byName = new Map(catalogue.map((v) => [v.name, v]));
  const hasConsumer = (name: string, consumers: readonly Consumer[]): boolean =>
    byName.get(name)?.consumers.some((c) => consumers.includes(c)) ?? false;
  const problems: string[] = [];
  for (const [file, text] of texts.scripts)
    for (const name of [...shellVariables(text)].sort())
      if (!hasConsumer(name, ['scripts', 'entrypoint']))
        problems.push(
          byName.has(name)
            ? `${file}: ${name} is a catalogue row but not with consumer scripts`
            : `${file}: ${name} is not in the catalogue`,
        );
  for (const name of [...composeVariables(texts.compose)].sort())
    if (!hasConsumer(name, ['compose', 'service']))
      problems.push(
        byName.has(name)
          ? `ops/docker/docker-compose.prod.yml: ${name} is a catalogue row but not with consumer compose or service`
          : `ops/docker/docker-compose.prod.yml: ${name} is not in the catalogue`,
      );
  const env = envFileKeys(texts.envExample);
  for (const name of [...env.set, ...env.commented].sort())
    if (!byName.has(name)) problems.push(`ops/docker/.env.example: ${name} is not in the catalogue`);
  for (const [file, text] of texts.manifests)
    for (const name of [...manifestKeys(text)].sort())
      if (!byName.has(name)) problems.push(`${file}: ${name} is not in the catalogue`);
  for (const spec of catalogue)
    if (spec.requiredInProd && !env.set.has(spec.name))
      problems.push(`ops/docker/.env.example: ${spec.name} is required in prod but not set`);
  return problems;
}
