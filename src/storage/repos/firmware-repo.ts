import type { Selectable } from 'kysely';
import type { Db } from '../db.js';
import type { FirmwareFileTable, FirmwareTable } from '../schema.js';

export type FirmwareRow = Selectable<FirmwareTable>;
export type FirmwareFileRow = Selectable<FirmwareFileTable>;

/** A firmware with its product's key and name (absent for product-less firmware). */
export type FirmwareWithProduct = FirmwareRow & { product_key: string | null; product_name: string | null };

export async function insertFirmware(db: Db, row: FirmwareRow): Promise<void> {
  await db.insertInto('firmware').values(row).execute();
}

export async function insertFiles(db: Db, rows: readonly FirmwareFileRow[]): Promise<void> {
  if (rows.length === 0) return;
  await db.insertInto('firmware_file').values([...rows]).execute();
}

function withProduct(db: Db) {
  return db
    .selectFrom('firmware')
    .leftJoin('product', 'product.id', 'firmware.product_id')
    .selectAll('firmware')
    .select(['product.product_key as product_key', 'product.product_name as product_name']);
}

/** A firmware of this instance; another tenant's firmware reads like a missing one. */
export async function findFirmware(db: Db, instanceRowId: string, firmwareId: string): Promise<FirmwareWithProduct | undefined> {
  return withProduct(db).where('firmware.firmware_id', '=', firmwareId).where('firmware.instance_id', '=', instanceRowId).executeTakeFirst();
}

export async function firmwareNameTaken(db: Db, instanceRowId: string, name: string): Promise<boolean> {
  const row = await db
    .selectFrom('firmware')
    .select('firmware_id')
    .where('instance_id', '=', instanceRowId)
    .where('firmware_name', '=', name)
    .executeTakeFirst();
  return row !== undefined;
}

export async function countFirmware(db: Db, instanceRowId: string): Promise<number> {
  const row = await db
    .selectFrom('firmware')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('instance_id', '=', instanceRowId)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** ota-api §1.6: newest first, ties broken by id so pages never overlap. */
export async function listFirmware(
  db: Db,
  instanceRowId: string,
  filter: { productId?: string; destVersion?: string },
  page: { offset: number; limit: number },
): Promise<{ rows: FirmwareWithProduct[]; total: number }> {
  let count = db.selectFrom('firmware').where('instance_id', '=', instanceRowId);
  let rows = withProduct(db).where('firmware.instance_id', '=', instanceRowId);
  if (filter.productId !== undefined) {
    count = count.where('product_id', '=', filter.productId);
    rows = rows.where('firmware.product_id', '=', filter.productId);
  }
  if (filter.destVersion !== undefined) {
    count = count.where('dest_version', '=', filter.destVersion);
    rows = rows.where('firmware.dest_version', '=', filter.destVersion);
  }
  const total = await count.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  const items = await rows
    .orderBy('firmware.created_at', 'desc')
    .orderBy('firmware.firmware_id', 'desc')
    .limit(page.limit)
    .offset(page.offset)
    .execute();
  return { rows: items, total: Number(total.n) };
}

/** The files of the given firmware, in package order. */
export async function listFiles(db: Db, firmwareIds: readonly string[]): Promise<FirmwareFileRow[]> {
  if (firmwareIds.length === 0) return [];
  return db.selectFrom('firmware_file').selectAll().where('firmware_id', 'in', firmwareIds).orderBy('firmware_id').orderBy('seq').execute();
}

export async function deleteFirmware(db: Db, firmwareId: string): Promise<void> {
  await db.deleteFrom('firmware_file').where('firmware_id', '=', firmwareId).execute();
  await db.deleteFrom('firmware').where('firmware_id', '=', firmwareId).execute();
}

/** The stored name of the product's module whose folded name is `folded` (ota-api §1.8), if it exists. */
export async function findModuleName(db: Db, productId: string, folded: string): Promise<string | undefined> {
  const row = await db
    .selectFrom('ota_module')
    .select('module_name')
    .where('product_id', '=', productId)
    .where('module_name_folded', '=', folded)
    .executeTakeFirst();
  return row?.module_name;
}
