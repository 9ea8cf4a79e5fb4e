import type { Group } from '../../../domain/group/group-service.js';
import { compact, utc } from '../wire-format.js';

/** A `GroupInfo` item of QueryDeviceGroupList and QueryDeviceGroupByDevice (fleet-api §7.4, §7.9). */
export function groupInfoFields(g: Group) {
  return compact({
    GroupId: g.groupId,
    GroupName: g.groupName,
    GroupDesc: g.groupDesc,
    GroupType: g.groupType,
    UtcCreate: utc(g.createdAt),
  });
}
