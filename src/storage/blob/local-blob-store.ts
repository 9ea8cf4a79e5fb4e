import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { timeOrderedId } from '../../security/random-ids.js';
import { BlobTooLargeError, type BlobStore, type StoredBlob } from './blob-store.js';

const BLOB_ID = /^[0-9a-z]{9}[0-9a-f]{16}$/;

/**
 * Blobs as files under DATA_DIR/blobs/<2 chars>/<blobId>. A write goes to blobs/tmp/ first and is renamed
 * into place when complete (rename is atomic within one file system).
 */
export async function createLocalBlobStore(dataDir: string): Promise<BlobStore> {
  const root = join(dataDir, 'blobs');
  const tmp = join(root, 'tmp');
  await mkdir(tmp, { recursive: true });

  const pathOf = (blobId: string): string => {
    // Ids come from the database; the check keeps any other string from naming a path.
    if (!BLOB_ID.test(blobId)) throw new Error(`not a blob id: ${blobId}`);
    return join(root, blobId.slice(-2), blobId);
  };

  return {
    async put(source, { maxBytes }) {
      const blobId = timeOrderedId();
      const partPath = join(tmp, `${blobId}.part`);
      const md5 = createHash('md5');
      const sha256 = createHash('sha256');
      let size = 0;
      const hashing = new Transform({
        transform(chunk: Buffer, _enc, done) {
          size += chunk.length;
          if (size > maxBytes) return done(new BlobTooLargeError(maxBytes));
          md5.update(chunk);
          sha256.update(chunk);
          done(null, chunk);
        },
      });
      try {
        await pipeline(source, hashing, createWriteStream(partPath, { flags: 'wx' }));
        await mkdir(join(root, blobId.slice(-2)), { recursive: true });
        await rename(partPath, pathOf(blobId));
      } catch (err) {
        await rm(partPath, { force: true });
        throw err;
      }
      const stored: StoredBlob = { blobId, size, md5: md5.digest('hex'), sha256: sha256.digest('hex') };
      return stored;
    },

    async size(blobId) {
      try {
        return (await stat(pathOf(blobId))).size;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw err;
      }
    },

    read(blobId, range): Readable {
      return createReadStream(pathOf(blobId), range ? { start: range.start, end: range.end } : {});
    },

    async delete(blobId) {
      await rm(pathOf(blobId), { force: true });
    },

    async sweep() {
      const leftovers = (await readdir(tmp)).filter((name) => name.endsWith('.part'));
      await Promise.all(leftovers.map((name) => rm(join(tmp, name), { force: true })));
      return leftovers.length;
    },
  };
}
