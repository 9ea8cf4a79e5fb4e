import { BusinessError } from './errors.js';

/**
 * Names and their limits (fleet-api §2.5). "Counts 2": a CJK (or Japanese) character counts twice
 * towards a length limit.
 */
const CJK = /[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]/u;

export function weightedLength(value: string, cjkWeight: number): number {
  let length = 0;
  for (const ch of value) length += CJK.test(ch) ? cjkWeight : 1;
  return length;
}

function isWordOrCjk(value: string): boolean {
  for (const ch of value) if (!(CJK.test(ch) || /^[A-Za-z0-9_]$/.test(ch))) return false;
  return true;
}

/** ProductName and GroupName: 4–30, CJK letters, ASCII letters, digits, `_`; CJK counts 2. */
export function isValidDisplayName(value: string): boolean {
  const length = weightedLength(value, 2);
  return length >= 4 && length <= 30 && isWordOrCjk(value);
}

/** Device nickname: 4–64, same alphabet; CJK/Japanese counts 2. */
export function isValidNickname(value: string): boolean {
  const length = weightedLength(value, 2);
  return length >= 4 && length <= 64 && isWordOrCjk(value);
}

/** DeviceName: 4–32 characters of `A–Z a–z 0–9 - _ @ . :`. */
export function isValidDeviceName(value: string): boolean {
  return /^[A-Za-z0-9\-_@.:]{4,32}$/.test(value);
}

/** fleet-api §2.1: any 1–32 ASCII letters/digits is accepted as a ProductKey (unconfirmed rule). */
export function isValidProductKey(value: string): boolean {
  return /^[A-Za-z0-9]{1,32}$/.test(value);
}

/** fleet-api §1.2: IotId of 1–64 ASCII letters/digits (unconfirmed rule). */
export function isValidIotId(value: string): boolean {
  return /^[A-Za-z0-9]{1,64}$/.test(value);
}

/** Common ProductKey checks: empty → NullProductKey, malformed → InvalidFormattedProductkey. */
export function checkProductKey(productKey: string | undefined): string {
  if (productKey === undefined || productKey === '') throw new BusinessError('iot.prod.NullProductKey');
  if (!isValidProductKey(productKey)) throw new BusinessError('iot.prod.InvalidFormattedProductkey');
  return productKey;
}
