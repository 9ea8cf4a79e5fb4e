import { compact, gmtLocal, utc } from '../wire-format.js';
import { defineOperation, integer, text } from '../../rpc/operation.js';
import { withFailureCode } from '../storage-failure.js';

/** fleet-api §5.7: `Status` in as a number, out as its string; Gmt* as `yyyy-MM-dd HH:mm:ss` (§1.5). */
export const queryDeviceByStatus = defineOperation({
  action: 'QueryDeviceByStatus',
  qps: 50,
  params: {
    Status: integer(),
    ProductKey: text().optional(),
    CurrentPage: integer().optional(),
    PageSize: integer().optional(),
  },
  async run({ params, scope, services, settings, log }) {
    const page = await withFailureCode('iot.device.QueryDeviceListActionError', log, () =>
      services.devices.listByStatus(
        scope,
        { status: params.Status, productKey: params.ProductKey },
        { currentPage: params.CurrentPage, pageSize: params.PageSize },
      ),
    );
    const gmt = (ms: number) => gmtLocal(ms, settings.gmtOffsetMinutes);
    return {
      Page: page.currentPage,
      PageSize: page.pageSize,
      PageCount: page.pageCount,
      Total: page.total,
      Data: {
        SimpleDeviceInfo: page.items.map((d) =>
          compact({
            IotId: d.iotId,
            ProductKey: d.productKey,
            DeviceName: d.deviceName,
            DeviceSecret: d.deviceSecret,
            Nickname: d.nickname,
            Status: d.status,
            UtcCreate: utc(d.createdAt),
            GmtCreate: gmt(d.createdAt),
            UtcModified: utc(d.modifiedAt),
            GmtModified: gmt(d.modifiedAt),
          }),
        ),
      },
    };
  },
});
