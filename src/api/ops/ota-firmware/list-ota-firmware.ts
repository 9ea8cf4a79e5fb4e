import { checkPage } from '../../../domain/paging.js';
import { compact, utc } from '../wire-format.js';
import { defineOperation, integer, text } from '../../rpc/operation.js';

/** ota-api §2.4: paging counters at the top level, items in FirmwareInfo.SimpleFirmwareInfo. */
export const listOtaFirmware = defineOperation({
  action: 'ListOTAFirmware',
  qps: 10,
  params: {
    PageSize: integer(),
    CurrentPage: integer(),
    ProductKey: text().optional(),
    DestVersion: text().optional(),
  },
  async run({ params, scope, services }) {
    const request = checkPage(params.CurrentPage, params.PageSize, { defaultSize: 10, maxSize: 100 });
    // An empty filter value filters nothing (unconfirmed).
    const page = await services.firmware.list(
      scope,
      { productKey: params.ProductKey || undefined, destVersion: params.DestVersion || undefined },
      request,
    );
    return {
      Total: page.total,
      PageSize: page.pageSize,
      PageCount: page.pageCount,
      CurrentPage: page.currentPage,
      FirmwareInfo: {
        SimpleFirmwareInfo: page.items.map((f) =>
          compact({
            FirmwareId: f.firmwareId,
            FirmwareName: f.firmwareName,
            FirmwareDesc: f.firmwareDesc,
            ProductKey: f.productKey,
            ProductName: f.productName,
            ModuleName: f.moduleName,
            Type: f.type,
            Status: f.status,
            SrcVersion: f.srcVersion,
            DestVersion: f.destVersion,
            SignMethod: f.signMethod,
            // A multi-file package has no single digest; its size is the sum of its files (unconfirmed).
            FirmwareSign: f.multiFile ? undefined : f.files[0]?.signValue,
            FirmwareSize: f.files.reduce((sum, file) => sum + file.size, 0),
            UtcCreate: utc(f.createdAt),
            UtcModified: utc(f.modifiedAt),
          }),
        ),
      },
    };
  },
});
