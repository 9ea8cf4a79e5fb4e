import { defineOperation, text } from '../../rpc/operation.js';
import { withFailureCode } from '../storage-failure.js';
import { groupInfoFields } from './group-info-fields.js';

/** fleet-api §7.9: no IotId form; the wrapper is the top-level `GroupInfos` (plural). */
export const queryDeviceGroupByDevice = defineOperation({
  action: 'QueryDeviceGroupByDevice',
  qps: 50,
  params: {
    ProductKey: text(),
    DeviceName: text(),
  },
  async run({ params, scope, services, log }) {
    const groups = await withFailureCode('iot.group.QueryGroupInfoFailed', log, () =>
      services.groups.groupsOfDevice(scope, { productKey: params.ProductKey, deviceName: params.DeviceName }),
    );
    return { GroupInfos: { GroupInfo: groups.map(groupInfoFields) } };
  },
});
