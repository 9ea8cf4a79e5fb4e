import { describe, expect, it } from 'vitest';
import { decideRange, ifRangeHolds } from '../../src/server/byte-range.js';

describe('decideRange (RFC 9110 §14, single ranges only)', () => {
  const size = 1000;
  it.each([
    ['bytes=0-499', { kind: 'partial', start: 0, end: 499 }],
    ['bytes=500-', { kind: 'partial', start: 500, end: 999 }],
    ['bytes=-200', { kind: 'partial', start: 800, end: 999 }],
    ['bytes=-5000', { kind: 'partial', start: 0, end: 999 }],
    ['bytes=990-5000', { kind: 'partial', start: 990, end: 999 }],
    ['bytes=999-999', { kind: 'partial', start: 999, end: 999 }],
    ['Bytes=1-2', { kind: 'partial', start: 1, end: 2 }],
    ['bytes=1000-', { kind: 'unsatisfiable' }],
    ['bytes=1000-2000', { kind: 'unsatisfiable' }],
    ['bytes=-0', { kind: 'unsatisfiable' }],
    ['bytes=0-1,3-4', { kind: 'whole' }],
    ['bytes=5-4', { kind: 'whole' }],
    ['bytes=-', { kind: 'whole' }],
    ['bytes=a-b', { kind: 'whole' }],
    ['bytes=0x10-', { kind: 'whole' }],
    ['pages=0-1', { kind: 'whole' }],
    ['', { kind: 'whole' }],
  ])('%s', (header, expected) => {
    expect(decideRange(header, size)).toEqual(expected);
  });

  it('sends the whole file without a Range header, and nothing of an empty file', () => {
    expect(decideRange(undefined, size)).toEqual({ kind: 'whole' });
    expect(decideRange('bytes=0-', 0)).toEqual({ kind: 'unsatisfiable' });
    expect(decideRange('bytes=-1', 0)).toEqual({ kind: 'unsatisfiable' });
  });
});

describe('ifRangeHolds (RFC 9110 §13.1.5)', () => {
  const etag = '"0123456789abcdef0123456789abcdef"';
  const modified = Date.UTC(2026, 10, 2, 8, 15, 30, 456);
  it('compares entity tags strongly and dates to the second', () => {
    expect(ifRangeHolds(undefined, etag, modified)).toBe(true);
    expect(ifRangeHolds(etag, etag, modified)).toBe(true);
    expect(ifRangeHolds(` ${etag} `, etag, modified)).toBe(true);
    expect(ifRangeHolds(`W/${etag}`, etag, modified)).toBe(false);
    expect(ifRangeHolds('"other"', etag, modified)).toBe(false);
    expect(ifRangeHolds(new Date(modified).toUTCString(), etag, modified)).toBe(true);
    expect(ifRangeHolds(new Date(modified - 1000).toUTCString(), etag, modified)).toBe(false);
    expect(ifRangeHolds('not a date', etag, modified)).toBe(false);
    expect(ifRangeHolds(new Date(modified).toUTCString(), etag, undefined)).toBe(false);
  });
});
