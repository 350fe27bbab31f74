/**
 * The minister briefing as the dashboard serves it (ui.md §5.6, §6 `GET /briefing`, §7.1 `briefing.md`): one
 * briefing per registry version, kept for `QNWIS_BRIEFING_TTL_S` (300 s) in this process so that `generated_at` and
 * the ETag stay stable, built at most once at a time (concurrent requests share the build; failures are not kept).
 */
import type { BriefingResponse } from '../analysis/briefing.js';
import { SYNTHETIC_LICENSE } from '../analysis/briefing.js';
import { plainText } from './ui-answer.js';

/** Builds one briefing; `requestId` is the request that triggered the build. */
export type BriefingBuilder = (requestId: string) => Promise<BriefingResponse>;

export interface CachedBriefing {
  briefing: BriefingResponse;
  /** ISO 8601 UTC time the build finished. */
  generatedAt: string;
  registryVersion: string;
}

export interface BriefingCacheOptions {
  build: BriefingBuilder;
  /** The registry version the cache entry belongs to (a new version rebuilds). */
  registryVersion: () => string;
  /** Seconds an entry is served (QNWIS_BRIEFING_TTL_S, default 300); 0 rebuilds every time. */
  ttlS?: number;
  now?: () => Date;
}

export const DEFAULT_BRIEFING_TTL_S = 300;

export class BriefingCache {
  private readonly ttlMs: number;
  private readonly now: () => Date;
  private entry: { value: CachedBriefing; expiresAt: number } | null = null;
  private pending: { version: string; promise: Promise<CachedBriefing> } | null = null;

  constructor(private readonly opts: BriefingCacheOptions) {
    const ttl = opts.ttlS ?? DEFAULT_BRIEFING_TTL_S;
    if (!Number.isFinite(ttl) || ttl < 0) throw new RangeError('ttlS must be a non-negative number');
    this.ttlMs = ttl * 1000;
    this.now = opts.now ?? (() => new Date());
  }

  /** The current briefing, built when there is none for this registry version or it is older than the TTL. */
  get(requestId: string): Promise<CachedBriefing> {
    const version = this.opts.registryVersion();
    const at = this.now().getTime();
    if (this.entry && this.entry.value.registryVersion === version && at < this.entry.expiresAt) {
      return Promise.resolve(this.entry.value);
    }
    if (this.pending && this.pending.version === version) return this.pending.promise;
    const promise = this.opts.build(requestId).then((briefing) => {
      const finished = this.now();
      const value: CachedBriefing = { briefing, generatedAt: finished.toISOString(), registryVersion: version };
      if (this.ttlMs > 0) this.entry = { value, expiresAt: finished.getTime() + this.ttlMs };
      return value;
    });
    const pending = { version, promise };
    this.pending = pending;
    const clear = (): void => {
      if (this.pending === pending) this.pending = null;
    };
    promise.then(clear, clear);
    return promise;
  }
}

/** `GET /api/v1/ui/briefing` body (ui.md §6). */
export interface UiBriefing {
  title: string;
  generated_at: string;
  data_mode: 'synthetic' | 'live';
  headline: string[];
  /** Key → value; null when the metric is not available. */
  key_metrics: Record<string, number | null>;
  red_flags: string[];
  /** Up to 10 distinct locators: query sources first, then derived results. */
  provenance: string[];
  min_confidence: number | null;
  licenses: string[];
}

export const MAX_PROVENANCE_LOCATORS = 10;

export function uiBriefing(cached: CachedBriefing): UiBriefing {
  const b = cached.briefing;
  const locators = [
    ...b.provenance.filter((p) => p.kind === 'query'),
    ...b.provenance.filter((p) => p.kind !== 'query'),
  ].map((p) => p.locator);
  return {
    title: b.title,
    generated_at: cached.generatedAt,
    data_mode: b.licenses.includes(SYNTHETIC_LICENSE) ? 'synthetic' : 'live',
    headline: b.headline.map(plainText),
    key_metrics: Object.fromEntries(b.key_metrics.map((m) => [m.key, m.value])),
    red_flags: b.red_flags.map((f) => plainText(f.message)),
    provenance: [...new Set(locators)].slice(0, MAX_PROVENANCE_LOCATORS),
    min_confidence: b.min_confidence,
    licenses: [...b.licenses],
  };
}
