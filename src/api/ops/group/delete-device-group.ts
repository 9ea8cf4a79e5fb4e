import { defineOperation, text } from '../../rpc/operation.js';
import { withFailureCode } from '../storage-failure.js';

/** fleet-api §7.3 */
export const deleteDeviceGroup = defineOperation({
  action: 'DeleteDeviceGroup',
  qps: 500,
  params: { GroupId: text() },
  async run({ params, scope, services, log }) {
    await withFailureCode('iot.group.DeleteGroupFailed', log, () => services.groups.delete(scope, params.GroupId));
    return {};
  },
});
