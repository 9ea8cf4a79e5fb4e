import type { Selectable } from 'kysely';
import type { Db } from '../db.js';
import type { DeviceTable } from '../schema.js';

export type DeviceRow = Selectable<DeviceTable>;

export async function insertDevices(db: Db, rows: readonly DeviceRow[]): Promise<void> {
  // SQLite allows 32,766 bound variables per statement; 16 columns × 500 rows stays well below.
  for (let i = 0; i < rows.length; i += 500) await db.insertInto('device').values(rows.slice(i, i + 500)).execute();
}

/** A live device of this instance by IotId; another tenant's or a deleted device is answered like a missing one. */
export async function findDeviceByIotId(db: Db, instanceRowId: string, iotId: string): Promise<DeviceRow | undefined> {
  return db
    .selectFrom('device')
    .selectAll()
    .where('iot_id', '=', iotId)
    .where('instance_id', '=', instanceRowId)
    .where('deleted_at', 'is', null)
    .executeTakeFirst();
}

export async function findDeviceByName(db: Db, productId: string, deviceName: string): Promise<DeviceRow | undefined> {
  return db
    .selectFrom('device')
    .selectAll()
    .where('product_id', '=', productId)
    .where('device_name', '=', deviceName)
    .where('deleted_at', 'is', null)
    .executeTakeFirst();
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
  const row = await db
    .selectFrom('device_module_version')
    .select('version')
    .where('device_id', '=', deviceId)
    .where('module_name', '=', moduleName)
    .executeTakeFirst();
  return row?.version;
}
