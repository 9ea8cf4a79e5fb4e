import { compact } from '../wire-format.js';
import { defineOperation, text } from '../../rpc/operation.js';

/** fleet-api §4.1 */
export const registerDevice = defineOperation({
  action: 'RegisterDevice',
  qps: 30,
  params: {
    ProductKey: text(),
    DeviceName: text().optional(),
    Nickname: text().optional(),
    DevEui: text().optional(),
    PinCode: text().optional(),
    JoinEui: text().optional(),
    AppKey: text().optional(),
    LoraNodeType: text().optional(),
  },
  async run({ params, scope, services }) {
    const d = await services.devices.register(scope, {
      productKey: params.ProductKey,
      deviceName: params.DeviceName,
      nickname: params.Nickname,
      loraFields: [params.DevEui, params.PinCode, params.JoinEui, params.AppKey, params.LoraNodeType].some((v) => v !== undefined),
    });
    return {
      Data: compact({
        ProductKey: d.productKey,
        DeviceName: d.deviceName,
        DeviceSecret: d.deviceSecret,
        IotId: d.iotId,
        Nickname: d.nickname,
      }),
    };
  },
});
