const DAY_MS = 86_400_000;
const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

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
export function freshnessWarnings(slaDays: unknown, asofDate: string | null, today: Date): string[] {
  if (slaDays === undefined || slaDays === null) return [];
  if (typeof slaDays !== 'number' || !Number.isSafeInteger(slaDays) || slaDays < 0) return ['freshness_invalid_sla'];
  // As-of dates are valid or null by construction (§7.4), so an unparseable one can only mean "unknown".
  const asof = asofDate === null ? null : utcDay(asofDate);
  if (asof === null) return ['freshness_unknown'];
  const todayUtc = Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), today.getUTCDate());
  const age = Math.round((todayUtc - asof) / DAY_MS);
  return age > slaDays ? [`stale_data:${age}>${slaDays}`] : [];
}
