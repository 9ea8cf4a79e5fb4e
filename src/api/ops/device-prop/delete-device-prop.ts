import { defineOperation, text } from '../../rpc/operation.js';
import { withFailureCode } from '../storage-failure.js';

/** fleet-api §9.3 */
export const deleteDeviceProp = defineOperation({
  action: 'DeleteDeviceProp',
  qps: 500,
  params: {
    IotId: text().optional(),
    ProductKey: text().optional(),
    DeviceName: text().optional(),
    PropKey: text(),
  },
  async run({ params, scope, services, log }) {
    await withFailureCode('iot.device.DeleteDevicePropertyFailed', log, () =>
      services.deviceProps.delete(scope, { iotId: params.IotId, productKey: params.ProductKey, deviceName: params.DeviceName }, params.PropKey),
    );
    return {};
  },
});
