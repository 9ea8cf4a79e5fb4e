import type { Logger } from 'pino';
import type { FileStreams } from '../../domain/rollout/file-streams.js';
import type { Metrics } from '../../observability/metrics.js';
import type { BlobStore } from '../../storage/blob/blob-store.js';
import { deviceTopics } from '../gateway/topic-permissions.js';
import type { UpTopicHandler } from '../mqtt/broker.js';
import { createBlockReadGate } from './block-read-gate.js';
import { type DownloadReplyHeader, frameDownloadReply } from './download-reply-frame.js';
import { parseLenientJson } from './lenient-json.js';

/**
 * `/sys/{pk}/{dn}/thing/file/download` → `…/download_reply` (device-protocol.md §4.7): one block of a
 * package a push named by `streamId`/`streamFileId` (§4.2, MQTT variant), read from the blob store.
 * Packages of any size are served: offsets are checked against the file's length only (Alibaba documents
 * offsets up to 16 MB because it streams only packages up to that size; Flotilla has no such cap).
 *
 * Errors (unconfirmed codes, §4.7): `460` ("request parameter error", the Alink code for invalid
 * parameters, §5) for a bad block size, a bad offset, a missing or malformed field, and a stream that is
 * unknown, expired or another device's (the same answer, so nothing about other devices leaks); `500`
 * when the stored bytes cannot be read. Error replies carry `bSize` 0 and no data.
 *
 * Replies go out with QoS 0 (unconfirmed which QoS Alibaba uses): the device re-requests a block after
 * 10 s without an answer, so a redelivery protocol on top adds nothing but state in the broker.
 */
export interface FileDownloadDeps {
  streams: Pick<FileStreams, 'find'>;
  blobs: Pick<BlobStore, 'read'>;
  publish(topic: string, payload: Buffer, qos: 0 | 1): Promise<void>;
  metrics: Metrics;
  log: Logger;
  /** Block requests served at once across all devices (memory bound: about 256 KB each). */
  maxConcurrentBlocks?: number;
}

export const MIN_BLOCK_SIZE = 256;
export const MAX_BLOCK_SIZE = 131_072;
// C SDK 4.x keeps at most 128 bytes of fileToken (MQTT_DOWNLOAD_TOKEN_MAXLEN); longer ones are refused
// rather than echoed, which also keeps the reply header far below its 64 KB limit.
const MAX_FILE_TOKEN_LENGTH = 128;
// A block request is a few hundred bytes; anything far larger is not one.
const MAX_REQUEST_BYTES = 16 * 1024;
const PARAMETER_ERROR = 460;
const INTERNAL_ERROR = 500;

interface BlockRequest {
  id: string | number | undefined;
  fileToken: string | undefined;
  streamId: number;
  fileId: number;
  size: number;
  offset: number;
}

export function createFileDownloadHandler(deps: FileDownloadDeps): UpTopicHandler {
  const { streams, blobs, publish, metrics, log } = deps;
  const gate = createBlockReadGate(deps.maxConcurrentBlocks ?? 32);
  const count = (outcome: 'ok' | 'invalid' | 'malformed' | 'error') => metrics.deviceMessages.inc({ topic: 'fileDownload', outcome });

  return async (session, payload) => {
    const { device } = session;
    const body = parseLenientJson(payload, MAX_REQUEST_BYTES);
    if (!isObject(body)) {
      // Not JSON: there is no id to answer to; the device's 10 s retry and give-up apply (§4.7).
      count('malformed');
      log.info({ device: device.iotId }, 'file download request is not JSON; dropped');
      return;
    }
    const topic = deviceTopics.fileDownloadReply(device);
    const parsed = readRequest(body);
    const reply = (header: DownloadReplyHeader, data?: Buffer) => publish(topic, frameDownloadReply(header, data), 0);
    if (typeof parsed === 'string') {
      count('invalid');
      await reply(failure(body, PARAMETER_ERROR, parsed));
      return;
    }
    const { id, fileToken, offset } = parsed;
    await gate.run(device.rowId, async () => {
      const file = await streams.find(device, parsed.streamId, parsed.fileId);
      if (file === undefined) {
        count('invalid');
        return reply({ id, code: PARAMETER_ERROR, msg: 'file stream not found', data: { fileToken, bSize: 0, bOffset: offset } });
      }
      const fileLength = file.size;
      const refuse = (msg: string) => {
        count('invalid');
        return reply({ id, code: PARAMETER_ERROR, msg, data: { fileToken, fileLength, bSize: 0, bOffset: offset } });
      };
      if (offset >= fileLength) return refuse('fileBlock.offset is beyond the end of the file');
      const bSize = Math.min(parsed.size, fileLength - offset);
      // §4.7: 256 bytes at least, except a last block that reaches the end of the file.
      if (parsed.size < MIN_BLOCK_SIZE && offset + parsed.size < fileLength) return refuse(`fileBlock.size must be ${MIN_BLOCK_SIZE}-${MAX_BLOCK_SIZE}`);
      let data: Buffer;
      try {
        data = await readBlock(blobs, file.blobId, offset, bSize);
      } catch (err) {
        count('error');
        log.error({ err, device: device.iotId, blobId: file.blobId, offset }, 'reading a package block failed');
        return reply({ id, code: INTERNAL_ERROR, msg: 'internal error', data: { fileToken, fileLength, bSize: 0, bOffset: offset } });
      }
      count('ok');
      return reply({ id, code: 200, msg: 'success', data: { fileToken, fileLength, bSize, bOffset: offset } }, data);
    });
  };
}

/** The request's fields, or the message of a 460 answer. */
function readRequest(body: Record<string, unknown>): BlockRequest | string {
  const id = echoableId(body.id);
  const params = body.params;
  if (!isObject(params)) return 'params missing';
  const fileToken = params.fileToken;
  if (fileToken !== undefined && (typeof fileToken !== 'string' || fileToken.length > MAX_FILE_TOKEN_LENGTH)) return 'fileToken invalid';
  const info = params.fileInfo;
  const block = params.fileBlock;
  if (!isObject(info) || !isObject(block)) return 'fileInfo or fileBlock missing';
  const streamId = wholeNumber(info.streamId);
  const fileId = wholeNumber(info.fileId);
  if (streamId === undefined || fileId === undefined) return 'fileInfo.streamId or fileInfo.fileId invalid';
  const size = wholeNumber(block.size);
  if (size === undefined || size < 1 || size > MAX_BLOCK_SIZE) return `fileBlock.size must be ${MIN_BLOCK_SIZE}-${MAX_BLOCK_SIZE}`;
  const offset = wholeNumber(block.offset);
  if (offset === undefined) return 'fileBlock.offset invalid';
  return { id, fileToken, streamId, fileId, size, offset };
}

function failure(body: Record<string, unknown>, code: number, msg: string): DownloadReplyHeader {
  const params = isObject(body.params) ? body.params : {};
  const token = params.fileToken;
  const fileToken = typeof token === 'string' && token.length <= MAX_FILE_TOKEN_LENGTH ? token : undefined;
  const block = isObject(params.fileBlock) ? params.fileBlock : {};
  return { id: echoableId(body.id), code, msg, data: { fileToken, bSize: 0, bOffset: wholeNumber(block.offset) } };
}

/**
 * Bytes [start, start + length) of a blob, read as a range so memory stays at one block whatever the
 * file's size. A blob shorter than its recorded size is an error, never a short block.
 */
async function readBlock(blobs: Pick<BlobStore, 'read'>, blobId: string, start: number, length: number): Promise<Buffer> {
  const out = Buffer.allocUnsafe(length);
  let filled = 0;
  for await (const chunk of blobs.read(blobId, { start, end: start + length - 1 }) as AsyncIterable<Buffer>) {
    const take = Math.min(chunk.length, length - filled);
    chunk.copy(out, filled, 0, take);
    filled += take;
    if (filled === length) break;
  }
  if (filled !== length) throw new Error(`blob ${blobId} ended at ${start + filled}, expected ${start + length}`);
  return out;
}

// §4.4/§5: the id is echoed with its JSON type (docs send strings, the C SDKs bare integers).
function echoableId(id: unknown): string | number | undefined {
  return typeof id === 'string' || (typeof id === 'number' && Number.isFinite(id)) ? id : undefined;
}

/** A non-negative safe integer, also when sent as a decimal string (lenient, as for other Alink numbers). */
function wholeNumber(value: unknown): number | undefined {
  const n = typeof value === 'string' && /^\d{1,15}$/.test(value) ? Number(value) : value;
  return typeof n === 'number' && Number.isSafeInteger(n) && n >= 0 ? n : undefined;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
