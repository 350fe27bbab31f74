import fs from 'node:fs';
import { describe, expect, it } from 'vitest';

const en = JSON.parse(fs.readFileSync('web/src/i18n/en.json', 'utf8')) as Record<string, string>;
const ar = JSON.parse(fs.readFileSync('web/src/i18n/ar.json', 'utf8')) as Record<string, string>;

describe('UI catalogues', () => {
  it('have the same key set in English and Arabic', () => {
    expect(Object.keys(ar).sort()).toEqual(Object.keys(en).sort());
  });

  it('have no empty texts and the same placeholders in both languages', () => {
    const placeholders = (s: string) => [...s.matchAll(/\{([a-z_]+)\}/g)].map((m) => m[1]).sort();
    for (const key of Object.keys(en)) {
      expect(en[key]!.trim(), key).not.toBe('');
      expect(ar[key]!.trim(), key).not.toBe('');
      expect(placeholders(ar[key]!), key).toEqual(placeholders(en[key]!));
    }
  });

  it('cover every key the app names literally', () => {
    const sources = fs
      .readdirSync('web/src', { recursive: true, encoding: 'utf8' })
      .filter((f) => f.endsWith('.ts'))
      .map((f) => fs.readFileSync(`web/src/${f}`, 'utf8'))
      .join('\n');
    const used = new Set([...sources.matchAll(/\bt\('([a-z_.0-9-]+)'/g)].map((m) => m[1]!));
    expect(used.size).toBeGreaterThan(100);
    for (const key of used) expect(en, key).toHaveProperty([key]);
  });
});
