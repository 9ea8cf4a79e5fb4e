import { compact, gmtLocal } from '../wire-format.js';
import { defineOperation, repeatList, text } from '../../rpc/operation.js';

/**
 * fleet-api §5.6: `DeviceStatusList.DeviceStatus[]` at the top level (no `Data`). `Timestamp` is META-only
 * (the SDK drops it); `LastOnlineTime` uses the `yyyy-MM-dd HH:mm:ss` format (§1.5).
 */
export const batchGetDeviceState = defineOperation({
  action: 'BatchGetDeviceState',
  qps: 50,
  params: {
    ProductKey: text().optional(),
    DeviceName: repeatList(text()).optional(),
    IotId: repeatList(text()).optional(),
  },
  async run({ params, scope, services, settings }) {
    const devices = await services.devices.states(scope, {
      iotIds: params.IotId,
      productKey: params.ProductKey,
      deviceNames: params.DeviceName,
    });
    return {
      DeviceStatusList: {
        DeviceStatus: devices.map((d) =>
          compact({
            IotId: d.iotId,
            DeviceId: d.deviceId,
            DeviceName: d.deviceName,
            Status: d.status,
            AsAddress: d.ipAddress,
            LastOnlineTime: d.onlineAt === undefined ? undefined : gmtLocal(d.onlineAt, settings.gmtOffsetMinutes),
            Timestamp: d.statusAt,
          }),
        ),
      },
    };
  },
});
