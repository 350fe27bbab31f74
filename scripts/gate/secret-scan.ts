/**
 * Secret scan of the tracked files (service spec §11.2 `security`): API keys, private-key blocks, JWT-shaped strings,
 * URLs with a password that is not a placeholder, and tracked .env files other than *.example. Findings are
 * identified by rule, file and a fingerprint of the matched text, so neither the report nor the allowlist repeats
 * the secret.
 */
import { createHash } from 'node:crypto';
import path from 'node:path';

export const SECRET_RULES = ['api-key', 'private-key', 'jwt', 'url-password', 'env-file'] as const;
export type SecretRule = (typeof SECRET_RULES)[number];

export interface SecretFinding {
  rule: SecretRule;
  /** Repository-relative path, `/`-separated. */
  file: string;
  /** 1-based line; 0 for findings about the file itself (env-file). */
  line: number;
  /** First 16 hex digits of the SHA-256 of the matched text (of the path for env-file). */
  fingerprint: string;
  /** The match with everything after its first characters masked. */
  excerpt: string;
}

interface TextRule {
  rule: Exclude<SecretRule, 'env-file'>;
  pattern: RegExp;
  /** For url-password: the password group must not be a placeholder. */
  accept?: (match: RegExpExecArray) => boolean;
}

/** Placeholder passwords in URLs: markers, variable references, masks, templates and documentation words. */
export function isPlaceholderPassword(password: string): boolean {
  let value = password;
  try {
    value = decodeURIComponent(password);
  } catch {
    // keep the raw text
  }
  return (
    /change_?me/i.test(value) ||
    value.includes('${') ||
    /^\$[A-Za-z_][A-Za-z0-9_]*$/.test(value) ||
    /^\*+$/.test(value) ||
    /^<[^<>]+>$/.test(value) ||
    /^\{[^{}]+\}$/.test(value) ||
    /^(x+|X+|\.{3}|…)$/.test(value) ||
    /^(password|passwd|pass|pwd|pw|secret)$/i.test(value)
  );
}

const TEXT_RULES: readonly TextRule[] = [
  // service spec §2.2 key format, unanchored but not inside a longer token.
  { rule: 'api-key', pattern: /(?<![A-Za-z0-9_-])qnwis_[0-9a-f]{12}_[A-Za-z0-9_-]{43}(?![A-Za-z0-9_-])/g },
  // PEM and OpenSSH private keys, PGP private key blocks.
  { rule: 'private-key', pattern: /-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----/g },
  // Header and payload are base64url JSON objects ("eyJ" = '{"'); the signature may be empty (alg none).
  {
    rule: 'jwt',
    pattern: /(?<![A-Za-z0-9_-])eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*(?![A-Za-z0-9_-])/g,
  },
  // scheme://user:password@host; the password must not be a placeholder.
  {
    rule: 'url-password',
    pattern: /\b[a-z][a-z0-9+.-]*:\/\/[^\s:/?#@'"`<>]*:([^\s/?#@'"`]+)@[^\s/?#@'"`]/gi,
    accept: (m) => !isPlaceholderPassword(m[1]!),
  },
];

export function fingerprint(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 16);
}

function mask(text: string): string {
  const keep = Math.min(8, Math.floor(text.length / 3));
  return `${text.slice(0, keep)}…(${text.length} chars)`;
}

/** True for a tracked file name that is an environment file other than a *.example template. */
export function isEnvFileName(file: string): boolean {
  const base = path.posix.basename(file.split(path.sep).join('/'));
  if (base.endsWith('.example')) return false;
  return base === '.env' || base.startsWith('.env.') || base.endsWith('.env');
}

/** Findings in one file's text (and its name). Binary content (a NUL byte) is not scanned. */
export function scanFile(file: string, text: string): SecretFinding[] {
  const findings: SecretFinding[] = [];
  if (isEnvFileName(file))
    findings.push({ rule: 'env-file', file, line: 0, fingerprint: fingerprint(file), excerpt: file });
  if (text.includes('\0')) return findings;
  const lines = text.split('\n');
  for (const [index, line] of lines.entries()) {
    for (const { rule, pattern, accept } of TEXT_RULES) {
      pattern.lastIndex = 0;
      for (let m = pattern.exec(line); m !== null; m = pattern.exec(line)) {
        if (accept && !accept(m)) continue;
        findings.push({ rule, file, line: index + 1, fingerprint: fingerprint(m[0]), excerpt: mask(m[0]) });
      }
    }
  }
  return findings;
}

export interface AllowlistEntry {
  file: string;
  rule: SecretRule;
  /** Fingerprints of the allowed matches; every one must still occur. */
  fingerprints: string[];
  justification: string;
}

export class AllowlistError extends Error {
  override name = 'AllowlistError';
}

/**
 * Validates the allowlist file's content: `{ "entries": [ { file, rule, fingerprints: [...], justification } ] }`.
 * Every entry names one file and rule, at least one fingerprint, and a justification of at least 20 characters.
 */
export function parseAllowlist(raw: unknown): AllowlistEntry[] {
  const entries = (raw as { entries?: unknown } | null)?.entries;
  if (typeof raw !== 'object' || raw === null || !Array.isArray(entries))
    throw new AllowlistError('the allowlist must be an object with an "entries" array');
  const keys = Object.keys(raw);
  if (keys.some((k) => k !== 'entries' && k !== '$comment'))
    throw new AllowlistError(`unexpected top-level keys: ${keys.filter((k) => k !== 'entries').join(', ')}`);
  return entries.map((entry: unknown, i): AllowlistEntry => {
    const where = `entries[${i}]`;
    if (typeof entry !== 'object' || entry === null) throw new AllowlistError(`${where} is not an object`);
    const e = entry as Record<string, unknown>;
    const extra = Object.keys(e).filter((k) => !['file', 'rule', 'fingerprints', 'justification'].includes(k));
    if (extra.length > 0) throw new AllowlistError(`${where} has unexpected keys: ${extra.join(', ')}`);
    if (typeof e.file !== 'string' || e.file === '') throw new AllowlistError(`${where}.file must be a path`);
    if (typeof e.rule !== 'string' || !(SECRET_RULES as readonly string[]).includes(e.rule))
      throw new AllowlistError(`${where}.rule must be one of ${SECRET_RULES.join(', ')}`);
    if (
      !Array.isArray(e.fingerprints) ||
      e.fingerprints.length === 0 ||
      !e.fingerprints.every((f) => typeof f === 'string' && /^[0-9a-f]{16}$/.test(f))
    )
      throw new AllowlistError(`${where}.fingerprints must be a non-empty list of 16-hex fingerprints`);
    if (typeof e.justification !== 'string' || e.justification.trim().length < 20)
      throw new AllowlistError(`${where}.justification must explain the entry (at least 20 characters)`);
    return {
      file: e.file,
      rule: e.rule as SecretRule,
      fingerprints: e.fingerprints as string[],
      justification: e.justification,
    };
  });
}

export interface ScanVerdict {
  /** Findings no entry allows. */
  reported: SecretFinding[];
  allowed: SecretFinding[];
  /** Entry fingerprints that match no finding any more (stale entries must be removed). */
  stale: { entry: AllowlistEntry; fingerprint: string }[];
}

export function applyAllowlist(findings: readonly SecretFinding[], entries: readonly AllowlistEntry[]): ScanVerdict {
  const allows = (f: SecretFinding, e: AllowlistEntry): boolean =>
    e.file === f.file && e.rule === f.rule && e.fingerprints.includes(f.fingerprint);
  const reported = findings.filter((f) => !entries.some((e) => allows(f, e)));
  const allowed = findings.filter((f) => entries.some((e) => allows(f, e)));
  const stale = entries.flatMap((entry) =>
    entry.fingerprints
      .filter((fp) => !findings.some((f) => f.file === entry.file && f.rule === entry.rule && f.fingerprint === fp))
      .map((fp) => ({ entry, fingerprint: fp })),
  );
  return { reported, allowed, stale };
}

export function formatFinding(f: SecretFinding): string {
  return `${f.file}${f.line > 0 ? `:${f.line}` : ''} ${f.rule} ${f.excerpt} (fingerprint ${f.fingerprint})`;
}
