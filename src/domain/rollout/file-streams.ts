import { randomInt } from 'node:crypto';
import type { Db } from '../../storage/db.js';
import { findStreamedFile, insertFileStream, purgeExpiredFileStreams } from '../../storage/repos/file-stream-repo.js';
import type { Clock } from '../clock.js';
import type { OtaDevice } from './device-ota-events.js';

/**
 * MQTT download streams (device-protocol.md §4.2 MQTT variant, §4.7). A push with DownloadProtocol=MQTT
 * names a `streamId` and `streamFileId` instead of a URL; the device then asks for the file block by block
 * on `thing/file/download`. A stream belongs to one device and one file and lives as long as a signed
 * download URL would (the push's URL and its stream are two forms of the same handle).
 *
 * One stream is one file: `streamFileId` is always 1. Alibaba offers MQTT download only for single-file
 * packages (§4.2); should a multi-file package ever be streamed, each file gets a stream of its own, again
 * with `streamFileId` 1, so a stream id alone names the file (Flotilla's choice; unconfirmed on Alibaba).
 */
export interface FileStreams {
  /** Opens a stream on `fileId` (firmware_file.file_id) for `device`. */
  open(device: OtaDevice, fileId: string): Promise<{ streamId: number; streamFileId: number }>;
  /**
   * The file a device may fetch through `streamId`/`streamFileId`: undefined for an unknown or expired
   * stream, another device's stream, another file id, or a file whose firmware is gone.
   */
  find(device: OtaDevice, streamId: number, streamFileId: number): Promise<StreamedFile | undefined>;
  /** Deletes expired streams; returns how many. */
  purgeExpired(): Promise<number>;
}

export interface StreamedFile {
  readonly blobId: string;
  readonly size: number;
}

/** The only file id within a stream (see above). */
export const STREAM_FILE_ID = 1;
// The C SDK parses streamId as a signed 32-bit number (§4.2: "number"), so ids stay within 1 … 2^31 − 1.
const MAX_STREAM_ID = 2 ** 31;
// With 2^31 ids a collision is already rare; a few draws make a failure practically impossible.
const MAX_DRAWS = 8;

export function createFileStreams(deps: { db: Db; clock: Clock; ttlMs: number }): FileStreams {
  const { db, clock, ttlMs } = deps;
  return {
    async open(device, fileId) {
      const createdAt = clock.now();
      for (let draw = 0; draw < MAX_DRAWS; draw++) {
        // Random, not sequential: a device must not guess the streams of others (they are refused anyway).
        const streamId = randomInt(1, MAX_STREAM_ID);
        if (await insertFileStream(db, { streamId, deviceId: device.rowId, fileId, createdAt, expiresAt: createdAt + ttlMs })) {
          return { streamId, streamFileId: STREAM_FILE_ID };
        }
      }
      throw new Error('no free MQTT download stream id');
    },
    async find(device, streamId, streamFileId) {
      if (streamFileId !== STREAM_FILE_ID || !Number.isSafeInteger(streamId) || streamId < 1 || streamId >= MAX_STREAM_ID) return undefined;
      return findStreamedFile(db, device.rowId, streamId, clock.now());
    },
    purgeExpired() {
      return purgeExpiredFileStreams(db, clock.now());
    },
  };
}
