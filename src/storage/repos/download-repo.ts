import type { Db } from '../db.js';

/** What the download endpoint needs to serve one package file. */
export interface DownloadableFileRow {
  blobId: string;
  size: number;
  md5: string;
  contentType: string | null;
  uploadedAt: number;
}

/**
 * The stored object behind a download handle (firmware_file.file_id). The join with firmware means a file
 * whose firmware is gone is not found, even if its rows were left behind. Not scoped by instance: the
 * handle is unguessable and only reaches a device inside a signed URL (ota-api §2.3).
 */
export async function findDownloadableFile(db: Db, fileId: string): Promise<DownloadableFileRow | undefined> {
  const row = await db
    .selectFrom('firmware_file as f')
    .innerJoin('firmware as fw', 'fw.firmware_id', 'f.firmware_id')
    .innerJoin('stored_object as o', 'o.id', 'f.object_id')
    .select(['o.blob_id', 'o.size', 'o.md5', 'o.content_type', 'o.uploaded_at'])
    .where('f.file_id', '=', fileId)
    .executeTakeFirst();
  if (row === undefined) return undefined;
  return { blobId: row.blob_id, size: Number(row.size), md5: row.md5, contentType: row.content_type, uploadedAt: Number(row.uploaded_at) };
}
