import type { Db } from '../../storage/db.js';
import { inTransaction } from '../../storage/db.js';
import * as repo from '../../storage/repos/group-repo.js';
import type { GroupRow, MemberRow } from '../../storage/repos/group-repo.js';
import { lockAccount } from '../../storage/repos/account-repo.js';
import { findDevicesByNames } from '../../storage/repos/device-repo.js';
import { findProductByKey } from '../../storage/repos/product-repo.js';
import { idFormats } from '../../security/random-ids.js';
import type { Scope } from '../account/account-service.js';
import type { Clock } from '../clock.js';
import type { DeviceService } from '../device/device-service.js';
import { BusinessError } from '../errors.js';
import { isValidDeviceName, isValidDisplayName, isValidProductKey } from '../fleet-rules.js';
import { type Page, type PageRequest, offsetOf, pageOf } from '../paging.js';

/** fleet-api §7: limits of static groups (DOCS "Device groups", META). */
export const groupLimits = {
  groupsPerAccount: 1_000,
  childrenPerGroup: 100,
  levels: 3,
  groupsPerDevice: 10,
  devicesPerRelationCall: 200,
} as const;

/** The only group type Flotilla has (fleet-api §7.4: static groups, unconfirmed name in answers). */
export const STATIC_GROUP_TYPE = 'LINK_PLATFORM';

export interface Group {
  groupId: string;
  groupName: string;
  groupDesc: string | undefined;
  groupType: typeof STATIC_GROUP_TYPE;
  parentGroupId: string | undefined;
  depth: number;
  createdAt: number;
}

export interface GroupInfo extends Group {
  deviceCount: number;
  deviceActive: number;
  deviceOnline: number;
}

export interface GroupMember {
  iotId: string;
  productKey: string;
  productName: string;
  deviceName: string;
}

/** One `Device.N` entry of the relation calls; either field may be missing on the wire. */
export interface MemberRef {
  productKey?: string;
  deviceName?: string;
}

export interface AddCounts {
  valid: number;
  added: number;
  alreadyRelated: number;
  exceedTenGroups: number;
}

export interface RemoveCounts {
  valid: number;
  alreadyRelated: number;
  removed: number;
}

export interface GroupServiceDeps {
  db: Db;
  clock: Clock;
  devices: DeviceService;
}

const toGroup = (row: GroupRow): Group => ({
  groupId: row.group_id,
  groupName: row.group_name,
  groupDesc: row.group_desc ?? undefined,
  groupType: STATIC_GROUP_TYPE,
  parentGroupId: row.parent_group_id ?? undefined,
  depth: row.depth,
  createdAt: row.created_at,
});

const toMember = (row: MemberRow): GroupMember => ({
  iotId: row.iot_id,
  productKey: row.product_key,
  productName: row.product_name,
  deviceName: row.device_name,
});

/** fleet-api §2.5: GroupDesc ≤ 100 characters, a CJK character counting 1. */
function checkDesc(desc: string | undefined): void {
  if (desc !== undefined && [...desc].length > 100) throw new BusinessError('iot.group.LongGroupDescError');
}

/** fleet-api §7.2/§7.5: `GroupType` absent or `LINK_PLATFORM`; anything else names no group we have (unconfirmed). */
function checkGroupType(groupType: string | undefined): void {
  if (groupType !== undefined && groupType !== '' && groupType !== STATIC_GROUP_TYPE) throw new BusinessError('iot.group.NotExistedGroup');
}

function checkRelationList(entries: readonly MemberRef[] | undefined): readonly MemberRef[] {
  // fleet-api §7.6 (unconfirmed codes): none → NoneDeviceNameElement, more than 200 → TooManyDeviceNamesPerRequest.
  if (entries === undefined || entries.length === 0) throw new BusinessError('iot.device.NoneDeviceNameElement');
  if (entries.length > groupLimits.devicesPerRelationCall) throw new BusinessError('iot.device.TooManyDeviceNamesPerRequest');
  return entries;
}

/** Static device groups and their members (fleet-api §7). */
export function createGroupService(deps: GroupServiceDeps) {
  const { db, clock, devices } = deps;

  /** Empty → NullGroupId; unknown or another tenant's → NotExistedGroup. */
  async function requireGroup(executor: Db, scope: Scope, groupId: string): Promise<GroupRow> {
    if (groupId === '') throw new BusinessError('iot.group.NullGroupId');
    const row = await repo.findGroup(executor, scope.instanceRowId, groupId);
    if (row === undefined) throw new BusinessError('iot.group.NotExistedGroup');
    return row;
  }

  /**
   * The distinct live devices of this instance that the entries name. Entries naming nothing (missing or
   * malformed fields, unknown product or device, another tenant's) are simply not valid (fleet-api §7.6 rule 1);
   * a device named twice counts once.
   */
  async function resolveEntries(executor: Db, scope: Scope, entries: readonly MemberRef[]): Promise<string[]> {
    const namesByProduct = new Map<string, Set<string>>();
    for (const e of entries) {
      if (e.productKey === undefined || !isValidProductKey(e.productKey)) continue;
      if (e.deviceName === undefined || !isValidDeviceName(e.deviceName)) continue;
      let names = namesByProduct.get(e.productKey);
      if (names === undefined) namesByProduct.set(e.productKey, (names = new Set()));
      names.add(e.deviceName);
    }
    const ids = new Set<string>();
    for (const [productKey, names] of namesByProduct) {
      const product = await findProductByKey(executor, scope.instanceRowId, productKey);
      if (product === undefined) continue;
      for (const row of await findDevicesByNames(executor, product.id, [...names])) ids.add(row.id);
    }
    return [...ids];
  }

  /**
   * The shared start of the two relation calls (fleet-api §7.6, §7.7): the checks in their order, then, in one
   * transaction holding the account lock, the group, the devices the entries name and which are members.
   */
  function withRelationEntries<T>(
    scope: Scope,
    groupId: string,
    entries: readonly MemberRef[] | undefined,
    work: (tx: Db, group: GroupRow, deviceIds: string[], members: Set<string>) => Promise<T>,
  ): Promise<T> {
    if (groupId === '') throw new BusinessError('iot.group.NullGroupId');
    const list = checkRelationList(entries);
    return inTransaction(db, async (tx) => {
      await lockAccount(tx, scope.accountId);
      const group = await requireGroup(tx, scope, groupId);
      const deviceIds = await resolveEntries(tx, scope, list);
      return work(tx, group, deviceIds, await repo.findMemberIds(tx, group.group_id, deviceIds));
    });
  }

  return {
    /** fleet-api §7.1 */
    async create(scope: Scope, input: { groupName: string; groupDesc?: string; superGroupId?: string }): Promise<Group> {
      // §2.5 has no "null" code for groups: an empty name is simply an invalid one.
      if (!isValidDisplayName(input.groupName)) throw new BusinessError('iot.group.InvalidGroupName');
      checkDesc(input.groupDesc);
      return inTransaction(db, async (tx) => {
        await lockAccount(tx, scope.accountId);
        let depth = 1;
        let parentGroupId: string | null = null;
        // An empty SuperGroupId is taken as absent: a top-level group (unconfirmed).
        if (input.superGroupId !== undefined && input.superGroupId !== '') {
          const parent = await repo.findGroup(tx, scope.instanceRowId, input.superGroupId);
          if (parent === undefined) throw new BusinessError('iot.group.NotExistedGroup');
          // fleet-api §7.1: three levels at most; SuperGroupUnsupport reused for a fourth (unconfirmed).
          if (parent.depth >= groupLimits.levels) throw new BusinessError('iot.group.SuperGroupUnsupport');
          if ((await repo.countChildren(tx, parent.group_id)) >= groupLimits.childrenPerGroup) {
            throw new BusinessError('iot.group.GroupCountExceedMax', 'A group can have at most 100 direct subgroups.');
          }
          depth = parent.depth + 1;
          parentGroupId = parent.group_id;
        }
        // fleet-api §7: the 1,000 counts groups and subgroups of the whole account, across its instances.
        if ((await repo.countGroupsOfAccount(tx, scope.accountId)) >= groupLimits.groupsPerAccount) {
          throw new BusinessError('iot.group.GroupCountExceedMax', 'An account can have at most 1000 device groups.');
        }
        // Names are unique per instance, the scope every look-up uses and the schema's unique constraint
        // (fleet-api §7.1 says "account", unconfirmed scope).
        if (await repo.groupNameTaken(tx, scope.instanceRowId, input.groupName)) throw new BusinessError('iot.group.GroupNameExisted');
        const now = clock.now();
        const row: GroupRow = {
          group_id: idFormats.groupId(),
          account_id: scope.accountId,
          instance_id: scope.instanceRowId,
          group_name: input.groupName,
          group_desc: input.groupDesc === undefined || input.groupDesc === '' ? null : input.groupDesc,
          parent_group_id: parentGroupId,
          depth,
          created_at: now,
          modified_at: now,
        };
        while (await repo.groupIdExists(tx, row.group_id)) row.group_id = idFormats.groupId();
        await repo.insertGroups(tx, [row]);
        return toGroup(row);
      });
    },

    /**
     * fleet-api §7.2: only the description changes. An absent GroupDesc leaves it as it is; an empty one
     * clears it (unconfirmed).
     */
    async update(scope: Scope, groupId: string, input: { groupDesc?: string; groupType?: string }): Promise<void> {
      const row = await requireGroup(db, scope, groupId);
      checkGroupType(input.groupType);
      checkDesc(input.groupDesc);
      if (input.groupDesc === undefined) return;
      await repo.updateGroup(db, row.group_id, { group_desc: input.groupDesc === '' ? null : input.groupDesc, modified_at: clock.now() });
    },

    /** fleet-api §7.3: a group with subgroups cannot be deleted (DOCS; code unconfirmed). */
    async delete(scope: Scope, groupId: string): Promise<void> {
      await inTransaction(db, async (tx) => {
        const row = await requireGroup(tx, scope, groupId);
        if ((await repo.countChildren(tx, row.group_id)) > 0) {
          throw new BusinessError('iot.group.DeleteGroupFailed', 'The device group has subgroups; delete them first.');
        }
        await repo.deleteGroup(tx, row.group_id);
      });
    },

    /**
     * fleet-api §7.4: the direct children of SuperGroupId, or the top-level groups. Flotilla has static
     * groups only: GroupTypes that do not ask for LINK_PLATFORM (e.g. only LINK_PLATFORM_DYNAMIC) get an
     * empty page.
     */
    async list(
      scope: Scope,
      filter: { superGroupId?: string; groupName?: string; groupTypes?: readonly string[] },
      page: PageRequest,
    ): Promise<Page<Group>> {
      let parentGroupId: string | null = null;
      if (filter.superGroupId !== undefined && filter.superGroupId !== '') {
        const parent = await repo.findGroup(db, scope.instanceRowId, filter.superGroupId);
        if (parent === undefined) throw new BusinessError('iot.group.NotExistedGroup');
        parentGroupId = parent.group_id;
      }
      const types = filter.groupTypes ?? [];
      if (types.length > 0 && !types.includes(STATIC_GROUP_TYPE)) return pageOf([], 0, page);
      const groupName = filter.groupName === '' ? undefined : filter.groupName;
      const listing = await repo.listGroups(db, scope.instanceRowId, { parentGroupId, groupName }, { offset: offsetOf(page), limit: page.pageSize });
      return pageOf(listing.rows.map(toGroup), listing.total, page);
    },

    /** fleet-api §7.5 */
    async info(scope: Scope, groupId: string, groupType?: string): Promise<GroupInfo> {
      const row = await requireGroup(db, scope, groupId);
      checkGroupType(groupType);
      const counts = await repo.countMembers(db, row.group_id);
      return { ...toGroup(row), deviceCount: counts.total, deviceActive: counts.activated, deviceOnline: counts.online };
    },

    /** fleet-api §7.6: entries are counted one by one, in the order of the spec's rules. */
    async addDevices(scope: Scope, groupId: string, entries: readonly MemberRef[] | undefined): Promise<AddCounts> {
      return withRelationEntries(scope, groupId, entries, async (tx, group, deviceIds, members) => {
        const groupsPerDevice = await repo.countGroupsPerDevice(tx, deviceIds);
        const toAdd: string[] = [];
        let exceed = 0;
        for (const id of deviceIds) {
          if (members.has(id)) continue;
          if ((groupsPerDevice.get(id) ?? 0) >= groupLimits.groupsPerDevice) exceed++;
          else toAdd.push(id);
        }
        await repo.insertMembers(tx, group.group_id, toAdd, clock.now());
        return { valid: deviceIds.length, added: toAdd.length, alreadyRelated: members.size, exceedTenGroups: exceed };
      });
    },

    /** fleet-api §7.7: entries that are not members are valid but not removed. */
    async removeDevices(scope: Scope, groupId: string, entries: readonly MemberRef[] | undefined): Promise<RemoveCounts> {
      return withRelationEntries(scope, groupId, entries, async (tx, group, deviceIds, members) => {
        const removed = await repo.deleteMembers(tx, group.group_id, [...members]);
        return { valid: deviceIds.length, alreadyRelated: members.size, removed };
      });
    },

    /** fleet-api §7.8: direct members, of any product. */
    async listDevices(scope: Scope, groupId: string, page: PageRequest): Promise<Page<GroupMember>> {
      const group = await requireGroup(db, scope, groupId);
      const listing = await repo.listMembers(db, group.group_id, { offset: offsetOf(page), limit: page.pageSize });
      return pageOf(listing.rows.map(toMember), listing.total, page);
    },

    /** fleet-api §7.9: ProductKey + DeviceName only, checked as §1.2 without the IotId form. */
    async groupsOfDevice(scope: Scope, ref: { productKey: string; deviceName: string }): Promise<Group[]> {
      const { row } = await devices.resolveDevice(scope, { productKey: ref.productKey, deviceName: ref.deviceName });
      return (await repo.listGroupsOfDevice(db, row.id)).map(toGroup);
    },
  };
}

export type GroupService = ReturnType<typeof createGroupService>;
