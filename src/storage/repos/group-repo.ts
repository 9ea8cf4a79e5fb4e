import type { Selectable } from 'kysely';
import type { Db } from '../db.js';
import type { DeviceGroupTable } from '../schema.js';

export type GroupRow = Selectable<DeviceGroupTable>;

export async function insertGroups(db: Db, rows: readonly GroupRow[]): Promise<void> {
  // 9 columns × 500 rows stays far below SQLite's bound-variable limit.
  for (let i = 0; i < rows.length; i += 500) await db.insertInto('device_group').values(rows.slice(i, i + 500)).execute();
}

/** A group of this instance; another tenant's group is answered exactly like a missing one. */
export async function findGroup(db: Db, instanceRowId: string, groupId: string): Promise<GroupRow | undefined> {
  return db.selectFrom('device_group').selectAll().where('group_id', '=', groupId).where('instance_id', '=', instanceRowId).executeTakeFirst();
}

export async function groupIdExists(db: Db, groupId: string): Promise<boolean> {
  return (await db.selectFrom('device_group').select('group_id').where('group_id', '=', groupId).executeTakeFirst()) !== undefined;
}

export async function groupNameTaken(db: Db, instanceRowId: string, groupName: string): Promise<boolean> {
  const row = await db
    .selectFrom('device_group')
    .select('group_id')
    .where('instance_id', '=', instanceRowId)
    .where('group_name', '=', groupName)
    .executeTakeFirst();
  return row !== undefined;
}

export async function countGroupsOfAccount(db: Db, accountId: string): Promise<number> {
  const row = await db
    .selectFrom('device_group')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('account_id', '=', accountId)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

export async function countChildren(db: Db, groupId: string): Promise<number> {
  const row = await db
    .selectFrom('device_group')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('parent_group_id', '=', groupId)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

export async function updateGroup(db: Db, groupId: string, changes: Pick<GroupRow, 'group_desc' | 'modified_at'>): Promise<void> {
  await db.updateTable('device_group').set(changes).where('group_id', '=', groupId).execute();
}

/** Removes the group and its memberships (fleet-api §7.3); the caller has checked it has no subgroups. */
export async function deleteGroup(db: Db, groupId: string): Promise<void> {
  await db.deleteFrom('device_group_member').where('group_id', '=', groupId).execute();
  await db.deleteFrom('device_group').where('group_id', '=', groupId).execute();
}

/** Newest first, ties broken by GroupId so pages never overlap (fleet-api §1.4). */
export async function listGroups(
  db: Db,
  instanceRowId: string,
  filter: { parentGroupId: string | null; groupName: string | undefined },
  page: { offset: number; limit: number },
): Promise<{ rows: GroupRow[]; total: number }> {
  let base = db.selectFrom('device_group').where('instance_id', '=', instanceRowId);
  base = filter.parentGroupId === null ? base.where('parent_group_id', 'is', null) : base.where('parent_group_id', '=', filter.parentGroupId);
  if (filter.groupName !== undefined) base = base.where('group_name', '=', filter.groupName);
  const totalRow = await base.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  const rows = await base
    .selectAll()
    .orderBy('created_at', 'desc')
    .orderBy('group_id', 'desc')
    .limit(page.limit)
    .offset(page.offset)
    .execute();
  return { rows, total: Number(totalRow.n) };
}

/** The groups a device is a direct member of, newest group first. */
export async function listGroupsOfDevice(db: Db, deviceRowId: string): Promise<GroupRow[]> {
  return db
    .selectFrom('device_group_member as m')
    .innerJoin('device_group as g', 'g.group_id', 'm.group_id')
    .selectAll('g')
    .where('m.device_id', '=', deviceRowId)
    .orderBy('g.created_at', 'desc')
    .orderBy('g.group_id', 'desc')
    .execute();
}

/** Member counts of QueryDeviceGroupInfo (fleet-api §7.5); deleted devices never count. */
export async function countMembers(db: Db, groupId: string): Promise<{ total: number; activated: number; online: number }> {
  const row = await db
    .selectFrom('device_group_member as m')
    .innerJoin('device as d', 'd.id', 'm.device_id')
    .select((eb) => [
      eb.fn.countAll<number>().as('total'),
      // Activated: ever signed in, so DISABLE counts when it once was (fleet-api §7.5, unconfirmed).
      eb.fn
        .sum<number>(eb.case().when('d.activated_at', 'is not', null).then(1).when('d.status', 'in', ['ONLINE', 'OFFLINE']).then(1).else(0).end())
        .as('activated'),
      eb.fn.sum<number>(eb.case().when('d.status', '=', 'ONLINE').then(1).else(0).end()).as('online'),
    ])
    .where('m.group_id', '=', groupId)
    .where('d.deleted_at', 'is', null)
    .executeTakeFirstOrThrow();
  return { total: Number(row.total), activated: Number(row.activated ?? 0), online: Number(row.online ?? 0) };
}

export interface MemberRow {
  iot_id: string;
  device_name: string;
  product_key: string;
  product_name: string;
}

/** Live direct members, newest membership first (fleet-api §7.8, unconfirmed order), ties by device row id. */
export async function listMembers(db: Db, groupId: string, page: { offset: number; limit: number }): Promise<{ rows: MemberRow[]; total: number }> {
  const base = db
    .selectFrom('device_group_member as m')
    .innerJoin('device as d', 'd.id', 'm.device_id')
    .innerJoin('product as p', 'p.id', 'd.product_id')
    .where('m.group_id', '=', groupId)
    .where('d.deleted_at', 'is', null);
  const totalRow = await base.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  const rows = await base
    .select(['d.iot_id', 'd.device_name', 'p.product_key', 'p.product_name'])
    .orderBy('m.created_at', 'desc')
    .orderBy('m.device_id', 'desc')
    .limit(page.limit)
    .offset(page.offset)
    .execute();
  return { rows, total: Number(totalRow.n) };
}

/** Of `deviceRowIds`, those already members of the group. */
export async function findMemberIds(db: Db, groupId: string, deviceRowIds: readonly string[]): Promise<Set<string>> {
  const found = new Set<string>();
  for (let i = 0; i < deviceRowIds.length; i += 500) {
    const rows = await db
      .selectFrom('device_group_member')
      .select('device_id')
      .where('group_id', '=', groupId)
      .where('device_id', 'in', deviceRowIds.slice(i, i + 500))
      .execute();
    for (const r of rows) found.add(r.device_id);
  }
  return found;
}

/** How many groups each of `deviceRowIds` belongs to (devices in none are absent from the map). */
export async function countGroupsPerDevice(db: Db, deviceRowIds: readonly string[]): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  for (let i = 0; i < deviceRowIds.length; i += 500) {
    const rows = await db
      .selectFrom('device_group_member')
      .select((eb) => ['device_id', eb.fn.countAll<number>().as('n')])
      .where('device_id', 'in', deviceRowIds.slice(i, i + 500))
      .groupBy('device_id')
      .execute();
    for (const r of rows) counts.set(r.device_id, Number(r.n));
  }
  return counts;
}

/** Adds memberships; one that already exists (a concurrent add) is left as it is. */
export async function insertMembers(db: Db, groupId: string, deviceRowIds: readonly string[], at: number): Promise<void> {
  for (let i = 0; i < deviceRowIds.length; i += 500) {
    await db
      .insertInto('device_group_member')
      .values(deviceRowIds.slice(i, i + 500).map((device_id) => ({ group_id: groupId, device_id, created_at: at })))
      .onConflict((oc) => oc.columns(['group_id', 'device_id']).doNothing())
      .execute();
  }
}

/** Removes memberships; answers how many existed. */
export async function deleteMembers(db: Db, groupId: string, deviceRowIds: readonly string[]): Promise<number> {
  let removed = 0;
  for (let i = 0; i < deviceRowIds.length; i += 500) {
    const result = await db
      .deleteFrom('device_group_member')
      .where('group_id', '=', groupId)
      .where('device_id', 'in', deviceRowIds.slice(i, i + 500))
      .executeTakeFirst();
    removed += Number(result.numDeletedRows);
  }
  return removed;
}
