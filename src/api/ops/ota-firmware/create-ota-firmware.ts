import { utc } from '../wire-format.js';
import { boolean, defineOperation, integer, repeatObjects, text } from '../../rpc/operation.js';

/** ota-api §2.2: a package of one uploaded file or up to 20 (`MultiFiles.N.*`). */
export const createOtaFirmware = defineOperation({
  action: 'CreateOTAFirmware',
  qps: 10,
  params: {
    FirmwareName: text(),
    DestVersion: text(),
    ProductKey: text().optional(),
    FirmwareUrl: text().optional(),
    FirmwareSign: text().optional(),
    SignMethod: text().optional(),
    FirmwareSize: integer().optional(),
    FirmwareDesc: text().optional(),
    Type: integer().optional(),
    SrcVersion: text().optional(),
    ModuleName: text().optional(),
    NeedToVerify: boolean().optional(),
    Udi: text().optional(),
    MultiFiles: repeatObjects({
      Name: text().optional(),
      Url: text().optional(),
      Size: integer().optional(),
      SignValue: text().optional(),
      FileMd5: text().optional(),
    }).optional(),
  },
  async run({ params, scope, services }) {
    const created = await services.firmware.create(scope, {
      firmwareName: params.FirmwareName,
      destVersion: params.DestVersion,
      productKey: params.ProductKey,
      firmwareUrl: params.FirmwareUrl,
      firmwareSign: params.FirmwareSign,
      signMethod: params.SignMethod,
      firmwareSize: params.FirmwareSize,
      firmwareDesc: params.FirmwareDesc,
      type: params.Type,
      srcVersion: params.SrcVersion,
      moduleName: params.ModuleName,
      needToVerify: params.NeedToVerify,
      udi: params.Udi,
      multiFiles: params.MultiFiles?.map((f) => ({ name: f.Name, url: f.Url, size: f.Size, signValue: f.SignValue, fileMd5: f.FileMd5 })),
    });
    return { Data: { FirmwareId: created.firmwareId, UtcCreate: utc(created.createdAt) } };
  },
});
