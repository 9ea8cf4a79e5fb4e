import { compact } from '../wire-format.js';
import { firmwareCommonFields } from './firmware-fields.js';
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
        ...firmwareCommonFields(f),
        VerifyProgress: f.verifyProgress,
        FirmwareSign: single?.signValue,
        FirmwareSize: single?.size,
        FirmwareUrl: single?.url,
        Udi: f.udi,
        MultiFiles: f.multiFile
          ? f.files.map((file) => ({ Name: file.name, Size: file.size, Url: file.url, SignValue: file.signValue, FileMd5: file.fileMd5 }))
          : undefined,
      }),
    };
  },
});
