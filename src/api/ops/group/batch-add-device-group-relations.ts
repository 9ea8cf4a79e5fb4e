import { defineOperation, text } from '../../rpc/operation.js';
import { relationEntries, toMemberRefs } from './relation-entries.js';

/** fleet-api §7.6: the four counts are top-level fields. */
export const batchAddDeviceGroupRelations = defineOperation({
  action: 'BatchAddDeviceGroupRelations',
  qps: 500,
  params: {
    GroupId: text(),
    Device: relationEntries(),
  },
  async run({ params, scope, services }) {
    const counts = await services.groups.addDevices(scope, params.GroupId, toMemberRefs(params.Device));
    return {
      ValidDeviceCount: counts.valid,
      SuccessAddedDeviceCount: counts.added,
      AlreadyRelatedGroupDeviceCount: counts.alreadyRelated,
      ExceedTenGroupDeviceCount: counts.exceedTenGroups,
    };
  },
});
