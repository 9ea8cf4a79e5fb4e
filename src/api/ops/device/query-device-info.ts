import { compact } from '../wire-format.js';
import { defineOperation } from '../../rpc/operation.js';
import { withFailureCode } from '../storage-failure.js';
import { deviceRefOf, deviceRefParams } from './device-ref-params.js';

/** fleet-api §5.2: identity and secret only. */
export const queryDeviceInfo = defineOperation({
  action: 'QueryDeviceInfo',
  qps: 500,
  params: deviceRefParams,
  async run({ params, scope, services, log }) {
    const d = await withFailureCode('iot.common.QueryDeviceActionError', log, () => services.devices.getDevice(scope, deviceRefOf(params)));
    return {
      Data: compact({
        IotId: d.iotId,
        ProductKey: d.productKey,
        DeviceName: d.deviceName,
        DeviceSecret: d.deviceSecret,
        Nickname: d.nickname,
      }),
    };
  },
});
