import type { Db } from '../db.js';

export interface FileStreamRow {
  streamId: number;
  deviceId: string;
  fileId: string;
  createdAt: number;
  expiresAt: number;
}

/** Stores a stream unless its id is taken; true when stored (the caller draws another id otherwise). */
export async function insertFileStream(db: Db, row: FileStreamRow): Promise<boolean> {
  const inserted = await db
    .insertInto('file_stream')
    .values({ stream_id: row.streamId, device_id: row.deviceId, file_id: row.fileId, created_at: row.createdAt, expires_at: row.expiresAt })
    .onConflict((oc) => oc.column('stream_id').doNothing())
    .returning('stream_id')
    .execute();
  return inserted.length === 1;
}

/** Where a stream's bytes are: the stored object behind its file, as the HTTPS download resolves it. */
export interface StreamedFileRow {
  blobId: string;
  size: number;
}

/**
 * The file behind a live stream of this device. A stream of another device, an expired one, or one whose
 * firmware was deleted meanwhile (the join with firmware, as in download-repo) is not found.
 */
export async function findStreamedFile(db: Db, deviceId: string, streamId: number, now: number): Promise<StreamedFileRow | undefined> {
  const row = await db
    .selectFrom('file_stream as s')
    .innerJoin('firmware_file as f', 'f.file_id', 's.file_id')
    .innerJoin('firmware as fw', 'fw.firmware_id', 'f.firmware_id')
    .innerJoin('stored_object as o', 'o.id', 'f.object_id')
    .select(['o.blob_id', 'o.size'])
    .where('s.stream_id', '=', streamId)
    .where('s.device_id', '=', deviceId)
    .where('s.expires_at', '>', now)
    .executeTakeFirst();
  return row === undefined ? undefined : { blobId: row.blob_id, size: Number(row.size) };
}

export async function purgeExpiredFileStreams(db: Db, now: number): Promise<number> {
  const result = await db.deleteFrom('file_stream').where('expires_at', '<=', now).executeTakeFirst();
  return Number(result.numDeletedRows);
}
