import {
  API_VERSION,
  newNonce,
  percentEncode,
  rpcSignature,
  sha256Hex,
  type SigningKey,
  timestampOf,
  v3CanonicalRequest,
  v3Signature,
  V3_ALGORITHM,
} from './sign.js';

/**
 * Wire-level signing for the fuzzer, on top of the spec-built primitives of sign.ts: it takes parameters
 * as a list of pairs, so requests can carry what `Record` params cannot — duplicate keys, names sent
 * without `=`, `+` for spaces — and still be signed exactly as the server will see them.
 */
export type WirePair = readonly [name: string, value: string];

export interface SignedSpec {
  readonly scheme: 'v3' | 'rpc';
  readonly method: 'GET' | 'POST';
  readonly action: string;
  /** Operation parameters (decoded), in wire order; duplicates allowed. */
  readonly params: readonly WirePair[];
  /** POST only: put the parameters in an `application/x-www-form-urlencoded` body instead of the query. */
  readonly inBody: boolean;
  /** Pairs with an empty value are sent as a bare `name` (no `=`) when true. */
  readonly bareEmpty: boolean;
  /** Spaces as `+` instead of `%20` on the wire (both decode alike, rpc-protocol §3.2). */
  readonly plusForSpace: boolean;
}

export interface WireRequest {
  readonly method: string;
  /** Request target as sent: `/` plus the query. */
  readonly path: string;
  readonly headers: readonly (readonly [string, string])[];
  readonly body: Buffer;
}

const FORM = 'application/x-www-form-urlencoded';

function wireText(pairs: readonly WirePair[], spec: Pick<SignedSpec, 'bareEmpty' | 'plusForSpace'>): string {
  const encode = (s: string) => (spec.plusForSpace ? percentEncode(s).replace(/%20/g, '+') : percentEncode(s));
  // A bare empty name would be an empty segment, which decoders skip: it needs its `=`.
  return pairs.map(([n, v]) => (v === '' && n !== '' && spec.bareEmpty ? encode(n) : `${encode(n)}=${encode(v)}`)).join('&');
}

/** Signs `spec` for `host` (as the Host header will carry it). `nowMs` and `nonce` default to fresh values. */
export function signRequest(spec: SignedSpec, key: SigningKey, host: string, nowMs = Date.now(), nonce = newNonce()): WireRequest {
  return spec.scheme === 'v3' ? signV3Pairs(spec, key, host, nowMs, nonce) : signRpcPairs(spec, key, nowMs, nonce, host);
}

function signV3Pairs(spec: SignedSpec, key: SigningKey, host: string, nowMs: number, nonce: string): WireRequest {
  const inBody = spec.method === 'POST' && spec.inBody;
  const query = inBody ? [] : spec.params;
  const body = Buffer.from(inBody ? wireText(spec.params, spec) : '', 'utf8');
  const payloadHash = sha256Hex(body);
  const headers: Record<string, string> = {
    host,
    'x-acs-action': spec.action,
    'x-acs-content-sha256': payloadHash,
    'x-acs-date': timestampOf(nowMs),
    'x-acs-signature-nonce': nonce,
    'x-acs-version': API_VERSION,
    ...(inBody ? { 'content-type': FORM } : {}),
  };
  const signed = Object.keys(headers).sort();
  const signature = v3Signature(v3CanonicalRequest({ method: spec.method, query, headers, signed, payloadHash }), key.accessKeySecret);
  const authorization = `${V3_ALGORITHM} Credential=${key.accessKeyId},SignedHeaders=${signed.join(';')},Signature=${signature}`;
  const qs = wireText(query, spec);
  return {
    method: spec.method,
    path: qs === '' ? '/' : `/?${qs}`,
    headers: [...Object.entries(headers), ['authorization', authorization], ['accept', 'application/json']],
    body,
  };
}

function signRpcPairs(spec: SignedSpec, key: SigningKey, nowMs: number, nonce: string, host: string): WireRequest {
  const all: WirePair[] = [
    ['Action', spec.action],
    ['Version', API_VERSION],
    ['AccessKeyId', key.accessKeyId],
    ['SignatureMethod', 'HMAC-SHA1'],
    ['SignatureVersion', '1.0'],
    ['SignatureNonce', nonce],
    ['Timestamp', timestampOf(nowMs)],
    ...spec.params,
  ];
  // rpc-protocol §3.2: one value per name, the later one wins; the signature covers that view.
  const merged: Record<string, string> = Object.fromEntries(all);
  const pairs: WirePair[] = [...all, ['Signature', rpcSignature(spec.method, merged, key.accessKeySecret)]];
  const inBody = spec.method === 'POST' && spec.inBody;
  const qs = inBody ? '' : wireText(pairs, spec);
  return {
    method: spec.method,
    path: qs === '' ? '/' : `/?${qs}`,
    headers: [['host', host], ...(inBody ? [['content-type', FORM] as const] : [])],
    body: Buffer.from(inBody ? wireText(pairs, spec) : '', 'utf8'),
  };
}
