import type { DrainState } from './drain.js';

export interface DependencyProbe {
  name: 'postgres' | 'redis';
  check(): Promise<void>;
}

export interface ReadinessOptions {
  probes: readonly DependencyProbe[];
  timeoutMs: number;
  drain: DrainState;
  /** Startup complete (config valid, migrations verified, pools created). */
  started: () => boolean;
  onDependency?: (name: DependencyProbe['name'], up: boolean) => void;
  cacheMs?: number;
}

function withTimeout(p: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p,
    new Promise<void>((_, reject) => {
      timer = setTimeout(() => reject(new Error('timeout')), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

/** Readiness (service spec §4.1): cached for a second, concurrent probes share one check, draining bypasses the cache. */
export class ReadinessChecker {
  private last: { at: number; ready: boolean } | null = null;
  private inFlight: Promise<boolean> | null = null;
  private readonly opts: ReadinessOptions;

  constructor(opts: ReadinessOptions) {
    this.opts = opts;
  }

  async isReady(): Promise<boolean> {
    if (this.opts.drain.isDraining || !this.opts.started()) return false;
    const now = Date.now();
    if (this.last && now - this.last.at < (this.opts.cacheMs ?? 1000)) return this.last.ready;
    this.inFlight ??= this.runChecks().finally(() => {
      this.inFlight = null;
    });
    const ready = await this.inFlight;
    return ready && !this.opts.drain.isDraining;
  }

  private async runChecks(): Promise<boolean> {
    const results = await Promise.all(
      this.opts.probes.map(async (probe) => {
        try {
          await withTimeout(probe.check(), this.opts.timeoutMs);
          this.opts.onDependency?.(probe.name, true);
          return true;
        } catch {
          this.opts.onDependency?.(probe.name, false);
          return false;
        }
      }),
    );
    const ready = results.every(Boolean);
    this.last = { at: Date.now(), ready };
    return ready;
  }
}
