import type { Firmware } from '../../../domain/ota-firmware/firmware-service.js';
import { utc } from '../wire-format.js';

/**
 * The fields QueryOTAFirmware's `FirmwareInfo` (ota-api §2.3) and ListOTAFirmware's items (§2.4) share; each
 * operation adds its own size, digest and URL fields. Undefined values are dropped by the caller's compact().
 */
export function firmwareCommonFields(f: Firmware): Record<string, unknown> {
  return {
    FirmwareId: f.firmwareId,
    FirmwareName: f.firmwareName,
    FirmwareDesc: f.firmwareDesc,
    ProductKey: f.productKey,
    ProductName: f.productName,
    ModuleName: f.moduleName,
    Type: f.type,
    // Returned whenever stored (ota-api §2.3); a whole package without one omits it.
    SrcVersion: f.srcVersion,
    DestVersion: f.destVersion,
    Status: f.status,
    SignMethod: f.signMethod,
    UtcCreate: utc(f.createdAt),
    UtcModified: utc(f.modifiedAt),
  };
}
