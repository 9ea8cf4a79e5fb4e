import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import type { DynamicRegistrationService, RegistrationOutcome, RegistrationRequest } from '../domain/device/dynamic-registration-service.js';

export interface DeviceRegistrationPluginOptions {
  readonly registration: DynamicRegistrationService;
  readonly log: Logger;
}

export const REGISTRATION_PATH = '/auth/register/device';

// A real request is five short fields (a few hundred bytes); anything far larger is refused unread.
const MAX_BODY_BYTES = 16 * 1024;
const FIELDS = ['productKey', 'deviceName', 'random', 'signMethod', 'sign'] as const;
const FORM = /^\s*application\/x-www-form-urlencoded\s*(;|$)/i;
const METHODS = ['DELETE', 'GET', 'HEAD', 'PATCH', 'POST', 'PUT', 'OPTIONS'] as const;

/**
 * `POST /auth/register/device`: "one product, one secret" dynamic registration (device-protocol.md §2.5).
 *
 * Every answer, failures included, is HTTP 200 with the outcome in the JSON `code`: NODE treats any
 * `code != 200` as failure and C3 reads only `code` and `data.deviceSecret`, and the SDKs show Alibaba's
 * iot-auth answering that way (unconfirmed for failures; an HTTP error status would turn NODE's answer
 * into an axios error without the code). Only another method than POST gets 405 (with code 460).
 * Encapsulated: its body parser and error answers do not touch the RPC plugin's.
 */
export async function deviceRegistrationPlugin(app: FastifyInstance, options: DeviceRegistrationPluginOptions): Promise<void> {
  const { registration, log } = options;
  app.removeAllContentTypeParsers();
  // Every content type is read as bytes (bounded); the handler refuses what is not a form.
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: MAX_BODY_BYTES }, (_req, body, done) => done(null, body));
  app.setErrorHandler((err: Error & { statusCode?: number }, req, reply) => {
    // Fastify's own refusals before the handler (body too large, broken body): the client's fault.
    if (err.statusCode !== undefined && err.statusCode >= 400 && err.statusCode < 500) {
      return send(reply, { ok: false, code: 460, message: 'invalid parameter: request body' });
    }
    log.error({ err, requestId: req.id }, 'unexpected error in dynamic registration');
    return send(reply, { ok: false, code: 500, message: 'internal error' });
  });

  app.route({
    method: [...METHODS],
    url: REGISTRATION_PATH,
    exposeHeadRoute: false,
    bodyLimit: MAX_BODY_BYTES,
    handler: async (req, reply) => {
      if (req.method !== 'POST') {
        reply.header('allow', 'POST');
        return send(reply, { ok: false, code: 460, message: 'invalid parameter: method must be POST' }, 405);
      }
      const parsed = readForm(req);
      if (typeof parsed === 'string') return send(reply, { ok: false, code: 460, message: `invalid parameter: ${parsed}` });
      return send(reply, await registration.register(parsed));
    },
  });
}

/** The five fields, or what is wrong with the request. */
function readForm(req: FastifyRequest): RegistrationRequest | string {
  if (!FORM.test(req.headers['content-type'] ?? '')) return 'content type must be application/x-www-form-urlencoded';
  const body = Buffer.isBuffer(req.body) ? req.body.toString('utf8') : '';
  const params = new URLSearchParams(body);
  const values: Partial<Record<(typeof FIELDS)[number], string>> = {};
  for (const field of FIELDS) {
    const all = params.getAll(field);
    if (all.length === 0 || all[0] === '') return `${field} is missing`;
    // Two values for one field: which one was signed is anybody's guess.
    if (all.length > 1) return `${field} is repeated`;
    values[field] = all[0];
  }
  return values as RegistrationRequest;
}

function send(reply: FastifyReply, outcome: RegistrationOutcome, status = 200): FastifyReply {
  const body = outcome.ok
    ? {
        code: 200,
        message: 'success',
        data: { productKey: outcome.productKey, deviceName: outcome.deviceName, deviceSecret: outcome.deviceSecret },
      }
    : { code: outcome.code, message: outcome.message };
  return reply.code(status).header('content-type', 'application/json; charset=utf-8').send(JSON.stringify(body));
}
