import type { Db } from '../db.js';

/** Records a nonce; false when the (key, nonce) pair was already there. One statement, so racing requests agree. */
export async function recordNonce(db: Db, accessKeyId: string, nonce: string, expiresAt: number): Promise<boolean> {
  const result = await db
    .insertInto('api_nonce')
    .values({ access_key_id: accessKeyId, nonce, expires_at: expiresAt })
    .onConflict((oc) => oc.columns(['access_key_id', 'nonce']).doNothing())
    .executeTakeFirst();
  return Number(result.numInsertedOrUpdatedRows ?? 0n) > 0;
}

export async function purgeExpiredNonces(db: Db, now: number): Promise<number> {
  const result = await db.deleteFrom('api_nonce').where('expires_at', '<', now).executeTakeFirst();
  return Number(result.numDeletedRows);
}
