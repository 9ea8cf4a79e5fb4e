import { compact, utc } from '../wire-format.js';
import { defineOperation, text } from '../../rpc/operation.js';
import { withFailureCode } from '../storage-failure.js';

/** fleet-api §7.1 */
export const createDeviceGroup = defineOperation({
  action: 'CreateDeviceGroup',
  qps: 500,
  params: {
    GroupName: text(),
    GroupDesc: text().optional(),
    SuperGroupId: text().optional(),
  },
  async run({ params, scope, services, log }) {
    const g = await withFailureCode('iot.group.CreateGroupFailed', log, () =>
      services.groups.create(scope, { groupName: params.GroupName, groupDesc: params.GroupDesc, superGroupId: params.SuperGroupId }),
    );
    return {
      Data: compact({ GroupId: g.groupId, GroupName: g.groupName, GroupDesc: g.groupDesc, UtcCreate: utc(g.createdAt) }),
    };
  },
});
