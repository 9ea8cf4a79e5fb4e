import type { Registry } from 'prom-client';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import Fastify, { type FastifyInstance, type FastifyReply, LogController } from 'fastify';
import type { Logger } from 'pino';
import { operations } from '../api/ops/index.js';
import { gatewayFailure } from '../api/rpc/envelope.js';
import { gatewayErrors } from '../api/rpc/gateway-error.js';
import type { OperationSettings } from '../api/rpc/operation.js';
import { rpcPlugin } from '../api/rpc/rpc-plugin.js';
import type { Throttle } from '../api/rpc/throttle.js';
import type { Clock } from '../domain/clock.js';
import type { Services } from '../domain/services.js';
import { idFormats } from '../security/random-ids.js';
import { clientErrorReply, connectReply } from './socket-reply.js';
import { UPLOAD_PATH, uploadPlugin } from './upload-plugin.js';
import { downloadPlugin, type DownloadPluginOptions, isDownloadTarget, sendDenied } from './download-plugin.js';
import { deviceRegistrationPlugin } from './device-registration-plugin.js';

// Spec README "Request size": the SDK puts every parameter in the query string; Node's 16 KiB header
// limit would break long device-name lists (fleet-api §1.1 recommends 4 MiB).
const MAX_HEADER_BYTES = 4 * 1024 * 1024;
// A socket with no traffic either way for this long is closed (uploads and downloads in progress move bytes).
const IDLE_SOCKET_MS = 120_000;

export interface AppDeps {
  readonly services: Services;
  readonly settings: OperationSettings;
  readonly clock: Clock;
  readonly throttle: Throttle | undefined;
  readonly timestampWindowMs: number;
  readonly recordNonce: (accessKeyId: string, nonce: string) => Promise<boolean>;
  /** True when HTTP, MQTT and storage are all ready (GET /healthz). */
  readonly isHealthy: () => Promise<boolean>;
  readonly isShuttingDown: () => boolean;
  /** Signed package downloads for devices (GET|HEAD /ota/download/{fileId}). */
  readonly downloads: Omit<DownloadPluginOptions, 'log'>;
  /** Prometheus metrics, served at GET /metrics. */
  readonly metrics: Registry;
  readonly log: Logger;
}

/** The HTTP side of Flotilla, not yet listening (tests use inject() or listen on port 0). */
export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: deps.log,
    // Per-request lines would cost more than a signed API call; errors are logged with their RequestId.
    logController: new LogController({ disableRequestLogging: true }),
    genReqId: () => idFormats.requestId(),
    serverFactory: (handler) => {
      // A request without Host still gets an Alibaba answer (IncompleteSignature, MissingAction …) rather
      // than Node's empty 400; V3 signatures require a signed host anyway (rpc-protocol §7 step 5).
      // requestTimeout 0: a 2 GB package upload may take longer than Node's default 5 minutes for a whole
      // request; a stalled client is still cut by the headers timeout and the idle-socket timeout below.
      const server = createServer(
        { maxHeaderSize: MAX_HEADER_BYTES, requireHostHeader: false, requestTimeout: 0 },
        (req: IncomingMessage, res: ServerResponse) => handler(req, res),
      );
      server.setTimeout(IDLE_SOCKET_MS);
      // Without a listener Node drops CONNECT requests without a word.
      server.on('connect', (req: IncomingMessage, socket) => connectReply(req.headers.host, socket));
      return server;
    },
    // Unparseable HTTP (unknown method, broken framing, bytes llhttp refuses): the gateway envelope, not Fastify's JSON.
    clientErrorHandler: clientErrorReply,
    // A path find-my-way cannot decode (`/%zz`) is still a path other than `/` (rpc-protocol §1).
    frameworkErrors: (err, req, reply) => {
      // An undecodable download path (`/ota/download/%zz`) is refused like every other bad download.
      if (isDownloadTarget(req.url)) return sendDenied(reply as unknown as FastifyReply);
      const gatewayError = err.code === 'FST_ERR_BAD_URL' ? gatewayErrors.apiNotFound() : gatewayErrors.invalidParameter('request');
      const answer = gatewayFailure('JSON', String(req.id), req.headers.host ?? 'localhost', gatewayError);
      return (reply as unknown as FastifyReply).code(answer.status).header('content-type', answer.contentType).send(answer.body);
    },
    // Keep-alive connections must not hold shutdown beyond the 10 s the start contract allows.
    forceCloseConnections: 'idle',
    // Spec README "Upload endpoint host": the management API never receives multipart bodies, so a
    // multipart/form-data POST on `/` is a PostObject upload (ota-api §6.1); everything else on `/` stays RPC.
    rewriteUrl: (req) => (isUploadOnRoot(req) ? UPLOAD_PATH + req.url!.slice(1) : req.url!),
    return503OnClosing: true,
  });

  // Whatever Fastify itself rejects (oversized body, broken framing) still gets an Alibaba-shaped answer.
  // Set before any route or plugin: a context copies the error handler when it is created.
  app.setErrorHandler((err: Error & { statusCode?: number; code?: string }, req, reply) => {
    const status = err.statusCode ?? 500;
    const gatewayError =
      err.code === 'FST_ERR_CTP_BODY_TOO_LARGE'
        ? gatewayErrors.bodyTooLarge(4 * 1024 * 1024)
        : status >= 500
          ? gatewayErrors.internal()
          : gatewayErrors.invalidParameter('body');
    if (status >= 500) deps.log.error({ err, requestId: req.id }, 'unexpected HTTP error');
    const answer = gatewayFailure('JSON', String(req.id), req.headers.host ?? 'localhost', gatewayError);
    return reply.code(answer.status).header('content-type', answer.contentType).send(answer.body);
  });

  // Start contract: in-flight requests finish during shutdown. Their answers close the connection, so a
  // keep-alive socket that turns idle after the answer does not hold the server open until its timeout.
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });
  app.addHook('onSend', async (_req, reply) => {
    if (closing) reply.header('connection', 'close');
  });

  app.get('/healthz', async (_req, reply) => {
    const healthy = !deps.isShuttingDown() && (await deps.isHealthy());
    return reply.code(healthy ? 200 : 503).send({ status: healthy ? 'ok' : 'unavailable' });
  });

  app.get('/metrics', async (_req, reply) => {
    return reply.header('content-type', deps.metrics.contentType).send(await deps.metrics.metrics());
  });

  await app.register(rpcPlugin, {
    operations,
    services: deps.services,
    settings: deps.settings,
    clock: deps.clock,
    throttle: deps.throttle,
    timestampWindowMs: deps.timestampWindowMs,
    recordNonce: deps.recordNonce,
    isShuttingDown: deps.isShuttingDown,
    log: deps.log,
  });

  await app.register(downloadPlugin, { ...deps.downloads, log: deps.log });
  await app.register(uploadPlugin, { uploads: deps.services.uploads, clock: deps.clock, log: deps.log });
  await app.register(deviceRegistrationPlugin, { registration: deps.services.dynamicRegistration, log: deps.log });

  // rpc-protocol §1: any other path is InvalidApi.NotFound, in the gateway envelope.
  app.setNotFoundHandler((req, reply) => {
    const answer = gatewayFailure('JSON', String(req.id), req.headers.host ?? 'localhost', gatewayErrors.apiNotFound());
    return reply.code(answer.status).header('content-type', answer.contentType).send(answer.body);
  });

  return app as unknown as FastifyInstance;
}

function isUploadOnRoot(req: IncomingMessage): boolean {
  const url = req.url ?? '';
  return (
    req.method === 'POST' &&
    (url === '/' || url.startsWith('/?')) &&
    /^\s*multipart\/form-data/i.test(req.headers['content-type'] ?? '')
  );
}
