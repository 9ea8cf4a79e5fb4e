import { checkPage } from '../../../domain/paging.js';
import { defineOperation, integer, repeatList, text } from '../../rpc/operation.js';
import { withFailureCode } from '../storage-failure.js';
import { groupInfoFields } from './group-info-fields.js';

/** fleet-api §7.4: paging fields at the top level, and `CurrentPage` rather than `Page`. */
export const queryDeviceGroupList = defineOperation({
  action: 'QueryDeviceGroupList',
  qps: 100,
  params: {
    SuperGroupId: text().optional(),
    GroupName: text().optional(),
    // META maxItems 2; a longer list fails the type check (gateway InvalidParameter).
    GroupTypes: repeatList(text()).max(2).optional(),
    CurrentPage: integer().optional(),
    PageSize: integer().optional(),
  },
  async run({ params, scope, services, log }) {
    const request = checkPage(params.CurrentPage, params.PageSize, { defaultSize: 10, maxSize: 200 });
    const page = await withFailureCode('iot.group.QueryGroupInfoFailed', log, () =>
      services.groups.list(scope, { superGroupId: params.SuperGroupId, groupName: params.GroupName, groupTypes: params.GroupTypes }, request),
    );
    return {
      CurrentPage: page.currentPage,
      PageSize: page.pageSize,
      PageCount: page.pageCount,
      Total: page.total,
      Data: { GroupInfo: page.items.map(groupInfoFields) },
    };
  },
});
