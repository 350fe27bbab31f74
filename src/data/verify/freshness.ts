import { LRUCache } from 'lru-cache';

const DAY_MS = 86_400_000;
const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const NONE: readonly string[] = Object.freeze([]);
/** As-of dates seen by this process (one per cached result), parsed once: every answer checks its freshness. */
const parsedDays = new LRUCache<string, { day: number | null }>({ max: 4096 });

/** Midnight UTC of a `YYYY-MM-DD` that names a real date, in epoch ms; null otherwise. */
function utcDay(date: string): number | null {
  const m = ISO_DATE.exec(date);
  if (!m) return null;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  // setUTCFullYear (unlike Date.UTC) keeps years 0..99 literal; a rolled-over day such as 02-30 is rejected below.
  const back = new Date(0);
  back.setUTCFullYear(y, mo - 1, d);
  if (back.getUTCFullYear() !== y || back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d) return null;
  return back.getTime();
}

/**
 * Freshness warnings (data-layer spec §7.3), pure with an injected clock: no SLA → none; an SLA that is not a
 * non-negative integer → `freshness_invalid_sla`; no as-of date → `freshness_unknown`; age in whole UTC days
 * above the SLA → `stale_data:<age>><sla>`.
 */
export function freshnessWarnings(slaDays: unknown, asofDate: string | null, today: Date): readonly string[] {
  if (slaDays === undefined || slaDays === null) return NONE;
  if (typeof slaDays !== 'number' || !Number.isSafeInteger(slaDays) || slaDays < 0) return ['freshness_invalid_sla'];
  // As-of dates are valid or null by construction (§7.4), so an unparseable one can only mean "unknown".
  const asof = asofDate === null ? null : parsedDay(asofDate);
  if (asof === null) return ['freshness_unknown'];
  // UTC days are whole multiples of DAY_MS since the epoch (no leap seconds in ECMAScript time).
  const todayUtc = Math.floor(today.getTime() / DAY_MS) * DAY_MS;
  const age = Math.round((todayUtc - asof) / DAY_MS);
  return age > slaDays ? [`stale_data:${age}>${slaDays}`] : NONE;
}

function parsedDay(date: string): number | null {
  let known = parsedDays.get(date);
  if (known === undefined) {
    known = { day: utcDay(date) };
    parsedDays.set(date, known);
  }
  return known.day;
}
