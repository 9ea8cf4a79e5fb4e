import { defineOperation } from '../../rpc/operation.js';
import { withFailureCode } from '../storage-failure.js';
import { deviceRefOf, deviceRefParams } from './device-ref-params.js';

/** fleet-api §6.1 */
export const disableThing = defineOperation({
  action: 'DisableThing',
  qps: 500,
  params: deviceRefParams,
  async run({ params, scope, services, log }) {
    await withFailureCode('iot.device.DisableDeviceFailed', log, () => services.devices.disable(scope, deviceRefOf(params)));
    return {};
  },
});
