import { compact } from '../wire-format.js';
import { defineOperation, repeatList, repeatObjects, text } from '../../rpc/operation.js';

/**
 * fleet-api §4.3. Both lists are optional at the gateway (one of the two is needed: a business
 * failure, iot.device.NoneDeviceNameElement). 10,000 entries with nicknames in a POP form body pass
 * 1 MiB, so this operation accepts 2 MiB (fleet-api §1.1, unconfirmed what Alibaba accepts).
 */
export const batchCheckDeviceNames = defineOperation({
  action: 'BatchCheckDeviceNames',
  qps: 10,
  maxBodyBytes: 2 * 1024 * 1024,
  params: {
    ProductKey: text(),
    DeviceName: repeatList(text()).optional(),
    DeviceNameList: repeatObjects({ DeviceName: text().optional(), DeviceNickname: text().optional() }).optional(),
  },
  async run({ params, scope, services }) {
    const checked = await services.batchRegistration.checkNames(scope, {
      productKey: params.ProductKey,
      deviceNames: params.DeviceName,
      nameList: params.DeviceNameList?.map((e) => ({ deviceName: e.DeviceName, nickname: e.DeviceNickname })),
    });
    return {
      Data: {
        ApplyId: checked.applyId,
        InvalidDeviceNameList: { InvalidDeviceName: checked.invalidDeviceNames },
        InvalidDeviceNicknameList: { InvalidDeviceNickname: checked.invalidNicknames },
        // META only (the SDK drops both); note Alibaba's spelling `RepeatDevieNameList`.
        RepeatedDeviceNameList: { RepeatDevieNameList: checked.repeatedDeviceNames },
        InvalidDetailList: {
          InvalidDetailList: checked.invalidDetails.map((d) => compact({ DeviceName: d.deviceName, NickName: d.nickname, ErrorMsg: d.errorMsg })),
        },
      },
    };
  },
});
