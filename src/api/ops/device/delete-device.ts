import { defineOperation } from '../../rpc/operation.js';
import { withFailureCode } from '../storage-failure.js';
import { deviceRefOf, deviceRefParams } from './device-ref-params.js';

/** fleet-api §6.3; no `JobId` (not in the SDK model). */
export const deleteDevice = defineOperation({
  action: 'DeleteDevice',
  qps: 50,
  params: deviceRefParams,
  async run({ params, scope, services, log }) {
    await withFailureCode('iot.device.DeleteDeviceFailed', log, () => services.devices.delete(scope, deviceRefOf(params)));
    return {};
  },
});
