import { compact, utc } from '../wire-format.js';
import { defineOperation, text } from '../../rpc/operation.js';

/**
 * ota-api §2.3: `FirmwareUrl`/`FirmwareSize`/`FirmwareSign` only for single-file packages, `MultiFiles` only
 * for multi-file ones; URLs are signed, expiring download URLs.
 */
export const queryOtaFirmware = defineOperation({
  action: 'QueryOTAFirmware',
  qps: 20,
  params: {
    FirmwareId: text(),
  },
  async run({ params, scope, services }) {
    const f = await services.firmware.query(scope, params.FirmwareId);
    const single = f.multiFile ? undefined : f.files[0];
    return {
      FirmwareInfo: compact({
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
        VerifyProgress: f.verifyProgress,
        SignMethod: f.signMethod,
        FirmwareSign: single?.signValue,
        FirmwareSize: single?.size,
        FirmwareUrl: single?.url,
        Udi: f.udi,
        UtcCreate: utc(f.createdAt),
        UtcModified: utc(f.modifiedAt),
        MultiFiles: f.multiFile
          ? f.files.map((file) => ({ Name: file.name, Size: file.size, Url: file.url, SignValue: file.signValue, FileMd5: file.fileMd5 }))
          : undefined,
      }),
    };
  },
});
