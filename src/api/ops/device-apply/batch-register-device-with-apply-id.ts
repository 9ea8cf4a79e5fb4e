import { defineOperation, text } from '../../rpc/operation.js';
import { withFailureCode } from '../storage-failure.js';

/** fleet-api §4.4. `ApplyId` is read as text so a malformed value gets iot.device.InvalidFormattedApplyId. */
export const batchRegisterDeviceWithApplyId = defineOperation({
  action: 'BatchRegisterDeviceWithApplyId',
  qps: 500,
  params: {
    ProductKey: text(),
    ApplyId: text(),
  },
  async run({ params, scope, services, log }) {
    const applyId = await withFailureCode('iot.device.ApplyManyDevicesFailed', log, () =>
      services.batchRegistration.registerWithApplyId(scope, { productKey: params.ProductKey, applyId: params.ApplyId }),
    );
    return { Data: { ApplyId: applyId } };
  },
});
