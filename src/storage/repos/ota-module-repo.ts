import { type Selectable, sql } from 'kysely';
import type { Db } from '../db.js';
import type { OtaModuleTable } from '../schema.js';

export type OtaModuleRow = Selectable<OtaModuleTable>;

/** The name of the implicit module (ota-api §1.8), stored folded like every other name. */
const DEFAULT_MODULE = 'default';

export async function insertModule(db: Db, row: OtaModuleRow): Promise<void> {
  await db.insertInto('ota_module').values(row).execute();
}

/** A module of the product by its folded (lower-case) name; the product's scope has been checked by the caller. */
export async function findModule(db: Db, productId: string, folded: string): Promise<OtaModuleRow | undefined> {
  return db.selectFrom('ota_module').selectAll().where('product_id', '=', productId).where('module_name_folded', '=', folded).executeTakeFirst();
}

/** The product's custom modules (the stored `default` row, if any, is not one), oldest first. */
export async function listModules(db: Db, productId: string): Promise<OtaModuleRow[]> {
  return db
    .selectFrom('ota_module')
    .selectAll()
    .where('product_id', '=', productId)
    .orderBy('created_at', 'asc')
    .orderBy('id', 'asc')
    .execute();
}

export async function countCustomModules(db: Db, productId: string): Promise<number> {
  const row = await db
    .selectFrom('ota_module')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('product_id', '=', productId)
    .where('module_name_folded', '<>', DEFAULT_MODULE)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

export async function updateModule(db: Db, id: string, changes: Pick<OtaModuleRow, 'alias_name' | 'description' | 'modified_at'>): Promise<void> {
  await db.updateTable('ota_module').set(changes).where('id', '=', id).execute();
}

export async function deleteModule(db: Db, id: string): Promise<void> {
  await db.deleteFrom('ota_module').where('id', '=', id).execute();
}

/** Whether any firmware of the product belongs to the module (ota-api §5.3); names compared folded. */
export async function moduleHasFirmware(db: Db, productId: string, folded: string): Promise<boolean> {
  const row = await db
    .selectFrom('firmware')
    .select('firmware_id')
    .where('product_id', '=', productId)
    .where(sql<string>`lower(module_name)`, '=', folded)
    .limit(1)
    .executeTakeFirst();
  return row !== undefined;
}

/** One row per module the device reported (device-protocol §4.1): `default` first, then by name. */
export async function listDeviceModuleVersions(
  db: Db,
  deviceId: string,
  page: { offset: number; limit: number },
): Promise<{ rows: { module_name: string; version: string }[]; total: number }> {
  const base = db.selectFrom('device_module_version').where('device_id', '=', deviceId);
  const totalRow = await base.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  const rows = await base
    .select(['module_name', 'version'])
    .orderBy(sql`case when module_name = ${DEFAULT_MODULE} then 0 else 1 end`)
    .orderBy('module_name', 'asc')
    .limit(page.limit)
    .offset(page.offset)
    .execute();
  return { rows, total: Number(totalRow.n) };
}
