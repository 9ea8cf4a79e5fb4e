import { defineOperation, text } from '../../rpc/operation.js';
import { withFailureCode } from '../storage-failure.js';

/** fleet-api §9.1 */
export const saveDeviceProp = defineOperation({
  action: 'SaveDeviceProp',
  qps: 50,
  params: {
    IotId: text().optional(),
    ProductKey: text().optional(),
    DeviceName: text().optional(),
    Props: text(),
  },
  async run({ params, scope, services, log }) {
    await withFailureCode('iot.device.SaveOrUpdateDevicePropertiesFailed', log, () =>
      services.deviceProps.save(scope, { iotId: params.IotId, productKey: params.ProductKey, deviceName: params.DeviceName }, params.Props),
    );
    return {};
  },
});
