import { once } from 'node:events';
import type { ServerResponse } from 'node:http';
import { setTimeout as delay } from 'node:timers/promises';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import type { DownloadUrlSigner } from '../security/download-url-signer.js';
import { DOWNLOAD_PATH_PREFIX } from '../security/download-url-signer.js';
import type { BlobStore } from '../storage/blob/blob-store.js';
import { decideRange, ifRangeHolds } from './byte-range.js';
import { ossRequestId } from './oss-reply.js';

/** One package file as the endpoint serves it (the stored object behind a firmware_file.file_id). */
export interface DownloadableFile {
  readonly blobId: string;
  readonly size: number;
  /** Lower-case hex MD5 of the stored bytes; the ETag. */
  readonly md5: string;
  readonly contentType: string | null;
  readonly uploadedAt: number;
}

export interface DownloadPluginOptions {
  readonly urls: DownloadUrlSigner;
  /** The OSSAccessKeyId the signed URLs carry (derived-secrets `uploadKeyId`). */
  readonly accessKeyId: string;
  /** The file behind a download handle, or undefined (unknown id, firmware deleted). */
  readonly findFile: (fileId: string) => Promise<DownloadableFile | undefined>;
  readonly blobs: BlobStore;
  readonly log: Logger;
}

const ALL_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'] as const;
// Handles are opaque ids made of URL-safe characters, so a legitimate URL never carries a percent escape:
// anything encoded (%2F, %2e%2e, %00) or any further path segment is refused before it can mean anything.
const FILE_ID = /^[A-Za-z0-9_~-][A-Za-z0-9._~-]{0,127}$/;
const MEDIA_TYPE = /^[\w!#$&^.+-]+\/[\w!#$&^.+-]+(?:[ \t]*;[\x20-\x7e]*)?$/;
const FALLBACK_TYPE = 'application/octet-stream';
const SHUTDOWN_GRACE_MS = 3_000;

/**
 * `GET|HEAD /ota/download/{fileId}?Expires=&OSSAccessKeyId=&Signature=` (ota-api §2.3, device-protocol §4.8):
 * package files for devices, behind the signed URLs of `DownloadUrlSigner`. Anything else under `/ota` —
 * a bad, expired or altered signature, an unknown handle, a listing, another method — gets one and the same
 * OSS-style 403, so a caller learns nothing about which part was wrong or whether the file exists.
 * Registered encapsulated: its body handling does not touch the RPC plugin's.
 */
export async function downloadPlugin(app: FastifyInstance, options: DownloadPluginOptions): Promise<void> {
  app.removeAllContentTypeParsers();
  // A body sent to a download URL is never read; Node discards it once the 403 is sent.
  app.addContentTypeParser('*', (_req, _payload, done) => done(null, undefined));
  const streaming = new Set<ServerResponse>();
  const handler = (req: FastifyRequest, reply: FastifyReply) => serve(req, reply, options, streaming);
  // Start contract: shutdown within 10 s. A package download can last far longer, and a device resumes an
  // interrupted one with Range (device-protocol §4.8), so downloads get a short grace and are then cut.
  app.addHook('preClose', async () => {
    if (streaming.size > 0) await Promise.race([allClosed(streaming), delay(SHUTDOWN_GRACE_MS, undefined, { ref: false })]);
    for (const res of streaming) res.destroy();
  });
  app.route({ method: [...ALL_METHODS], url: '/ota', exposeHeadRoute: false, handler });
  app.route({ method: [...ALL_METHODS], url: '/ota/*', exposeHeadRoute: false, handler });
  // A blob that vanished between the look-up and the open (a racing DeleteOTAFirmware) is a file that is
  // no longer there; anything else is ours, and logged.
  app.setErrorHandler((err: Error & { code?: string; statusCode?: number }, req, reply) => {
    if (err.code === 'ENOENT') return sendDenied(reply);
    // Fastify's own 4xx refusals before the handler (an unparseable content type is 415) are refused like
    // every other bad download request. Found by test/fuzz/rpc-fuzz.test.ts.
    if (err.statusCode !== undefined && err.statusCode >= 400 && err.statusCode < 500) return sendDenied(reply);
    options.log.error({ err, requestId: req.id }, 'download failed');
    return sendXmlError(reply, 500, 'InternalError', 'We encountered an internal error. Please try again.');
  });
}

/** True for request targets the download plugin answers (also when the router cannot decode them). */
export function isDownloadTarget(url: string | undefined): boolean {
  const path = (url ?? '').split('?', 1)[0]!;
  return path === '/ota' || path.startsWith('/ota/');
}

/** The one answer to every refused download (OSS AccessDenied); the same headers and body for all causes. */
export function sendDenied(reply: FastifyReply): FastifyReply {
  return sendXmlError(reply, 403, 'AccessDenied', 'You have no right to access this object.');
}

async function serve(req: FastifyRequest, reply: FastifyReply, options: DownloadPluginOptions, streaming: Set<ServerResponse>): Promise<FastifyReply> {
  const method = req.method;
  const target = parseTarget(req.raw.url ?? '');
  if ((method !== 'GET' && method !== 'HEAD') || target === undefined) return sendDenied(reply);
  const { fileId, query } = target;
  // Signature first: no database work, and no hint of what exists, for a request we did not sign.
  if (query.OSSAccessKeyId !== options.accessKeyId || options.urls.verify(fileId, query) !== 'ok') return sendDenied(reply);
  const file = await options.findFile(fileId);
  if (file === undefined) return sendDenied(reply);

  const etag = `"${file.md5}"`;
  const rangeHeader = typeof req.headers.range === 'string' ? req.headers.range : undefined;
  const ifRange = typeof req.headers['if-range'] === 'string' ? req.headers['if-range'] : undefined;
  // HEAD answers exactly as GET would, minus the body (RFC 9110 §9.3.2), Range included.
  const range = decideRange(ifRangeHolds(ifRange, etag, file.uploadedAt) ? rangeHeader : undefined, file.size);
  if (range.kind === 'unsatisfiable') {
    return sendXmlError(reply, 416, 'InvalidRange', 'The requested range cannot be satisfied.', { 'content-range': `bytes */${file.size}` });
  }
  const [start, end] = range.kind === 'partial' ? [range.start, range.end] : [0, file.size - 1];
  reply
    .code(range.kind === 'partial' ? 206 : 200)
    .header('x-oss-request-id', ossRequestId())
    .header('accept-ranges', 'bytes')
    .header('etag', etag)
    .header('last-modified', new Date(file.uploadedAt).toUTCString())
    .header('content-type', contentTypeOf(file.contentType))
    .header('x-content-type-options', 'nosniff')
    // device-protocol §4.8: the C SDK needs Content-Length (no chunked encoding) on 200 and 206 alike.
    .header('content-length', String(end - start + 1));
  if (range.kind === 'partial') reply.header('content-range', `bytes ${start}-${end}/${file.size}`);
  if (method === 'HEAD' || file.size === 0) return reply.send();
  const res = reply.raw;
  streaming.add(res);
  res.once('close', () => streaming.delete(res));
  // Streamed from disk; Fastify destroys the stream (closing its descriptor) when the client goes away.
  return reply.send(options.blobs.read(file.blobId, { start, end }));
}

function allClosed(responses: Set<ServerResponse>): Promise<void> {
  return Promise.all([...responses].map((res) => (res.closed ? undefined : once(res, 'close')))).then(() => undefined);
}

/** The file id and query of `/ota/download/{fileId}?…`, or undefined for any other shape. */
function parseTarget(url: string): { fileId: string; query: { Expires?: string; OSSAccessKeyId?: string; Signature?: string } } | undefined {
  const q = url.indexOf('?');
  const path = q < 0 ? url : url.slice(0, q);
  if (!path.startsWith(DOWNLOAD_PATH_PREFIX)) return undefined;
  const fileId = path.slice(DOWNLOAD_PATH_PREFIX.length);
  if (!FILE_ID.test(fileId) || fileId.includes('..')) return undefined;
  const params = new URLSearchParams(q < 0 ? '' : url.slice(q + 1));
  const query: Record<string, string> = {};
  for (const name of ['Expires', 'OSSAccessKeyId', 'Signature'] as const) {
    const values = params.getAll(name);
    // A repeated parameter is ambiguous; the signer never issues one.
    if (values.length > 1) return undefined;
    if (values.length === 1) query[name] = values[0]!;
  }
  return { fileId, query };
}

/** ota-api §6 (PostObject `Content-Type`): the type stored at upload, if it is a well-formed media type. */
function contentTypeOf(stored: string | null): string {
  return stored !== null && stored.length <= 256 && MEDIA_TYPE.test(stored) ? stored : FALLBACK_TYPE;
}

function sendXmlError(
  reply: FastifyReply,
  status: number,
  code: string,
  message: string,
  extraHeaders: Record<string, string> = {},
): FastifyReply {
  // Headers set for a file whose stream then failed to open (Fastify copies them onto the raw response
  // before the first byte) must not leak into the error answer.
  for (const name of Object.keys(reply.getHeaders())) reply.removeHeader(name);
  for (const name of reply.raw.getHeaderNames()) reply.raw.removeHeader(name);
  const requestId = ossRequestId();
  // The OSS error body, as the upload endpoint answers too (ota-api §6.4).
  const body =
    '<?xml version="1.0" encoding="UTF-8"?>\n<Error>\n' +
    `  <Code>${code}</Code>\n  <Message>${message}</Message>\n` +
    `  <RequestId>${requestId}</RequestId>\n  <HostId>${escapeXml(reply.request.headers.host ?? 'localhost')}</HostId>\n</Error>\n`;
  return reply.code(status).headers(extraHeaders).header('x-oss-request-id', requestId).header('content-type', 'application/xml').send(body);
}

function escapeXml(value: string): string {
  return value.replace(/[<>&'"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[c]!);
}
