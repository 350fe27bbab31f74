/**
 * Reading the repository's analysis configuration files (config/*.yaml) and the small validation helpers their
 * loaders share. Nothing here knows what a key means.
 */
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

/** A configuration file that cannot be read or does not validate; `issues` lists every problem found. */
export class AnalysisConfigError extends Error {
  constructor(
    readonly file: string,
    readonly issues: string[],
  ) {
    super(`invalid analysis configuration ${file}: ${issues.join('; ')}`);
    this.name = 'AnalysisConfigError';
  }
}

/** Absolute path of `config/<name>` in the repository (works from src/ under tsx and from dist/). */
export function repositoryConfigPath(name: string): string {
  return fileURLToPath(new URL(`../../../config/${name}`, import.meta.url));
}

/** Parses a YAML file into a plain value; unreadable or malformed files raise AnalysisConfigError. */
export function readYamlFile(file: string): unknown {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new AnalysisConfigError(file, [`cannot read: ${(err as Error).message}`]);
  }
  try {
    return parse(text) as unknown;
  } catch (err) {
    throw new AnalysisConfigError(file, [`not valid YAML: ${(err as Error).message}`]);
  }
}

/** Collects validation problems with their key paths. */
export class Checker {
  readonly issues: string[] = [];

  obj(value: unknown, path: string): Record<string, unknown> {
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) return value as Record<string, unknown>;
    this.issues.push(`${path} must be a mapping`);
    return {};
  }

  num(value: unknown, path: string, min = -Infinity, max = Infinity): number {
    if (typeof value === 'number' && Number.isFinite(value) && value >= min && value <= max) return value;
    this.issues.push(`${path} must be a number in [${min}, ${max}]`);
    return Number.isFinite(min) ? min : 0;
  }

  int(value: unknown, path: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
    if (typeof value === 'number' && Number.isSafeInteger(value) && value >= min && value <= max) return value;
    this.issues.push(`${path} must be an integer in [${min}, ${max}]`);
    return min;
  }

  str(value: unknown, path: string): string {
    if (typeof value === 'string' && value.length > 0) return value;
    this.issues.push(`${path} must be a non-empty string`);
    return '';
  }

  strList(value: unknown, path: string): string[] {
    if (!Array.isArray(value)) {
      this.issues.push(`${path} must be a list of strings`);
      return [];
    }
    const out: string[] = [];
    value.forEach((v, i) => {
      // YAML reads words such as "No" or "On" as strings in YAML 1.2, but numbers stay numbers: accept scalars.
      if (typeof v === 'string' && v.length > 0) out.push(v);
      else if (typeof v === 'number' || typeof v === 'boolean') out.push(String(v));
      else this.issues.push(`${path}[${i}] must be a non-empty string`);
    });
    return out;
  }

  unknownKeys(value: Record<string, unknown>, allowed: readonly string[], path: string): void {
    for (const k of Object.keys(value)) if (!allowed.includes(k)) this.issues.push(`${path}.${k} is not a known key`);
  }
}
