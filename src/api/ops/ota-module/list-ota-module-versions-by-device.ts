import { checkPage } from '../../../domain/paging.js';
import { defineOperation, integer } from '../../rpc/operation.js';
import { deviceRefOf, deviceRefParams } from '../device/device-ref-params.js';

/** ota-api §5.5: paging counters at the top level (§1.6), items in Data.SimpleOTAModuleInfo. */
export const listOtaModuleVersionsByDevice = defineOperation({
  action: 'ListOTAModuleVersionsByDevice',
  qps: 10,
  params: {
    ...deviceRefParams,
    PageSize: integer(),
    CurrentPage: integer(),
  },
  async run({ params, scope, services }) {
    // §1.10: the page parameters are constraints, checked before the device is looked up.
    const request = checkPage(params.CurrentPage, params.PageSize, { defaultSize: 10, maxSize: 200 });
    const page = await services.otaModules.listDeviceVersions(scope, deviceRefOf(params), request);
    return {
      Total: page.total,
      PageSize: page.pageSize,
      PageCount: page.pageCount,
      CurrentPage: page.currentPage,
      Data: {
        SimpleOTAModuleInfo: page.items.map((v) => ({
          ProductKey: v.productKey,
          DeviceName: v.deviceName,
          IotId: v.iotId,
          ModuleName: v.moduleName,
          ModuleVersion: v.moduleVersion,
        })),
      },
    };
  },
});
