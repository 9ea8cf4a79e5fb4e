import type { Readable } from 'node:stream';

/**
 * Where package bytes live, behind one small interface: local disk now, an object store later. Blobs are
 * immutable; a write is visible only once complete, so an interrupted or rejected upload leaves nothing.
 */
export interface BlobStore {
  /** Streams `source` into a new blob while hashing it; never holds the whole file in memory. */
  put(source: Readable, options: { maxBytes: number }): Promise<StoredBlob>;
  /** Size in bytes, or undefined when the blob does not exist. */
  size(blobId: string): Promise<number | undefined>;
  /** The bytes, or the inclusive byte range `start`–`end`. */
  read(blobId: string, range?: { start: number; end: number }): Readable;
  delete(blobId: string): Promise<void>;
  /** Removes what interrupted writes left behind (after a crash or kill -9). */
  sweep(): Promise<number>;
}

export interface StoredBlob {
  blobId: string;
  size: number;
  /** Lower-case hex digests of the stored bytes. */
  md5: string;
  sha256: string;
}

/** The source delivered more than `maxBytes`; the write was abandoned. */
export class BlobTooLargeError extends Error {
  constructor(readonly maxBytes: number) {
    super(`the file exceeds ${maxBytes} bytes`);
    this.name = 'BlobTooLargeError';
  }
}
