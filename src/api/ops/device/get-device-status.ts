import { defineOperation } from '../../rpc/operation.js';
import { withFailureCode } from '../storage-failure.js';
import { deviceRefOf, deviceRefParams } from './device-ref-params.js';

/** fleet-api §5.5: `Timestamp` is the epoch-ms time of the last status change (registration while UNACTIVE). */
export const getDeviceStatus = defineOperation({
  action: 'GetDeviceStatus',
  qps: 500,
  params: deviceRefParams,
  async run({ params, scope, services, log }) {
    const d = await withFailureCode('iot.device.QueryDeviceStatusFailed', log, () => services.devices.getDevice(scope, deviceRefOf(params)));
    return { Data: { Status: d.status, Timestamp: d.statusAt } };
  },
});
