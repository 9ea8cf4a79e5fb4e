import { defineOperation, integer, text } from '../../rpc/operation.js';
import { withFailureCode } from '../storage-failure.js';

/** fleet-api §4.5: `Count` devices with generated names. */
export const batchRegisterDevice = defineOperation({
  action: 'BatchRegisterDevice',
  qps: 10,
  params: {
    ProductKey: text(),
    Count: integer(),
  },
  async run({ params, scope, services, log }) {
    const applyId = await withFailureCode('iot.device.ApplyManyDevicesFailed', log, () =>
      services.batchRegistration.registerCount(scope, { productKey: params.ProductKey, count: params.Count }),
    );
    return { Data: { ApplyId: applyId } };
  },
});
