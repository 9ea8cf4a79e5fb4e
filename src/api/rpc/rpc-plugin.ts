import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import type { Clock } from '../../domain/clock.js';
import { BusinessError } from '../../domain/errors.js';
import type { Services } from '../../domain/services.js';
import { authenticate } from './authenticate.js';
import { decodeParams } from './decode-params.js';
import { businessFailure, chooseFormat, gatewayFailure, gatewayFormat, type ReplyFormat, type RpcReply, success } from './envelope.js';
import { GatewayError, gatewayErrors } from './gateway-error.js';
import type { Operation, OperationSettings } from './operation.js';
import { decodeFormPairs, mergeParams, type Pair } from './request-params.js';
import type { Throttle } from './throttle.js';

export const API_VERSION = '2018-01-20';
/** The foundation issue: RPC bodies up to 1 MiB; an operation may declare more (BatchCheckDeviceNames). */
export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;
export const MAX_ANY_BODY_BYTES = 4 * 1024 * 1024;

export interface RpcPluginOptions {
  readonly operations: readonly Operation[];
  readonly services: Services;
  readonly settings: OperationSettings;
  readonly clock: Clock;
  readonly throttle: Throttle | undefined;
  readonly timestampWindowMs: number;
  readonly recordNonce: (accessKeyId: string, nonce: string) => Promise<boolean>;
  readonly isShuttingDown: () => boolean;
  readonly log: Logger;
}

/**
 * The management API at path `/` (rpc-protocol): decoding, signatures, nonce, routing by Action, method
 * rules, throttling, parameter decoding, envelopes. It knows no operation in particular.
 */
export async function rpcPlugin(app: FastifyInstance, options: RpcPluginOptions): Promise<void> {
  const registry = new Map(options.operations.map((op) => [op.action, op]));
  const bodyParser = (_req: FastifyRequest, body: Buffer, done: (err: Error | null, body?: Buffer) => void) => done(null, body);
  // rpc-protocol §7 step 2: the V3 payload hash covers the bytes as received, whatever the content type, so
  // Fastify's own JSON and text parsers must not consume the body (they would leave no Buffer to hash).
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: MAX_ANY_BODY_BYTES }, bodyParser);

  app.route({
    method: ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'],
    url: '/',
    bodyLimit: MAX_ANY_BODY_BYTES,
    handler: async (req, reply) => {
      const answer = await handle(req, registry, options);
      return send(reply, answer);
    },
  });
}

function send(reply: FastifyReply, answer: RpcReply): FastifyReply {
  return reply.code(answer.status).header('content-type', answer.contentType).send(answer.body);
}

async function handle(req: FastifyRequest, registry: Map<string, Operation>, options: RpcPluginOptions): Promise<RpcReply> {
  const requestId = String(req.id);
  const hostId = req.headers.host ?? 'localhost';
  const rawBody = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
  const queryText = queryOf(req.raw.url ?? '/');
  const query = decodeFormPairs(queryText);
  const body = isForm(req.headers['content-type']) ? decodeFormPairs(rawBody.toString('utf8')) : [];
  const params = mergeParams(query, body);
  const format = chooseFormat(params.get('Format'), req.headers.accept);
  if (format === undefined) return gatewayFailure('JSON', requestId, hostId, gatewayErrors.invalidFormat());
  const errorFormat = gatewayFormat(params.get('Format'), req.headers.accept);
  const headers = headersOf(req);
  const headerValues = (name: string): readonly string[] => headers.get(name) ?? NO_VALUES;
  const headerValue = (name: string): string | undefined => headers.get(name)?.[0];

  let action = '';
  try {
    if (options.isShuttingDown()) throw gatewayErrors.unavailable();
    const method = req.method;
    if (method !== 'GET' && method !== 'POST') throw gatewayErrors.unsupportedMethod();
    // rpc-protocol §2: V3 carries Action/Version in signed x-acs-* headers. A classic request (one with a
    // `Signature` parameter) signs only its parameters, so there unsigned headers must not pick the operation.
    const signedHeadersCarryAction = /^\s*ACS3-/i.test(headerValue('authorization') ?? '') || !params.has('Signature');
    action = params.get('Action') ?? (signedHeadersCarryAction ? headerValue('x-acs-action') : undefined) ?? '';
    const version = params.get('Version') ?? (signedHeadersCarryAction ? headerValue('x-acs-version') : undefined) ?? '';
    const limit = registry.get(action)?.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
    if (rawBody.length > limit) throw gatewayErrors.bodyTooLarge(limit);
    if (action === '') throw gatewayErrors.missing('Action');
    if (version === '') throw gatewayErrors.missing('Version');

    const caller = await authenticate(
      {
        method,
        query,
        params,
        rawBody,
        headerValues,
        headerNames: [...headers.keys()],
      },
      { accounts: options.services.accounts, clock: options.clock, timestampWindowMs: options.timestampWindowMs, recordNonce: options.recordNonce },
    );

    const op = registry.get(action);
    if (op === undefined) throw gatewayErrors.apiNotFound();
    if (version !== API_VERSION) throw gatewayErrors.invalidVersion();
    if (!op.methods.includes(method)) throw gatewayErrors.unsupportedMethod();
    if (options.throttle && !options.throttle.take(caller.accountId, action, op.qps, options.clock.now())) {
      throw gatewayErrors.throttlingApi();
    }
    const decoded = decodeParams<{ IotInstanceId?: string }>(op.params, params);
    return await runOperation(op, decoded, caller, format, requestId, options);
  } catch (err) {
    if (err instanceof GatewayError) return gatewayFailure(errorFormat, requestId, hostId, err);
    options.log.error({ err, requestId, action }, 'unexpected error before the operation ran');
    return gatewayFailure(errorFormat, requestId, hostId, gatewayErrors.internal());
  }
}

async function runOperation(
  op: Operation,
  params: { IotInstanceId?: string },
  caller: { accessKeyId: string; accountId: string },
  format: ReplyFormat,
  requestId: string,
  options: RpcPluginOptions,
): Promise<RpcReply> {
  const log = lazyChildLogger(options.log, { requestId, action: op.action });
  try {
    const scope = await options.services.accounts.resolveScope(caller.accountId, params.IotInstanceId);
    if (scope === undefined) throw new BusinessError('iot.system.InstanceNotFound');
    const data = await op.run({ params, scope, accessKeyId: caller.accessKeyId, services: options.services, settings: options.settings, requestId, log });
    return success(format, op.action, requestId, data);
  } catch (err) {
    return businessFailure(format, op.action, requestId, err, log);
  }
}

/**
 * A child logger costs more than the rest of a cheap operation (pino redaction set-up per child), and most
 * requests log nothing: the child is made on the first use of any of its members.
 */
function lazyChildLogger(base: Logger, bindings: Record<string, string>): Logger {
  let child: Logger | undefined;
  return new Proxy({} as Logger, {
    get(_target, member) {
      child ??= base.child(bindings);
      const value = Reflect.get(child, member, child) as unknown;
      return typeof value === 'function' ? value.bind(child) : value;
    },
  });
}

function queryOf(url: string): string {
  const q = url.indexOf('?');
  return q === -1 ? '' : url.slice(q + 1);
}

function isForm(contentType: string | undefined): boolean {
  return contentType !== undefined && contentType.toLowerCase().startsWith('application/x-www-form-urlencoded');
}

const NO_VALUES: readonly string[] = [];

/**
 * Every raw value of each header by lower-case name, duplicates kept (rpc-protocol §7 step 6). Built once:
 * the V3 check asks for a dozen headers, and scanning the raw list each time lower-cased every name again.
 */
function headersOf(req: FastifyRequest): Map<string, string[]> {
  const raw = req.raw.rawHeaders;
  const headers = new Map<string, string[]>();
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase();
    const values = headers.get(name);
    if (values === undefined) headers.set(name, [raw[i + 1]!]);
    else values.push(raw[i + 1]!);
  }
  return headers;
}

export type { Pair };
