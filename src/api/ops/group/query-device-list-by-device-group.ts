import { checkPage } from '../../../domain/paging.js';
import { defineOperation, integer, text } from '../../rpc/operation.js';
import { withFailureCode } from '../storage-failure.js';

/** fleet-api §7.8: PageSize maximum undocumented, 200 accepted (unconfirmed). */
export const queryDeviceListByDeviceGroup = defineOperation({
  action: 'QueryDeviceListByDeviceGroup',
  qps: 5,
  params: {
    GroupId: text(),
    CurrentPage: integer().optional(),
    PageSize: integer().optional(),
  },
  async run({ params, scope, services, log }) {
    const request = checkPage(params.CurrentPage, params.PageSize, { defaultSize: 10, maxSize: 200 });
    const page = await withFailureCode('iot.group.QueryGroupInfoFailed', log, () => services.groups.listDevices(scope, params.GroupId, request));
    return {
      Page: page.currentPage,
      PageSize: page.pageSize,
      PageCount: page.pageCount,
      Total: page.total,
      Data: {
        SimpleDeviceInfo: page.items.map((d) => ({
          IotId: d.iotId,
          ProductKey: d.productKey,
          ProductName: d.productName,
          DeviceName: d.deviceName,
        })),
      },
    };
  },
});
