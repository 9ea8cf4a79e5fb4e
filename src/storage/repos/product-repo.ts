import type { Selectable } from 'kysely';
import type { Db } from '../db.js';
import { cachedHotQuery } from '../hot-query.js';
import type { ProductTable } from '../schema.js';

export type ProductRow = Selectable<ProductTable>;

export async function insertProduct(db: Db, row: ProductRow): Promise<void> {
  await db.insertInto('product').values(row).execute();
}

// On most device and product operations. Cached while the product table does not change (a product is
// updated or deleted: read again at once); the instance is part of the key, so tenants never share entries.
const productByKeyQuery = cachedHotQuery(['product'], (db: Db, instanceRowId: string, productKey: string) =>
  db
    .selectFrom('product')
    .selectAll()
    .where('product_key', '=', productKey)
    .where('instance_id', '=', instanceRowId)
    .where('deleted_at', 'is', null),
);

/** A live product of this instance by key; another tenant's product is answered exactly like a missing one. */
export async function findProductByKey(db: Db, instanceRowId: string, productKey: string): Promise<ProductRow | undefined> {
  return (await productByKeyQuery(db, instanceRowId, productKey))[0];
}

export async function findProductById(db: Db, productId: string): Promise<ProductRow | undefined> {
  return db.selectFrom('product').selectAll().where('id', '=', productId).executeTakeFirst();
}

export async function productNameTaken(db: Db, instanceRowId: string, name: string, exceptProductId?: string): Promise<boolean> {
  let q = db
    .selectFrom('product')
    .select('id')
    .where('instance_id', '=', instanceRowId)
    .where('product_name', '=', name)
    .where('deleted_at', 'is', null);
  if (exceptProductId !== undefined) q = q.where('id', '!=', exceptProductId);
  return (await q.executeTakeFirst()) !== undefined;
}

export async function productKeyExists(db: Db, productKey: string): Promise<boolean> {
  return (await db.selectFrom('product').select('id').where('product_key', '=', productKey).executeTakeFirst()) !== undefined;
}

export async function updateProduct(
  db: Db,
  productId: string,
  changes: Partial<Pick<ProductRow, 'product_name' | 'description' | 'modified_at' | 'deleted_at'>>,
): Promise<void> {
  await db.updateTable('product').set(changes).where('id', '=', productId).execute();
}

export async function countLiveDevices(db: Db, productId: string): Promise<number> {
  const row = await db
    .selectFrom('device')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('product_id', '=', productId)
    .where('deleted_at', 'is', null)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

export interface ProductListing {
  rows: (ProductRow & { device_count: number })[];
  total: number;
}

/** Newest first, ties broken by id so pages never overlap (fleet-api §1.4). */
export async function listProducts(
  db: Db,
  instanceRowId: string,
  filter: { commodityCode: string | undefined },
  page: { offset: number; limit: number },
): Promise<ProductListing> {
  let base = db.selectFrom('product').where('instance_id', '=', instanceRowId).where('deleted_at', 'is', null);
  if (filter.commodityCode !== undefined) base = base.where('commodity_code', '=', filter.commodityCode);
  const totalRow = await base.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  const rows = await base
    .selectAll('product')
    .select((eb) =>
      eb
        .selectFrom('device')
        .select((e) => e.fn.countAll<number>().as('c'))
        .whereRef('device.product_id', '=', 'product.id')
        .where('device.deleted_at', 'is', null)
        .as('device_count'),
    )
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .limit(page.limit)
    .offset(page.offset)
    .execute();
  return { rows: rows.map((r) => ({ ...r, device_count: Number(r.device_count ?? 0) })), total: Number(totalRow.n) };
}
