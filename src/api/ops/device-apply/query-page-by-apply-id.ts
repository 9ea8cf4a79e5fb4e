import { checkPage } from '../../../domain/paging.js';
import { defineOperation, integer, text } from '../../rpc/operation.js';
import { withFailureCode } from '../storage-failure.js';

/** fleet-api §4.7: no ProductKey; paging fields at the top level (§1.4), PageSize 10 by default, ≤ 50. */
export const queryPageByApplyId = defineOperation({
  action: 'QueryPageByApplyId',
  qps: 50,
  params: {
    ApplyId: text(),
    CurrentPage: integer().optional(),
    PageSize: integer().optional(),
  },
  async run({ params, scope, services, log }) {
    const request = checkPage(params.CurrentPage, params.PageSize, { defaultSize: 10, maxSize: 50 });
    const page = await withFailureCode('iot.device.QueryDeviceApplyActionError', log, () =>
      services.batchRegistration.devicesOf(scope, { applyId: params.ApplyId }, request),
    );
    return {
      Page: page.currentPage,
      PageSize: page.pageSize,
      PageCount: page.pageCount,
      Total: page.total,
      ApplyDeviceList: {
        ApplyDeviceInfo: page.items.map((d) => ({ DeviceName: d.deviceName, DeviceSecret: d.deviceSecret, IotId: d.iotId, DeviceId: d.deviceId })),
      },
    };
  },
});
