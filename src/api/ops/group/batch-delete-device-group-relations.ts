import { defineOperation, text } from '../../rpc/operation.js';
import { relationEntries, toMemberRefs } from './relation-entries.js';

/** fleet-api §7.7 */
export const batchDeleteDeviceGroupRelations = defineOperation({
  action: 'BatchDeleteDeviceGroupRelations',
  qps: 50,
  params: {
    GroupId: text(),
    Device: relationEntries(),
  },
  async run({ params, scope, services }) {
    const counts = await services.groups.removeDevices(scope, params.GroupId, toMemberRefs(params.Device));
    return {
      ValidDeviceCount: counts.valid,
      AlreadyRelatedGroupDeviceCount: counts.alreadyRelated,
      SuccessDeviceCount: counts.removed,
    };
  },
});
