import { compact } from '../wire-format.js';
import { defineOperation, text } from '../../rpc/operation.js';

/** fleet-api §4.6. InvalidDetailList is META only (the SDK drops it); its inner key is lower-case here. */
export const queryBatchRegisterDeviceStatus = defineOperation({
  action: 'QueryBatchRegisterDeviceStatus',
  qps: 30,
  params: {
    ProductKey: text(),
    ApplyId: text(),
  },
  async run({ params, scope, services }) {
    const s = await services.batchRegistration.status(scope, { productKey: params.ProductKey, applyId: params.ApplyId });
    return {
      Data: {
        Status: s.status,
        ValidList: { Name: s.validNames },
        InvalidList: { Name: s.invalidNames },
        InvalidDetailList: {
          invalidDetailList: s.invalidDetails.map((d) => compact({ DeviceName: d.deviceName, NickName: d.nickname, ErrorMsg: d.errorMsg })),
        },
      },
    };
  },
});
