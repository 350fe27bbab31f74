import YAML from 'yaml';
import type { SpecIssue } from './issues.js';

const ROOT = '(root)';
const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Parses one spec file under the YAML 1.2 core schema and rejects the features the registry forbids
 * (anchors, aliases, merge keys, explicit tags, duplicate keys). Returns the plain value or issues.
 */
export function parseSpecYaml(bytes: Uint8Array): { value?: unknown; issues: SpecIssue[] } {
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    return { issues: [{ path: ROOT, code: 'yaml_syntax', message: 'file is not valid UTF-8' }] };
  }
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  // parseDocument is about twice as fast as parseAllDocuments and reports a second document as MULTIPLE_DOCS.
  const doc = YAML.parseDocument(text, {
    version: '1.2',
    schema: 'core',
    uniqueKeys: true,
    merge: false,
    prettyErrors: false,
    strict: true,
  });
  const issues: SpecIssue[] = [];
  for (const err of doc.errors) {
    if (err.code === 'MULTIPLE_DOCS') {
      return { issues: [{ path: ROOT, code: 'yaml_syntax', message: 'several documents; exactly one allowed' }] };
    }
    if (err.code === 'DUPLICATE_KEY') {
      issues.push({ path: ROOT, code: 'yaml_feature', message: `duplicate mapping key (${firstLine(err.message)})` });
    } else {
      issues.push({ path: ROOT, code: 'yaml_syntax', message: firstLine(err.message) });
    }
  }
  if (issues.length > 0) return { issues };
  YAML.visit(doc, {
    Alias() {
      issues.push({ path: ROOT, code: 'yaml_feature', message: 'aliases are not allowed' });
    },
    Node(_key, node) {
      if ('anchor' in node && node.anchor) {
        issues.push({ path: ROOT, code: 'yaml_feature', message: `anchor &${node.anchor} is not allowed` });
      }
      if ('tag' in node && node.tag) {
        issues.push({ path: ROOT, code: 'yaml_feature', message: `explicit tag ${node.tag} is not allowed` });
      }
    },
    Pair(_key, pair) {
      if (YAML.isScalar(pair.key) && pair.key.value === '<<') {
        issues.push({ path: ROOT, code: 'yaml_feature', message: 'merge keys (<<) are not allowed' });
      }
    },
  });
  if (issues.length > 0) return { issues: dedupe(issues) };
  const value: unknown = doc.toJS({ maxAliasCount: 0 });
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return { issues: [{ path: ROOT, code: 'yaml_syntax', message: 'root must be a mapping' }] };
  }
  return { value, issues: [] };
}

function firstLine(message: string): string {
  return message.split('\n')[0]!.trim();
}

function dedupe(issues: SpecIssue[]): SpecIssue[] {
  const seen = new Set<string>();
  return issues.filter((i) => {
    const k = `${i.code}|${i.message}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}
