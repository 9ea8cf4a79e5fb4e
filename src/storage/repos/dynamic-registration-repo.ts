import type { Db } from '../db.js';

/** What "one product, one secret" registration needs of a product (device-protocol.md §2.5). */
export interface RegistrationProduct {
  id: string;
  product_key: string;
  product_secret_enc: string;
  dynamic_register: number;
}

/** A live product by key, whatever its account: product keys are unique across accounts. */
export async function findRegistrationProduct(db: Db, productKey: string): Promise<RegistrationProduct | undefined> {
  return db
    .selectFrom('product')
    .select(['id', 'product_key', 'product_secret_enc', 'dynamic_register'])
    .where('product_key', '=', productKey)
    .where('deleted_at', 'is', null)
    .executeTakeFirst();
}

/**
 * Replaces the secret of a device that has never signed in. Guarded, so a sign-in that activated the
 * device meanwhile wins: false then, and nothing changed.
 */
export async function replaceUnactivatedSecret(db: Db, deviceId: string, secretEnc: string, now: number): Promise<boolean> {
  const result = await db
    .updateTable('device')
    .set({ device_secret_enc: secretEnc, modified_at: now })
    .where('id', '=', deviceId)
    .where('status', '=', 'UNACTIVE')
    .where('activated_at', 'is', null)
    .where('deleted_at', 'is', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/** The dynamic-registration switch of a live product; false when there is no such product. */
export async function setDynamicRegister(db: Db, productKey: string, enabled: boolean): Promise<boolean> {
  const result = await db
    .updateTable('product')
    .set({ dynamic_register: enabled ? 1 : 0 })
    .where('product_key', '=', productKey)
    .where('deleted_at', 'is', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}
