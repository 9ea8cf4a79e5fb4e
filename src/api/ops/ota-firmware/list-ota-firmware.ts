import { checkPage } from '../../../domain/paging.js';
import { compact } from '../wire-format.js';
import { firmwareCommonFields } from './firmware-fields.js';
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
            ...firmwareCommonFields(f),
            // A multi-file package has no single digest; its size is the sum of its files (unconfirmed).
            FirmwareSign: f.multiFile ? undefined : f.files[0]?.signValue,
            FirmwareSize: f.files.reduce((sum, file) => sum + file.size, 0),
          }),
        ),
      },
    };
  },
});
