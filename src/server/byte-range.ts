/**
 * Range requests for package downloads (RFC 9110 §14; device-protocol §4.8: the C SDK resumes with
 * `Range: bytes=start-end`). Only a single byte range is served; RFC 9110 §14.2 lets a server ignore a
 * Range header, so a multi-range or malformed one is answered with the whole file.
 */
export type RangeDecision =
  | { readonly kind: 'whole' }
  | { readonly kind: 'partial'; readonly start: number; readonly end: number }
  | { readonly kind: 'unsatisfiable' };

const WHOLE: RangeDecision = { kind: 'whole' };
const UNSATISFIABLE: RangeDecision = { kind: 'unsatisfiable' };
// range-unit is case-insensitive (RFC 9110 §14.1); optional whitespace around the one range-spec.
const SINGLE_RANGE = /^bytes=[ \t]*(\d*)[ \t]*-[ \t]*(\d*)[ \t]*$/i;

/** What to send for `header` against a representation of `size` bytes; `end` is inclusive. */
export function decideRange(header: string | undefined, size: number): RangeDecision {
  if (header === undefined) return WHOLE;
  const m = SINGLE_RANGE.exec(header);
  if (m === null) return WHOLE;
  const [, first = '', last = ''] = m;
  if (first === '' && last === '') return WHOLE;
  if (first === '') {
    // bytes=-n: the last n bytes; a zero suffix or an empty file has nothing to send (RFC 9110 §14.1.1).
    const suffix = Number(last);
    if (suffix === 0 || size === 0) return UNSATISFIABLE;
    return { kind: 'partial', start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(first);
  // last-pos < first-pos makes the range-spec invalid (RFC 9110 §14.1.1): ignored like any malformed header.
  if (last !== '' && Number(last) < start) return WHOLE;
  if (start >= size) return UNSATISFIABLE;
  return { kind: 'partial', start, end: last === '' ? size - 1 : Math.min(Number(last), size - 1) };
}

/**
 * RFC 9110 §13.1.5: a Range is honoured only if If-Range (when sent) still names this representation. An
 * entity tag is compared strongly (a weak one never matches); a date must equal Last-Modified to the second.
 */
export function ifRangeHolds(ifRange: string | undefined, etag: string, lastModifiedMs: number | undefined): boolean {
  if (ifRange === undefined) return true;
  const value = ifRange.trim();
  if (value.startsWith('"') || value.startsWith('W/')) return value === etag;
  if (lastModifiedMs === undefined) return false;
  const date = Date.parse(value);
  return !Number.isNaN(date) && Math.floor(date / 1000) === Math.floor(lastModifiedMs / 1000);
}
