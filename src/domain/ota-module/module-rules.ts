import { BusinessError } from '../errors.js';

/** ota-api §1.8: the implicit module standing for the whole device firmware. */
export const DEFAULT_MODULE = 'default';

/** ota-api §1.8 and §5.1: limits of custom modules. */
export const moduleLimits = {
  customPerProduct: 10,
  aliasChars: 64,
  descChars: 100,
} as const;

const MODULE_NAME = /^[A-Za-z0-9._-]{1,64}$/;
// ota-api §5.1 alias alphabet "CJK, letters, digits, . - _"; the CJK ranges are those of fleet-rules
// (Han and kana); a CJK character counts as one towards the 64.
const ALIAS = /^[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaffA-Za-z0-9._-]+$/u;

/** Names are unique per product case-insensitively (ota-api §1.8); they are ASCII, so this fold is exact. */
export function foldModuleName(name: string): string {
  return name.toLowerCase();
}

/**
 * A module name as a request carries it: empty → iot.ota.NullOtaModuleName, outside
 * `^[A-Za-z0-9._-]{1,64}$` → iot.ota.InvalidOtaModuleName (errors.md §8, R).
 */
export function checkModuleName(name: string): string {
  if (name === '') throw new BusinessError('iot.ota.NullOtaModuleName');
  if (!MODULE_NAME.test(name)) throw new BusinessError('iot.ota.InvalidOtaModuleName');
  return name;
}

/**
 * AliasName and Desc (ota-api §5.1): alias 1–64 characters of the alias alphabet, description at most
 * 100 characters; anything else is iot.system.IllegalRequest†. An empty value is no value (create) or
 * clears the field (update) and is therefore accepted here (unconfirmed).
 */
export function checkAliasAndDesc(aliasName: string | undefined, desc: string | undefined): void {
  if (aliasName !== undefined && aliasName !== '') {
    if ([...aliasName].length > moduleLimits.aliasChars || !ALIAS.test(aliasName)) {
      throw new BusinessError('iot.system.IllegalRequest', 'The module alias is invalid.');
    }
  }
  if (desc !== undefined && [...desc].length > moduleLimits.descChars) {
    throw new BusinessError('iot.system.IllegalRequest', 'The module description exceeds 100 characters.');
  }
}
