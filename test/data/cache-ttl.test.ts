import { describe, it, expect } from 'vitest';
import { resolveTtl } from '../../src/data/cache/ttl.js';
import { DataError } from '../../src/data/errors.js';

function ttlErrorCode(requestTtl: unknown): string | undefined {
  try {
    resolveTtl(requestTtl, undefined, 3600);
  } catch (err) {
    return err instanceof DataError ? err.code : 'not a DataError';
  }
  return undefined;
}

describe('resolveTtl (spec §10.3)', () => {
  it('request TTL 0 bypasses, whatever the spec and default say', () => {
    expect(resolveTtl(0, 600, 3600)).toEqual({ mode: 'bypass' });
    expect(resolveTtl('0', undefined, 3600)).toEqual({ mode: 'bypass' });
  });

  it('clamps request TTLs to 60..86400', () => {
    expect(resolveTtl(1, undefined, 3600)).toEqual({ mode: 'cache', ttlS: 60 });
    expect(resolveTtl(59, undefined, 3600)).toEqual({ mode: 'cache', ttlS: 60 });
    expect(resolveTtl(60, undefined, 3600)).toEqual({ mode: 'cache', ttlS: 60 });
    expect(resolveTtl(86400, undefined, 3600)).toEqual({ mode: 'cache', ttlS: 86400 });
    expect(resolveTtl(86401, undefined, 3600)).toEqual({ mode: 'cache', ttlS: 86400 });
    expect(resolveTtl('120', 0, 3600)).toEqual({ mode: 'cache', ttlS: 120 });
  });

  it('rejects negative and non-integer request TTLs with invalid_ttl', () => {
    for (const bad of [-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, '-5', '1.5', ' 60', '', 'abc', true, [60], {}]) {
      expect(ttlErrorCode(bad)).toBe('invalid_ttl');
    }
  });

  it('falls back to the spec cache_ttl_s, where 0 means never cache', () => {
    expect(resolveTtl(undefined, 600, 3600)).toEqual({ mode: 'cache', ttlS: 600 });
    expect(resolveTtl(null, 0, 3600)).toEqual({ mode: 'nocache' });
  });

  it('falls back to the default, where 0 means never cache', () => {
    expect(resolveTtl(undefined, undefined, 3600)).toEqual({ mode: 'cache', ttlS: 3600 });
    expect(resolveTtl(undefined, undefined, 0)).toEqual({ mode: 'nocache' });
    expect(() => resolveTtl(undefined, undefined, -1)).toThrow(DataError);
  });
});
