import type { RawEnv } from './resolve.js';

/** The process environment: the one place outside tests where it is read (spec §7.1). */
export function processEnv(): RawEnv {
  return process.env;
}
