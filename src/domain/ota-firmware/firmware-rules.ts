import { BusinessError } from '../errors.js';

/** ota-api §2.2 limits of CreateOTAFirmware. */
export const firmwareLimits = {
  nameChars: 40,
  descChars: 100,
  udiChars: 4096,
  // DOC text says 20 (META maxItems 21): enforce 20.
  multiFiles: 20,
  fileNameChars: 32,
} as const;

export type SignMethod = 'MD5' | 'SHA256';

// CJK and Japanese as in fleet-rules (Han and kana).
const CJK = '\\u3040-\\u30ff\\u3400-\\u4dbf\\u4e00-\\u9fff\\uf900-\\ufaff';
const FIRMWARE_NAME = new RegExp(`^[${CJK}A-Za-z0-9][${CJK}A-Za-z0-9_()\\-]*$`, 'u');
const VERSION = /^[A-Za-z0-9._-]{1,64}$/;

/** FirmwareName: 1–40 characters, must start with CJK/Japanese/letter/digit; else IncorrectFormattedFirmwareName. */
export function checkFirmwareName(name: string): void {
  if ([...name].length > firmwareLimits.nameChars || !FIRMWARE_NAME.test(name)) {
    throw new BusinessError('iot.firmware.IncorrectFormattedFirmwareName');
  }
}

/** DestVersion / SrcVersion: `^[A-Za-z0-9._-]{1,64}$`; no specific code is known (iot.system.IllegalRequest†). */
export function checkVersion(name: 'DestVersion' | 'SrcVersion', value: string): void {
  if (!VERSION.test(value)) throw new BusinessError('iot.system.IllegalRequest', `${name} must be 1-64 characters of letters, digits, '.', '_' or '-'.`);
}

/** ota-api §1.7: MD5 (default) or SHA256, accepted in any case, stored upper case. */
export function checkSignMethod(value: string | undefined): SignMethod {
  const upper = (value ?? 'MD5').toUpperCase();
  if (upper !== 'MD5' && upper !== 'SHA256') throw new BusinessError('iot.system.IllegalRequest', 'SignMethod must be MD5 or SHA256.');
  return upper;
}

/** A declared digest: lower-case-insensitive hex of the method's length (32 for MD5, 64 for SHA-256). */
export function checkDigest(name: string, value: string, method: SignMethod): string {
  const length = method === 'MD5' ? 32 : 64;
  if (!new RegExp(`^[0-9a-fA-F]{${length}}$`).test(value)) {
    throw new BusinessError('iot.system.IllegalRequest', `${name} must be ${length} hexadecimal characters (${method}).`);
  }
  return value.toLowerCase();
}

export function checkDescAndUdi(desc: string | undefined, udi: string | undefined): void {
  // A CJK character counts 1 (ota-api §2.2).
  if (desc !== undefined && [...desc].length > firmwareLimits.descChars) throw new BusinessError('iot.firmware.FirmwareDescExceedLimit');
  if (udi !== undefined && [...udi].length > firmwareLimits.udiChars) throw new BusinessError('iot.firmware.FirmwareUdiExceedLimit');
}
