/** Cache backends of data-layer spec §10.4: Redis when configured, otherwise one in-process LRU per process. */
import { Redis } from 'ioredis';
import { LRUCache } from 'lru-cache';
import { ALL_KEYS_PATTERN, queryKeyPattern } from './key.js';

/** `all` = every key of this cache generation; `{queryId}` = all override variants and registry versions of one id. */
export type KeySelection = 'all' | { queryId: string };

export interface CacheStore {
  readonly kind: 'memory' | 'redis';
  /** The stored text, or null when absent or expired. */
  get(key: string): Promise<string | null>;
  /** The stored text without waiting, for a store that holds it in this process (absent on Redis). */
  peek?(key: string): string | null;
  set(key: string, value: string, ttlS: number): Promise<void>;
  delete(key: string): Promise<void>;
  /** Removes the selected keys and returns how many existed. */
  deleteMatching(selection: KeySelection): Promise<number>;
  close(): Promise<void>;
}

function selectionPattern(selection: KeySelection): string {
  return selection === 'all' ? ALL_KEYS_PATTERN : queryKeyPattern(selection.queryId);
}

// ---------------------------------------------------------------------------------------------------------------
// In-process LRU

export interface MemoryStoreOptions {
  maxEntries: number;
  /** Bound on the UTF-8 bytes of stored values. */
  maxBytes: number;
  /** Millisecond clock for expiry; tests pass a fake one. */
  now?: () => number;
}

export class MemoryStore implements CacheStore {
  readonly kind = 'memory';
  private readonly lru: LRUCache<string, string>;

  constructor(options: MemoryStoreOptions) {
    const now = options.now;
    this.lru = new LRUCache<string, string>({
      max: options.maxEntries,
      maxSize: options.maxBytes,
      sizeCalculation: (value) => Math.max(1, Buffer.byteLength(value, 'utf8')),
      // Check the clock on every read, so an entry is never served past its TTL.
      ttlResolution: 0,
      ...(now ? { perf: { now } } : {}),
    });
  }

  async get(key: string): Promise<string | null> {
    return this.lru.get(key) ?? null;
  }

  peek(key: string): string | null {
    return this.lru.get(key) ?? null;
  }

  async set(key: string, value: string, ttlS: number): Promise<void> {
    // A value larger than maxBytes is not stored (lru-cache refuses it); the query still answers.
    this.lru.set(key, value, { ttl: ttlS * 1000 });
  }

  async delete(key: string): Promise<void> {
    this.lru.delete(key);
  }

  async deleteMatching(selection: KeySelection): Promise<number> {
    const matcher = globToRegExp(selectionPattern(selection));
    // Collect first: deleting while iterating the LRU would skip entries.
    const doomed = [...this.lru.keys()].filter((key) => matcher.test(key));
    let removed = 0;
    for (const key of doomed) if (this.lru.delete(key)) removed += 1;
    return removed;
  }

  /** Nothing to release; the per-process cache outlives any one user of it. */
  async close(): Promise<void> {}

  /** Number of live entries (for tests and diagnostics). */
  get size(): number {
    return this.lru.size;
  }

  /** UTF-8 bytes currently held. */
  get bytes(): number {
    return this.lru.calculatedSize;
  }
}

/** Redis MATCH glob restricted to what our patterns use (`*`, `?`); every other character is literal. */
function globToRegExp(pattern: string): RegExp {
  const body = [...pattern]
    .map((ch) => (ch === '*' ? '.*' : ch === '?' ? '.' : ch.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&')))
    .join('');
  return new RegExp(`^${body}$`, 's');
}

let processMemoryStore: MemoryStore | undefined;

/** The one LRU of this process; the bounds of the first call win. */
export function getMemoryStore(maxEntries: number, maxBytes: number): MemoryStore {
  processMemoryStore ??= new MemoryStore({ maxEntries, maxBytes });
  return processMemoryStore;
}

/** Drops the process LRU (tests only). */
export function resetMemoryStore(): void {
  processMemoryStore = undefined;
}

// ---------------------------------------------------------------------------------------------------------------
// Redis

export interface RedisStoreOptions {
  /** Called once per outage (first connection error after start or after the last successful connect). */
  onConnectionError?: (err: Error) => void;
  /** Keys per SCAN step during invalidation. */
  scanCount?: number;
}

export class RedisStore implements CacheStore {
  readonly kind = 'redis';
  private readonly client: Redis;
  private readonly scanCount: number;
  private connecting: Promise<void> | null = null;
  private outageReported = false;

  constructor(url: string, options: RedisStoreOptions = {}) {
    this.scanCount = options.scanCount ?? 1000;
    // Fail fast: no offline queue and short timeouts, so a down Redis costs a query at most one connect attempt.
    this.client = new Redis(url, {
      lazyConnect: true,
      connectTimeout: 1000,
      commandTimeout: 250,
      maxRetriesPerRequest: 1,
      enableOfflineQueue: false,
    });
    this.client.on('error', (err: Error) => {
      if (this.outageReported) return;
      this.outageReported = true;
      options.onConnectionError?.(err);
    });
    this.client.on('ready', () => {
      this.outageReported = false;
    });
  }

  async get(key: string): Promise<string | null> {
    await this.ready();
    return this.client.get(key);
  }

  async set(key: string, value: string, ttlS: number): Promise<void> {
    await this.ready();
    await this.client.set(key, value, 'EX', ttlS);
  }

  async delete(key: string): Promise<void> {
    await this.ready();
    await this.client.unlink(key);
  }

  async deleteMatching(selection: KeySelection): Promise<number> {
    const pattern = selectionPattern(selection);
    await this.ready();
    let cursor = '0';
    let removed = 0;
    do {
      const [next, keys] = await this.client.scan(cursor, 'MATCH', pattern, 'COUNT', this.scanCount);
      cursor = next;
      // UNLINK counts only keys that still existed, so keys SCAN reports twice are not counted twice.
      if (keys.length > 0) removed += await this.client.unlink(...keys);
    } while (cursor !== '0');
    return removed;
  }

  async close(): Promise<void> {
    if (this.client.status === 'end') return;
    if (this.client.status === 'ready') {
      try {
        await this.client.quit();
        return;
      } catch {
        // Fall through to a hard disconnect.
      }
    }
    this.client.disconnect();
  }

  /** With lazyConnect and no offline queue the first command must wait for the connection explicitly. */
  private async ready(): Promise<void> {
    if (this.client.status === 'wait') {
      this.connecting ??= this.client.connect().finally(() => {
        this.connecting = null;
      });
    }
    if (this.connecting) await this.connecting;
  }
}
