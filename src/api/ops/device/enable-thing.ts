import { defineOperation } from '../../rpc/operation.js';
import { withFailureCode } from '../storage-failure.js';
import { deviceRefOf, deviceRefParams } from './device-ref-params.js';

/** fleet-api §6.2 */
export const enableThing = defineOperation({
  action: 'EnableThing',
  qps: 500,
  params: deviceRefParams,
  async run({ params, scope, services, log }) {
    await withFailureCode('iot.device.EnableDeviceFailed', log, () => services.devices.enable(scope, deviceRefOf(params)));
    return {};
  },
});
