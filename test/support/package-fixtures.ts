import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import type { Clock } from '../../src/domain/clock.js';
import { systemClock } from '../../src/domain/clock.js';
import { deriveDeploymentCredentials } from '../../src/security/derived-secrets.js';
import { createDownloadUrlSigner, type DownloadUrlSigner } from '../../src/security/download-url-signer.js';
import { timeOrderedId } from '../../src/security/random-ids.js';
import { loadMasterKey } from '../../src/security/secret-box.js';
import type { StoredBlob } from '../../src/storage/blob/blob-store.js';
import { createLocalBlobStore } from '../../src/storage/blob/local-blob-store.js';
import type { TestServer } from './server.js';

export interface PackageFixture extends StoredBlob {
  readonly firmwareId: string;
  readonly fileId: string;
  readonly objectId: string;
}

/**
 * A firmware with one stored file, the way CreateOTAFirmware leaves it: the bytes written through the
 * server's own blob store (same data dir), the stored_object, firmware and firmware_file rows inserted
 * directly. For download tests that should not depend on the upload flow.
 */
export async function createPackage(server: TestServer, bytes: Buffer, options: { contentType?: string; clock?: Clock } = {}): Promise<PackageFixture> {
  const { db } = server.service.storage;
  const now = (options.clock ?? systemClock).now();
  const instance = await db
    .selectFrom('iot_instance as i')
    .innerJoin('access_key as k', 'k.account_id', 'i.account_id')
    .select(['i.id', 'i.account_id'])
    .where('k.access_key_id', '=', server.key.accessKeyId)
    .where('i.is_default', '=', 1)
    .executeTakeFirstOrThrow();
  const blobs = await createLocalBlobStore(server.dataDir);
  const blob = await blobs.put(Readable.from([bytes]), { maxBytes: bytes.length });
  const objectId = timeOrderedId(now);
  const firmwareId = randomBytes(16).toString('hex');
  const fileId = randomBytes(16).toString('hex');
  await db
    .insertInto('stored_object')
    .values({
      id: objectId,
      object_key: `ota/${randomBytes(16).toString('hex')}/${randomBytes(12).toString('hex')}.bin`,
      account_id: instance.account_id,
      instance_id: instance.id,
      kind: 'firmware',
      blob_id: blob.blobId,
      size: blob.size,
      md5: blob.md5,
      sha256: blob.sha256,
      content_type: options.contentType ?? null,
      uploaded_at: now,
      claimed_by: firmwareId,
      claimed_at: now,
    })
    .execute();
  await db
    .insertInto('firmware')
    .values({
      firmware_id: firmwareId,
      account_id: instance.account_id,
      instance_id: instance.id,
      product_id: null,
      module_name: 'default',
      firmware_name: `fw_${firmwareId.slice(0, 12)}`,
      firmware_desc: null,
      type: 0,
      src_version: null,
      dest_version: '1.0.0',
      sign_method: 'MD5',
      status: 0,
      verify_progress: 0,
      udi: null,
      multi_file: 0,
      created_at: now,
      modified_at: now,
    })
    .execute();
  await db
    .insertInto('firmware_file')
    .values({ firmware_id: firmwareId, seq: 0, file_id: fileId, name: null, object_id: objectId, size: blob.size, sign_value: blob.md5, file_md5: blob.md5, sha256: blob.sha256 })
    .execute();
  return { ...blob, firmwareId, fileId, objectId };
}

/** Removes the firmware rows (as DeleteOTAFirmware would), leaving the blob on disk. */
export async function deletePackageRows(server: TestServer, fixture: PackageFixture): Promise<void> {
  const { db } = server.service.storage;
  await db.deleteFrom('firmware_file').where('firmware_id', '=', fixture.firmwareId).execute();
  await db.deleteFrom('firmware').where('firmware_id', '=', fixture.firmwareId).execute();
}

/** The server's download URL signer, rebuilt from its data dir's master key (the same derivation main.ts uses). */
export function downloadSignerOf(server: TestServer, clock: Clock = systemClock, ttlMs = 24 * 3600_000): DownloadUrlSigner & { keyId: string } {
  const credentials = deriveDeploymentCredentials(loadMasterKey(server.dataDir, server.env.FLOTILLA_MASTER_KEY));
  const signer = createDownloadUrlSigner({ secret: credentials.downloadSecret, keyId: credentials.uploadKeyId, baseUrl: () => server.url, clock, ttlMs });
  return { ...signer, keyId: credentials.uploadKeyId };
}
