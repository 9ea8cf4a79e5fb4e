import type { Selectable } from 'kysely';
import type { Db } from '../db.js';
import type { StoredObjectTable, UploadSlotTable } from '../schema.js';

export type UploadSlotRow = Selectable<UploadSlotTable>;
export type StoredObjectRow = Selectable<StoredObjectTable>;

export async function insertSlot(db: Db, row: UploadSlotRow): Promise<void> {
  await db.insertInto('upload_slot').values(row).execute();
}

export async function findSlot(db: Db, keyPrefix: string): Promise<UploadSlotRow | undefined> {
  return db.selectFrom('upload_slot').selectAll().where('key_prefix', '=', keyPrefix).executeTakeFirst();
}

export async function deleteExpiredSlots(db: Db, now: number): Promise<number> {
  const result = await db.deleteFrom('upload_slot').where('expires_at', '<', now).executeTakeFirst();
  return Number(result.numDeletedRows);
}

/** Removes the unclaimed object stored under `objectKey`, if any; returns its blob so the caller can delete it. */
export async function deleteUnclaimedObjectByKey(db: Db, objectKey: string): Promise<string | undefined> {
  const row = await db
    .deleteFrom('stored_object')
    .where('object_key', '=', objectKey)
    .where('claimed_by', 'is', null)
    .returning('blob_id')
    .executeTakeFirst();
  return row?.blob_id;
}

export async function insertObject(db: Db, row: StoredObjectRow): Promise<void> {
  await db.insertInto('stored_object').values(row).execute();
}

export async function findObjectByKey(db: Db, objectKey: string): Promise<StoredObjectRow | undefined> {
  return db.selectFrom('stored_object').selectAll().where('object_key', '=', objectKey).executeTakeFirst();
}

/** A guarded claim: only an object nobody has claimed yet moves, so two racing firmware cannot share it. */
export async function claimObject(db: Db, objectId: string, claimedBy: string, at: number): Promise<boolean> {
  const result = await db
    .updateTable('stored_object')
    .set({ claimed_by: claimedBy, claimed_at: at })
    .where('id', '=', objectId)
    .where('claimed_by', 'is', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/** Up to `limit` unclaimed objects uploaded before `before`, deleted; their blobs are returned for deletion. */
export async function deleteStaleUnclaimedObjects(db: Db, before: number, limit: number): Promise<string[]> {
  const stale = await db
    .selectFrom('stored_object')
    .select('id')
    .where('claimed_by', 'is', null)
    .where('uploaded_at', '<', before)
    .limit(limit)
    .execute();
  if (stale.length === 0) return [];
  const rows = await db
    .deleteFrom('stored_object')
    .where('id', 'in', stale.map((r) => r.id))
    // A claim that landed between the two statements keeps its object.
    .where('claimed_by', 'is', null)
    .returning('blob_id')
    .execute();
  return rows.map((r) => r.blob_id);
}

/** Deletes the objects; returns their blobs for the caller to delete once the transaction committed. */
export async function deleteObjects(db: Db, objectIds: readonly string[]): Promise<string[]> {
  if (objectIds.length === 0) return [];
  const rows = await db.deleteFrom('stored_object').where('id', 'in', objectIds).returning('blob_id').execute();
  return rows.map((r) => r.blob_id);
}
