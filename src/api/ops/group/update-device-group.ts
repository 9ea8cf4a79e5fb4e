import { defineOperation, text } from '../../rpc/operation.js';

/** fleet-api §7.2: the description only; §12 names no storage-failure code, so that stays SystemException. */
export const updateDeviceGroup = defineOperation({
  action: 'UpdateDeviceGroup',
  qps: 50,
  params: {
    GroupId: text(),
    GroupDesc: text().optional(),
    GroupType: text().optional(),
  },
  async run({ params, scope, services }) {
    await services.groups.update(scope, params.GroupId, { groupDesc: params.GroupDesc, groupType: params.GroupType });
    return {};
  },
});
