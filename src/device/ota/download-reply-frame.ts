import { crc16Arc } from './crc16.js';

/** The JSON header of a `thing/file/download_reply` (device-protocol.md §4.7). */
export interface DownloadReplyHeader {
  /** The request's id, echoed with its JSON type; absent when the request had none. */
  readonly id?: string | number;
  readonly code: number;
  readonly msg: string;
  readonly data: {
    readonly fileToken?: string;
    /** Bytes of the whole file; absent when the request named no file this device may fetch. */
    readonly fileLength?: number;
    /** Bytes of data in this reply (0 on errors). */
    readonly bSize: number;
    readonly bOffset?: number;
  };
}

/**
 * The binary reply: header length (uint16 big-endian), the JSON header, the data bytes, then CRC-16/ARC of
 * the data bytes, little-endian (§4.7: C SDK 4.x reads it as a native uint16 on little-endian targets and
 * independent device code reads the low byte first; unconfirmed from a document). An error reply has no
 * data; its trailer is the CRC of nothing (0x0000), so every reply has one layout and a device that reads
 * the trailer before looking at `code` stays inside the message (Flotilla's choice).
 */
export function frameDownloadReply(header: DownloadReplyHeader, data: Uint8Array = EMPTY): Buffer {
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  if (json.length > 0xffff) throw new RangeError('download reply header longer than 65535 bytes');
  const frame = Buffer.allocUnsafe(2 + json.length + data.length + 2);
  frame.writeUInt16BE(json.length, 0);
  json.copy(frame, 2);
  frame.set(data, 2 + json.length);
  frame.writeUInt16LE(crc16Arc(data), 2 + json.length + data.length);
  return frame;
}

const EMPTY = new Uint8Array(0);
