import type { AppConfig } from '../config/app-config.js';

/** Secret values that the log scrubber replaces wherever they appear. */
export function secretValues(config: AppConfig): string[] {
  const values = Object.values(config.secrets).filter((v): v is string => typeof v === 'string' && v.length >= 8);
  for (const url of [config.database.mode === 'postgres' ? config.database.url : undefined, config.redisUrl]) {
    if (!url) continue;
    try {
      const pw = decodeURIComponent(new URL(url).password);
      if (pw.length >= 4) values.push(pw);
    } catch {
      // not a URL: nothing to add
    }
  }
  return values;
}
