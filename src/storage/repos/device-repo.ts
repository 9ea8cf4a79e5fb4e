import type { Selectable } from 'kysely';
import type { Db } from '../db.js';
import { hotQuery } from '../hot-query.js';
import type { DeviceTable } from '../schema.js';

export type DeviceRow = Selectable<DeviceTable>;

export async function insertDevices(db: Db, rows: readonly DeviceRow[]): Promise<void> {
  // SQLite allows 32,766 bound variables per statement; 16 columns × 500 rows stays well below.
  for (let i = 0; i < rows.length; i += 500) await db.insertInto('device').values(rows.slice(i, i + 500)).execute();
}

// The device look-ups of fleet-api §1.2 run on most device operations: compiled once (hot-query.ts).
const deviceByIotIdQuery = hotQuery((db: Db, instanceRowId: string, iotId: string) =>
  db.selectFrom('device').selectAll().where('iot_id', '=', iotId).where('instance_id', '=', instanceRowId).where('deleted_at', 'is', null),
);
const deviceByNameQuery = hotQuery((db: Db, productId: string, deviceName: string) =>
  db.selectFrom('device').selectAll().where('product_id', '=', productId).where('device_name', '=', deviceName).where('deleted_at', 'is', null),
);
const moduleVersionQuery = hotQuery((db: Db, deviceId: string, moduleName: string) =>
  db.selectFrom('device_module_version').select('version').where('device_id', '=', deviceId).where('module_name', '=', moduleName),
);

/** A live device of this instance by IotId; another tenant's or a deleted device is answered like a missing one. */
export async function findDeviceByIotId(db: Db, instanceRowId: string, iotId: string): Promise<DeviceRow | undefined> {
  return (await deviceByIotIdQuery(db, instanceRowId, iotId))[0];
}

export async function findDeviceByName(db: Db, productId: string, deviceName: string): Promise<DeviceRow | undefined> {
  return (await deviceByNameQuery(db, productId, deviceName))[0];
}

export async function findDevicesByNames(db: Db, productId: string, deviceNames: readonly string[]): Promise<DeviceRow[]> {
  const rows: DeviceRow[] = [];
  for (let i = 0; i < deviceNames.length; i += 500) {
    rows.push(
      ...(await db
        .selectFrom('device')
        .selectAll()
        .where('product_id', '=', productId)
        .where('device_name', 'in', deviceNames.slice(i, i + 500))
        .where('deleted_at', 'is', null)
        .execute()),
    );
  }
  return rows;
}

export async function iotIdExists(db: Db, iotId: string): Promise<boolean> {
  return (await db.selectFrom('device').select('id').where('iot_id', '=', iotId).executeTakeFirst()) !== undefined;
}

/** The last version the device reported for a module (device-protocol §4.1); `default` is FirmwareVersion. */
export async function findModuleVersion(db: Db, deviceId: string, moduleName: string): Promise<string | undefined> {
  return (await moduleVersionQuery(db, deviceId, moduleName))[0]?.version;
}

/** A device row with the product fields the device answers carry. */
export type DeviceWithProductRow = DeviceRow & { product_key: string; product_name: string; node_type: number };

/** The versions reported for one module by several devices, keyed by device row id. */
export async function findModuleVersions(db: Db, deviceIds: readonly string[], moduleName: string): Promise<Map<string, string>> {
  const versions = new Map<string, string>();
  for (let i = 0; i < deviceIds.length; i += 500) {
    const rows = await db
      .selectFrom('device_module_version')
      .select(['device_id', 'version'])
      .where('device_id', 'in', deviceIds.slice(i, i + 500))
      .where('module_name', '=', moduleName)
      .execute();
    for (const row of rows) versions.set(row.device_id, row.version);
  }
  return versions;
}

/** Live devices of this instance by IotId, with their products; unknown, deleted or foreign ids are absent. */
export async function findDevicesByIotIds(db: Db, instanceRowId: string, iotIds: readonly string[]): Promise<DeviceWithProductRow[]> {
  if (iotIds.length === 0) return [];
  return db
    .selectFrom('device')
    .innerJoin('product', 'product.id', 'device.product_id')
    .selectAll('device')
    .select(['product.product_key', 'product.product_name', 'product.node_type'])
    .where('device.iot_id', 'in', iotIds)
    .where('device.instance_id', '=', instanceRowId)
    .where('device.deleted_at', 'is', null)
    .execute();
}

/** Where a keyset page starts: after this (created_at, id) in newest-first order (fleet-api §1.4). */
export interface DeviceCursor {
  createdAt: number;
  id: string;
}

export interface DeviceListFilter {
  instanceRowId: string;
  productId?: string;
  status?: DeviceRow['status'];
}

export interface DeviceListing {
  rows: DeviceWithProductRow[];
  total: number;
}

/**
 * One page of live devices, newest first, ties broken by id so pages never overlap or skip (fleet-api
 * §1.4). Starts at `offset`, or after `after` when given. `limit` rows at most.
 */
export async function listDevices(
  db: Db,
  filter: DeviceListFilter,
  page: { limit: number; offset?: number; after?: DeviceCursor },
): Promise<DeviceListing> {
  let base = db
    .selectFrom('device')
    .innerJoin('product', 'product.id', 'device.product_id')
    .where('device.instance_id', '=', filter.instanceRowId)
    .where('device.deleted_at', 'is', null);
  if (filter.productId !== undefined) base = base.where('device.product_id', '=', filter.productId);
  if (filter.status !== undefined) base = base.where('device.status', '=', filter.status);
  const totalRow = await base.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();

  let q = base.selectAll('device').select(['product.product_key', 'product.product_name', 'product.node_type']);
  const after = page.after;
  if (after !== undefined) {
    q = q.where((eb) =>
      eb.or([
        eb('device.created_at', '<', after.createdAt),
        eb.and([eb('device.created_at', '=', after.createdAt), eb('device.id', '<', after.id)]),
      ]),
    );
  }
  const rows = await q
    .orderBy('device.created_at', 'desc')
    .orderBy('device.id', 'desc')
    .limit(page.limit)
    .offset(after === undefined ? (page.offset ?? 0) : 0)
    .execute();
  return { rows, total: Number(totalRow.n) };
}

/**
 * Guarded status change (states.md §5): only a live device whose status is one of `from` moves, so two
 * racing calls cannot both apply it. Returns whether the row moved.
 */
export async function moveDeviceStatus(
  db: Db,
  m: { deviceId: string; from: readonly DeviceRow['status'][]; to: DeviceRow['status']; at: number },
): Promise<boolean> {
  const result = await db
    .updateTable('device')
    .set({ status: m.to, status_at: m.at, modified_at: m.at })
    .where('id', '=', m.deviceId)
    .where('status', 'in', m.from)
    .where('deleted_at', 'is', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

/** Soft delete: the row stays for OTA history and keeps its IotId out of reuse (fleet-api §2.1, §6.3). */
export async function markDeviceDeleted(db: Db, deviceId: string, at: number): Promise<boolean> {
  const result = await db
    .updateTable('device')
    .set({ deleted_at: at, modified_at: at })
    .where('id', '=', deviceId)
    .where('deleted_at', 'is', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

/** fleet-api §6.3: group memberships, tags and reported module versions go with the device. */
export async function deleteDeviceAttachments(db: Db, deviceId: string): Promise<void> {
  await db.deleteFrom('device_group_member').where('device_id', '=', deviceId).execute();
  await db.deleteFrom('device_prop').where('device_id', '=', deviceId).execute();
  await db.deleteFrom('device_module_version').where('device_id', '=', deviceId).execute();
  await db.deleteFrom('device_ota_progress').where('device_id', '=', deviceId).execute();
  await db.deleteFrom('file_stream').where('device_id', '=', deviceId).execute();
}

/** Takes the device's row lock until the transaction ends (a no-op write), for per-device count limits. */
export async function lockDevice(db: Db, deviceRowId: string): Promise<void> {
  await db.updateTable('device').set((eb) => ({ modified_at: eb.ref('modified_at') })).where('id', '=', deviceRowId).execute();
}
