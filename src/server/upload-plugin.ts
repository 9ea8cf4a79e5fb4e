import type { IncomingMessage } from 'node:http';
import multipart, { type Multipart, type MultipartFile } from '@fastify/multipart';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import type { Clock } from '../domain/clock.js';
import { UploadRejected, type UploadService } from '../domain/ota-firmware/upload-service.js';
import { errorXml, type OssError, ossError, ossErrorOfRejection, ossMessages, ossRequestId, postResponseXml } from './oss-reply.js';

export interface UploadPluginOptions {
  readonly uploads: UploadService;
  readonly clock: Clock;
  readonly log: Logger;
}

/** Path of the upload endpoint under the public URL: `Host` = `${publicBaseUrl}/oss` (fixed URL layout). */
export const UPLOAD_PATH = '/oss';

// ota-api §6.3 step 7: "clearly over" = above the file limit plus room for the other form fields (OSS caps
// user metadata at 8 KB; the policy is a few hundred bytes).
const FORM_OVERHEAD_BYTES = 64 * 1024;
// After a refusal the rest of a body is read and dropped up to this much (so the client reads the answer on
// a clean connection); beyond it the connection is closed.
const DRAIN_LIMIT_BYTES = 16 * 1024 * 1024;
const REQUIRED_FIELDS = ['OSSAccessKeyId', 'policy', 'Signature', 'key'] as const;
const METHODS = ['DELETE', 'GET', 'HEAD', 'PATCH', 'POST', 'PUT', 'OPTIONS'] as const;

/**
 * The OSS PostObject-compatible upload endpoint (ota-api §6) at `/oss` and `/oss/`; app.ts also routes
 * multipart POSTs on `/` here (spec README "Upload endpoint host"). Encapsulated: its body parsers and error
 * answers do not touch the RPC plugin's.
 */
export async function uploadPlugin(app: FastifyInstance, options: UploadPluginOptions): Promise<void> {
  const { uploads, clock, log } = options;
  app.removeAllContentTypeParsers();
  await app.register(multipart, {
    // The file part is limited by the policy (BlobStore.put maxBytes), never by the parser; other fields are small.
    limits: { fileSize: Infinity, files: 1, fields: 64, fieldSize: 64 * 1024, parts: 66 },
    throwFileSizeLimit: false,
    // ota-api §6.2: the part named `file` (any case) is the file, with or without a filename.
    isPartAFile: (fieldName: string | undefined) => fieldName?.toLowerCase() === 'file',
  });
  // Any other body reaches the handler unread; it answers MalformedPOSTRequest.
  app.addContentTypeParser('*', (_req, _payload, done) => done(null));
  app.setErrorHandler((err: Error & { statusCode?: number }, req, reply) => {
    // Fastify's own 4xx refusals before the handler (a content type it cannot parse is 415) are the
    // client's: answered like any other non-multipart POST (step 1). Found by test/fuzz/rpc-fuzz.test.ts.
    if (err.statusCode !== undefined && err.statusCode >= 400 && err.statusCode < 500) {
      return sendError(req, reply, ossError('MalformedPOSTRequest', ossMessages.malformed));
    }
    log.error({ err, requestId: req.id }, 'unexpected error in the upload endpoint');
    return sendError(req, reply, ossError('InternalError', ossMessages.internal));
  });

  const handler = async (req: FastifyRequest, reply: FastifyReply) => {
    // ota-api §6.3 step 6: expiry is judged when the request starts (headers received).
    const startedAt = clock.now();
    allowCors(req, reply);
    if (req.method === 'OPTIONS') return preflight(req, reply);
    if (req.method !== 'POST') {
      reply.header('allow', 'POST, OPTIONS');
      return sendError(req, reply, ossError('MethodNotAllowed', ossMessages.methodNotAllowed));
    }
    return receive(req, reply, startedAt);
  };
  for (const url of [UPLOAD_PATH, `${UPLOAD_PATH}/`]) app.route({ method: [...METHODS], url, exposeHeadRoute: false, handler });
  // Objects are never served under the upload host (devices get signed /ota/download URLs): OSS's answer to
  // an unsigned request on a private object.
  app.route({
    method: [...METHODS],
    url: `${UPLOAD_PATH}/*`,
    exposeHeadRoute: false,
    handler: (req, reply) => sendError(req, reply, ossError('AccessDenied', 'Anonymous access is forbidden for this operation.')),
  });

  async function receive(req: FastifyRequest, reply: FastifyReply, startedAt: number): Promise<FastifyReply> {
    // Step 1: multipart/form-data with a boundary.
    if (!req.isMultipart() || !/;\s*boundary=/i.test(req.headers['content-type'] ?? '')) {
      return sendError(req, reply, ossError('MalformedPOSTRequest', ossMessages.malformed));
    }
    const declaredBytes = contentLength(req.raw);
    if (declaredBytes !== undefined && declaredBytes > uploads.largestMaxBytes() + FORM_OVERHEAD_BYTES) {
      return sendError(req, reply, ossError('EntityTooLarge', ossMessages.tooLarge));
    }
    const fields = new Map<string, string>();
    let parts = 0;
    try {
      for await (const part of req.parts()) {
        parts++;
        if (part.type === 'field') {
          const name = part.fieldname.toLowerCase();
          // A repeated field keeps its first value (unconfirmed).
          if (!fields.has(name)) fields.set(name, String(part.value));
          continue;
        }
        // ota-api §6.2: `file` is the last field; whatever follows it is ignored.
        return await receiveFile(req, reply, part, fields, startedAt, declaredBytes);
      }
    } catch (err) {
      if (isBrokenBody(err, req.raw)) return sendError(req, reply, ossError('MalformedPOSTRequest', ossMessages.malformed));
      throw err;
    }
    // The parser ends quietly on a body without a single complete part: that is no multipart form at all.
    if (parts === 0) return sendError(req, reply, ossError('MalformedPOSTRequest', ossMessages.malformed));
    const missing = REQUIRED_FIELDS.find((name) => !fields.has(name.toLowerCase())) ?? 'file';
    return sendError(req, reply, ossError('InvalidArgument', ossMessages.missingField(missing)));
  }

  async function receiveFile(
    req: FastifyRequest,
    reply: FastifyReply,
    part: MultipartFile,
    fields: ReadonlyMap<string, string>,
    startedAt: number,
    declaredBytes: number | undefined,
  ): Promise<FastifyReply> {
    // Step 2: every required field must come before the file.
    const missing = REQUIRED_FIELDS.find((name) => !fields.has(name.toLowerCase()));
    if (missing !== undefined) return sendError(req, reply, ossError('InvalidArgument', ossMessages.missingField(missing)));
    try {
      // OSS replaces `${filename}` in the key with the file part's file name (unconfirmed need; supported).
      const key = fields.get('key')!.replaceAll('${filename}', part.filename ?? '');
      const grant = await uploads.authorize(
        { accessKeyId: fields.get('ossaccesskeyid')!, policy: fields.get('policy')!, signature: fields.get('signature')!, key, fields },
        startedAt,
      );
      if (declaredBytes !== undefined && declaredBytes > grant.maxBytes + FORM_OVERHEAD_BYTES) {
        return sendError(req, reply, ossError('EntityTooLarge', ossMessages.tooLarge));
      }
      const stored = await uploads.store(grant, part.file, contentTypeOf(fields, part));
      return sendSuccess(req, reply, fields.get('success_action_status'), { key: grant.key, md5: stored.md5 });
    } catch (err) {
      if (err instanceof UploadRejected) return sendError(req, reply, ossErrorOfRejection(err.reason, err.message));
      if (isBrokenBody(err, req.raw)) return sendError(req, reply, ossError('MalformedPOSTRequest', ossMessages.malformed));
      throw err;
    }
  }

  function sendSuccess(req: FastifyRequest, reply: FastifyReply, requested: string | undefined, object: { key: string; md5: string }): FastifyReply {
    const etag = `"${object.md5.toUpperCase()}"`;
    // ota-api §6.2: 200, 201 or 204; anything else answers 204 (OSSDOC).
    const status = requested === '200' || requested === '201' ? Number(requested) : 204;
    reply.code(status).header('etag', etag).header('x-oss-request-id', ossRequestId());
    dropRestOfBody(req.raw, reply);
    if (status !== 201) return reply.send();
    return reply.type('application/xml').send(postResponseXml({ host: uploads.host(), key: object.key, etag }));
  }

  function sendError(req: FastifyRequest, reply: FastifyReply, error: OssError): FastifyReply {
    const requestId = ossRequestId();
    reply.code(error.status).header('x-oss-request-id', requestId).type('application/xml');
    dropRestOfBody(req.raw, reply);
    return reply.send(errorXml(error, requestId, req.headers.host ?? 'localhost'));
  }
}

/**
 * An answer may go out before the body has been read (a refusal, or bytes after the file part). The rest is
 * read and dropped so the connection stays usable; a body that would take more than DRAIN_LIMIT_BYTES (or of
 * unknown length) is not waited for: the connection closes after the answer.
 */
function dropRestOfBody(raw: IncomingMessage, reply: FastifyReply): void {
  raw.unpipe();
  const declared = contentLength(raw);
  if (raw.complete || (declared === undefined && raw.headers['transfer-encoding'] === undefined)) return;
  if (declared === undefined || declared > DRAIN_LIMIT_BYTES) reply.header('connection', 'close');
  let dropped = 0;
  raw.on('data', (chunk: Buffer) => {
    dropped += chunk.length;
    if (dropped > DRAIN_LIMIT_BYTES) raw.socket?.destroy();
  });
  raw.resume();
}

/** ota-api §6.2: the `Content-Type` form field, else the file part's own type (stored for downloads). */
function contentTypeOf(fields: ReadonlyMap<string, string>, part: Multipart): string | undefined {
  const field = fields.get('content-type');
  if (field !== undefined && field !== '') return field;
  // The parser reports text/plain for a part that carried no type; that is not the package's type.
  return part.mimetype === 'text/plain' ? undefined : part.mimetype;
}

function contentLength(raw: IncomingMessage): number | undefined {
  const value = raw.headers['content-length'];
  return value !== undefined && /^\d+$/.test(value) ? Number(value) : undefined;
}

/** The body ended early, broke the multipart framing, or the client went away. */
function isBrokenBody(err: unknown, raw: IncomingMessage): boolean {
  const e = err as { code?: string; message?: string } | null;
  return (
    raw.destroyed ||
    raw.aborted ||
    e?.code === 'ERR_STREAM_PREMATURE_CLOSE' ||
    e?.code === 'ECONNRESET' ||
    /terminated early|unexpected end|malformed|boundary/i.test(e?.message ?? '')
  );
}

/** ota-api §6.1: browsers may upload from any origin; the signed policy is the credential (unconfirmed). */
function allowCors(req: FastifyRequest, reply: FastifyReply): void {
  if (req.headers.origin === undefined) return;
  reply.header('access-control-allow-origin', '*');
  reply.header('access-control-expose-headers', 'ETag, x-oss-request-id');
}

function preflight(req: FastifyRequest, reply: FastifyReply): FastifyReply {
  reply.header('access-control-allow-origin', '*');
  reply.header('access-control-allow-methods', 'POST');
  const requested = req.headers['access-control-request-headers'];
  if (requested !== undefined) reply.header('access-control-allow-headers', requested);
  reply.header('access-control-max-age', '600');
  return reply.code(200).header('x-oss-request-id', ossRequestId()).send();
}
