import { createHash, createHmac, randomBytes } from 'node:crypto';

/**
 * A small, independent signer for hand-built management API requests (rpc-protocol §5–§7), written from
 * the spec and not from src/, so tests can break one part of a request on purpose: sign, then change a
 * parameter, a header, the body or the signature before sending it with `sendRaw` (test/support/raw-http.ts).
 */

export interface SigningKey {
  readonly accessKeyId: string;
  readonly accessKeySecret: string;
}

/** A request exactly as it goes on the wire. `rawQuery` is sent verbatim, `body` as given. */
export interface RawRequest {
  method: string;
  path: string;
  rawQuery: string;
  headers: Record<string, string>;
  body: string;
}

export type Params = Record<string, string>;

export const API_VERSION = '2018-01-20';

/** rpc-protocol §5: UTF-8 bytes; A–Z a–z 0–9 - _ . ~ kept; everything else %XY, upper-case hex. */
export function percentEncode(value: string): string {
  if (/^[A-Za-z0-9\-_.~]*$/.test(value)) return value;
  let out = '';
  for (const byte of Buffer.from(value, 'utf8')) {
    const c = String.fromCharCode(byte);
    out += /[A-Za-z0-9\-_.~]/.test(c) ? c : '%' + byte.toString(16).toUpperCase().padStart(2, '0');
  }
  return out;
}

/** `a=1&b=2` with every name and value encoded by §5, in the order given. */
export function encodeQuery(pairs: Iterable<readonly [string, string]>): string {
  return [...pairs].map(([k, v]) => `${percentEncode(k)}=${percentEncode(v)}`).join('&');
}

/** An ISO-8601 UTC timestamp without milliseconds, as every official client sends it (rpc-protocol §4.1). */
export function timestampOf(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** 32 hex characters, like the SDK's nonces. */
export function newNonce(): string {
  return randomBytes(16).toString('hex');
}

// ---------------------------------------------------------------- Scheme A: classic RPC, HMAC-SHA1 (§6)

function byteOrder(a: string, b: string): number {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  return Buffer.compare(x, y);
}

/** rpc-protocol §6 steps 1–4: every parameter but `Signature`, encoded, sorted by encoded name. */
export function rpcCanonicalizedQuery(params: Params): string {
  const pairs = Object.entries(params)
    .filter(([name]) => name !== 'Signature')
    .map(([name, value]) => [percentEncode(name), percentEncode(value)] as const);
  pairs.sort(([a], [b]) => byteOrder(a, b));
  return pairs.map(([name, value]) => `${name}=${value}`).join('&');
}

/** rpc-protocol §6 step 5. */
export function rpcStringToSign(method: string, params: Params): string {
  return `${method}&%2F&${percentEncode(rpcCanonicalizedQuery(params))}`;
}

/** rpc-protocol §6 step 6: Base64(HMAC-SHA1(secret + "&", stringToSign)). */
export function rpcSignature(method: string, params: Params, secret: string): string {
  return createHmac('sha1', `${secret}&`).update(rpcStringToSign(method, params), 'utf8').digest('base64');
}

export interface RpcSignOptions {
  readonly key: SigningKey;
  readonly action: string;
  /** Operation parameters (wire names). */
  readonly params?: Params;
  readonly method?: 'GET' | 'POST' | string;
  /** Where the signed parameters travel: the query string (GET, SDK v2) or a form body (POP POST). */
  readonly placement?: 'query' | 'body';
  readonly now?: number;
  /** Overrides of common parameters; `undefined` removes one before signing. */
  readonly common?: Record<string, string | undefined>;
}

/** The common parameters of rpc-protocol §4.1 plus `params`, without `Signature`. */
export function rpcParams(options: RpcSignOptions): Params {
  const common: Record<string, string | undefined> = {
    Action: options.action,
    Version: API_VERSION,
    Format: 'JSON',
    AccessKeyId: options.key.accessKeyId,
    SignatureMethod: 'HMAC-SHA1',
    SignatureVersion: '1.0',
    SignatureNonce: newNonce(),
    Timestamp: timestampOf(options.now ?? Date.now()),
    ...options.common,
  };
  const all: Params = {};
  for (const [name, value] of Object.entries(common)) if (value !== undefined) all[name] = value;
  return { ...all, ...options.params };
}

/** A classic-RPC request, signed like POP (GET: all in the query; POST with `placement: 'body'`: all in the form). */
export function signRpc(options: RpcSignOptions): RawRequest {
  const method = options.method ?? 'GET';
  const params = rpcParams(options);
  params.Signature = rpcSignature(method, params, options.key.accessKeySecret);
  return rpcRequest(method, params, options.placement ?? (method === 'POST' ? 'body' : 'query'));
}

/** Puts already-signed parameters on the wire. */
export function rpcRequest(method: string, params: Params, placement: 'query' | 'body'): RawRequest {
  const encoded = encodeQuery(Object.entries(params));
  return placement === 'query'
    ? { method, path: '/', rawQuery: encoded, headers: {}, body: '' }
    : { method, path: '/', rawQuery: '', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: encoded };
}

// ---------------------------------------------------------------- Scheme B: V3, ACS3-HMAC-SHA256 (§7)

export const V3_ALGORITHM = 'ACS3-HMAC-SHA256';

export function sha256Hex(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/** rpc-protocol §7 step 4: decoded pairs sorted by name (byte order), encoded with §5. */
export function v3CanonicalQuery(pairs: readonly (readonly [string, string])[]): string {
  const encoded = pairs.map(([k, v]) => [percentEncode(k), percentEncode(v)] as const);
  encoded.sort(([an, av], [bn, bv]) => byteOrder(an, bn) || byteOrder(av, bv));
  return encoded.map(([k, v]) => `${k}=${v}`).join('&');
}

/** rpc-protocol §7 steps 3–7 over lower-case header names; `signed` is used as given (the SDK sorts it). */
export function v3CanonicalRequest(input: {
  method: string;
  query: readonly (readonly [string, string])[];
  headers: Record<string, string>;
  signed: readonly string[];
  payloadHash: string;
}): string {
  const lines = input.signed.map((name) => `${name}:${(input.headers[name] ?? '').trim()}\n`).join('');
  return [input.method, '/', v3CanonicalQuery(input.query), lines, input.signed.join(';'), input.payloadHash].join('\n');
}

/** rpc-protocol §7 step 8. */
export function v3StringToSign(canonicalRequest: string, algorithm: string = V3_ALGORITHM): string {
  return `${algorithm}\n${sha256Hex(canonicalRequest)}`;
}

/** rpc-protocol §7 step 9: hex HMAC-SHA256 keyed with the bare secret (no `&`). */
export function v3Signature(canonicalRequest: string, secret: string, algorithm: string = V3_ALGORITHM): string {
  return createHmac('sha256', secret).update(v3StringToSign(canonicalRequest, algorithm), 'utf8').digest('hex');
}

export interface V3SignOptions {
  readonly key: SigningKey;
  readonly action: string;
  /** The Host header the client sends (the endpoint, `127.0.0.1:PORT`). */
  readonly host: string;
  readonly method?: 'GET' | 'POST' | string;
  /** Operation parameters in the query string (the SDK's default placement). */
  readonly query?: Params;
  /** A form body (META `in: formData`), sent as `application/x-www-form-urlencoded`. */
  readonly form?: Params;
  /** A body sent verbatim (with its own content-type in `headers`). */
  readonly rawBody?: string;
  readonly now?: number;
  /** Header overrides or additions, all signed; `undefined` removes one before signing. */
  readonly headers?: Record<string, string | undefined>;
  /** Algorithm written in `Authorization` (and used in the string to sign). */
  readonly algorithm?: string;
  /** Unsigned `Accept` header; default `application/json` like the SDK, `''` sends none. */
  readonly accept?: string;
}

/** A request like the SDK's default mode: action and version in headers, parameters in the query. */
export function signV3(options: V3SignOptions): RawRequest {
  const method = options.method ?? 'POST';
  const query = Object.entries(options.query ?? {});
  const body = options.rawBody ?? (options.form ? encodeQuery(Object.entries(options.form)) : '');
  const merged: Record<string, string | undefined> = {
    host: options.host,
    'x-acs-action': options.action,
    'x-acs-version': API_VERSION,
    'x-acs-date': timestampOf(options.now ?? Date.now()),
    'x-acs-signature-nonce': newNonce(),
    'x-acs-content-sha256': sha256Hex(body),
    ...(options.form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
    ...options.headers,
  };
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(merged)) if (value !== undefined) headers[name.toLowerCase()] = value;
  const signed = Object.keys(headers).sort();
  const algorithm = options.algorithm ?? V3_ALGORITHM;
  const canonical = v3CanonicalRequest({ method, query, headers, signed, payloadHash: sha256Hex(body) });
  const signature = v3Signature(canonical, options.key.accessKeySecret, algorithm);
  headers.authorization = `${algorithm} Credential=${options.key.accessKeyId},SignedHeaders=${signed.join(';')},Signature=${signature}`;
  const accept = options.accept ?? 'application/json';
  if (accept !== '') headers.accept = accept;
  return { method, path: '/', rawQuery: encodeQuery(query), headers, body };
}
