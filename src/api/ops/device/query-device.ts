import { compact, cookieDate, utc } from '../wire-format.js';
import { defineOperation, integer, text } from '../../rpc/operation.js';
import { withFailureCode } from '../storage-failure.js';

/**
 * fleet-api §5.3: paging at the top level with `Page` (not CurrentPage) and an opaque `NextToken` when
 * another page exists; `DeviceStatus` instead of `Status`; Gmt* in cookie-date style, true GMT (§1.5).
 */
export const queryDevice = defineOperation({
  action: 'QueryDevice',
  qps: 50,
  params: {
    ProductKey: text(),
    CurrentPage: integer().optional(),
    PageSize: integer().optional(),
    NextToken: text().optional(),
  },
  async run({ params, scope, services, log }) {
    const page = await withFailureCode('iot.device.QueryDeviceListActionError', log, () =>
      services.devices.listByProduct(scope, params.ProductKey, {
        currentPage: params.CurrentPage,
        pageSize: params.PageSize,
        nextToken: params.NextToken,
      }),
    );
    return compact({
      Page: page.currentPage,
      PageSize: page.pageSize,
      PageCount: page.pageCount,
      Total: page.total,
      NextToken: page.nextToken,
      Data: {
        DeviceInfo: page.items.map((d) =>
          compact({
            IotId: d.iotId,
            DeviceId: d.deviceId,
            ProductKey: d.productKey,
            DeviceName: d.deviceName,
            DeviceSecret: d.deviceSecret,
            Nickname: d.nickname,
            DeviceStatus: d.status,
            UtcCreate: utc(d.createdAt),
            GmtCreate: cookieDate(d.createdAt),
            UtcModified: utc(d.modifiedAt),
            GmtModified: cookieDate(d.modifiedAt),
          }),
        ),
      },
    });
  },
});
