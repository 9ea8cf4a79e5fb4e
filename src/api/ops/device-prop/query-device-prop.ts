import { defineOperation, text } from '../../rpc/operation.js';
import { withFailureCode } from '../storage-failure.js';

/** fleet-api §9.2: `Props` is a top-level JSON object serialized as a string, `"{}"` when there are none. */
export const queryDeviceProp = defineOperation({
  action: 'QueryDeviceProp',
  qps: 50,
  params: {
    IotId: text().optional(),
    ProductKey: text().optional(),
    DeviceName: text().optional(),
  },
  async run({ params, scope, services, log }) {
    const props = await withFailureCode('iot.common.QueryDevicePropertyActionError', log, () =>
      services.deviceProps.query(scope, { iotId: params.IotId, productKey: params.ProductKey, deviceName: params.DeviceName }),
    );
    return { Props: JSON.stringify(props) };
  },
});
