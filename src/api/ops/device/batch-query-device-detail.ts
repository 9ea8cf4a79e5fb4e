import { compact, gmtLocal, utc } from '../wire-format.js';
import { defineOperation, repeatList, text } from '../../rpc/operation.js';

/**
 * fleet-api §5.4: items in the doubled `Data.Data[]`; like QueryDeviceDetail but without Online, IpAddress
 * and Owner. No storage-failure code is listed for it, so those stay iot.system.SystemException.
 */
export const batchQueryDeviceDetail = defineOperation({
  action: 'BatchQueryDeviceDetail',
  qps: 5,
  params: {
    ProductKey: text(),
    DeviceName: repeatList(text()),
  },
  async run({ params, scope, services, settings }) {
    const devices = await services.devices.detailsByNames(scope, params.ProductKey, params.DeviceName);
    const gmt = (ms: number) => gmtLocal(ms, settings.gmtOffsetMinutes);
    return {
      Data: {
        Data: devices.map((d) =>
          compact({
            IotId: d.iotId,
            ProductKey: d.productKey,
            ProductName: d.productName,
            DeviceName: d.deviceName,
            DeviceSecret: d.deviceSecret,
            Nickname: d.nickname,
            NodeType: d.nodeType,
            Status: d.status,
            FirmwareVersion: d.firmwareVersion,
            Region: settings.region,
            UtcCreate: utc(d.createdAt),
            GmtCreate: gmt(d.createdAt),
            UtcActive: d.activatedAt === undefined ? undefined : utc(d.activatedAt),
            GmtActive: d.activatedAt === undefined ? undefined : gmt(d.activatedAt),
          }),
        ),
      },
    };
  },
});
