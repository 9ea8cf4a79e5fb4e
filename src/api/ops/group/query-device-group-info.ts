import { compact, utc } from '../wire-format.js';
import { defineOperation, text } from '../../rpc/operation.js';
import { withFailureCode } from '../storage-failure.js';

/** fleet-api §7.5: no GroupType in this answer (not in the SDK model); DynamicGroupExpression never sent. */
export const queryDeviceGroupInfo = defineOperation({
  action: 'QueryDeviceGroupInfo',
  qps: 30,
  params: {
    GroupId: text(),
    GroupType: text().optional(),
  },
  async run({ params, scope, services, log }) {
    const g = await withFailureCode('iot.group.QueryGroupInfoFailed', log, () => services.groups.info(scope, params.GroupId, params.GroupType));
    return {
      Data: compact({
        GroupId: g.groupId,
        GroupName: g.groupName,
        GroupDesc: g.groupDesc,
        UtcCreate: utc(g.createdAt),
        DeviceCount: g.deviceCount,
        DeviceActive: g.deviceActive,
        DeviceOnline: g.deviceOnline,
      }),
    };
  },
});
