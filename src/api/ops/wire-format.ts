/**
 * Time formats of the answers (fleet-api §1.5, ota-api §1.4). Wire concerns only: the domain hands out
 * epoch milliseconds.
 */

/** `Utc*` fields: ISO 8601 UTC with exactly three fractional digits. */
export function utc(ms: number): string {
  return new Date(ms).toISOString();
}

/**
 * The `yyyy-MM-dd HH:mm:ss` "Gmt" fields of QueryDeviceDetail & co.: in Alibaba's samples the UTC value
 * shifted to China time despite the name; the offset is the FLOTILLA_GMT_OFFSET setting.
 */
export function gmtLocal(ms: number, offsetMinutes: number): string {
  return new Date(ms + offsetMinutes * 60_000).toISOString().slice(0, 19).replace('T', ' ');
}

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** QueryDevice's `GmtCreate`/`GmtModified`: cookie-date style, true GMT (`Mon, 02-Mar-2026 08:15:30 GMT`). */
export function cookieDate(ms: number): string {
  const d = new Date(ms);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${DAYS[d.getUTCDay()]}, ${pad(d.getUTCDate())}-${MONTHS[d.getUTCMonth()]}-${d.getUTCFullYear()} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} GMT`;
}

/** Drops keys whose value is undefined: absent values are omitted, never null (fleet-api §1.3). */
export function compact<T extends Record<string, unknown>>(fields: T): T {
  for (const key of Object.keys(fields)) if (fields[key] === undefined) delete fields[key];
  return fields;
}
