import { createHash, createHmac, randomBytes } from 'node:crypto';

/**
 * A wire-level signer for tests that need requests the official clients never build: duplicate keys, names
 * without `=`, odd repeat-list indexes, any Format. Written from rpc-protocol §5–§7 without importing the
 * server's code, so a shared mistake cannot hide. The caller picks the exact pairs; the signer only adds the
 * common parameters (or V3 headers) and the signature.
 */
export type WirePair = readonly [name: string, value: string];

export interface Credentials {
  readonly accessKeyId: string;
  readonly accessKeySecret: string;
}

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

const VERSION = '2018-01-20';
const FORM = 'application/x-www-form-urlencoded';

/** rpc-protocol §5: RFC 3986 unreserved characters kept, every other UTF-8 byte as upper-case `%XY`. */
export function percentEncode(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

export function utcSeconds(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function wireText(pairs: readonly WirePair[], spec: Pick<SignedSpec, 'bareEmpty' | 'plusForSpace'>): string {
  const encode = (s: string) => (spec.plusForSpace ? percentEncode(s).replace(/%20/g, '+') : percentEncode(s));
  // A bare empty name would be an empty segment, which decoders skip: it needs its `=`.
  return pairs.map(([n, v]) => (v === '' && n !== '' && spec.bareEmpty ? encode(n) : `${encode(n)}=${encode(v)}`)).join('&');
}

function sortedEncoded(pairs: readonly WirePair[]): string {
  const encoded = pairs.map(([n, v]) => [percentEncode(n), percentEncode(v)] as const);
  encoded.sort(([an, av], [bn, bv]) => (an < bn ? -1 : an > bn ? 1 : av < bv ? -1 : av > bv ? 1 : 0));
  return encoded.map(([n, v]) => `${n}=${v}`).join('&');
}

/** Signs `spec` for `host` (as the Host header will carry it). `nowMs` and `nonce` default to fresh values. */
export function signRequest(spec: SignedSpec, key: Credentials, host: string, nowMs = Date.now(), nonce = randomBytes(16).toString('hex')): WireRequest {
  return spec.scheme === 'v3' ? signV3(spec, key, host, nowMs, nonce) : signRpc(spec, key, host, nowMs, nonce);
}

function signV3(spec: SignedSpec, key: Credentials, host: string, nowMs: number, nonce: string): WireRequest {
  const inBody = spec.method === 'POST' && spec.inBody;
  const query = inBody ? [] : spec.params;
  const body = Buffer.from(inBody ? wireText(spec.params, spec) : '', 'utf8');
  const payloadHash = createHash('sha256').update(body).digest('hex');
  const signed: [string, string][] = [
    ['host', host],
    ['x-acs-action', spec.action],
    ['x-acs-content-sha256', payloadHash],
    ['x-acs-date', utcSeconds(nowMs)],
    ['x-acs-signature-nonce', nonce],
    ['x-acs-version', VERSION],
  ];
  if (inBody) signed.push(['content-type', FORM]);
  signed.sort(([a], [b]) => (a < b ? -1 : 1));
  // rpc-protocol §7 steps 4–9.
  const canonical = [
    spec.method,
    '/',
    sortedEncoded(query),
    signed.map(([n, v]) => `${n}:${v.trim()}\n`).join(''),
    signed.map(([n]) => n).join(';'),
    payloadHash,
  ].join('\n');
  const stringToSign = `ACS3-HMAC-SHA256\n${createHash('sha256').update(canonical).digest('hex')}`;
  const signature = createHmac('sha256', key.accessKeySecret).update(stringToSign).digest('hex');
  const authorization = `ACS3-HMAC-SHA256 Credential=${key.accessKeyId},SignedHeaders=${signed.map(([n]) => n).join(';')},Signature=${signature}`;
  const qs = wireText(query, spec);
  return {
    method: spec.method,
    path: qs === '' ? '/' : `/?${qs}`,
    headers: [...signed, ['authorization', authorization], ['accept', 'application/json']],
    body,
  };
}

function signRpc(spec: SignedSpec, key: Credentials, host: string, nowMs: number, nonce: string): WireRequest {
  const common: WirePair[] = [
    ['Action', spec.action],
    ['Version', VERSION],
    ['AccessKeyId', key.accessKeyId],
    ['SignatureMethod', 'HMAC-SHA1'],
    ['SignatureVersion', '1.0'],
    ['SignatureNonce', nonce],
    ['Timestamp', utcSeconds(nowMs)],
  ];
  const inBody = spec.method === 'POST' && spec.inBody;
  // rpc-protocol §3.2: one value per name, the later one (and the body's) wins; the signature covers that view.
  const all = [...common, ...spec.params];
  const merged = new Map<string, string>();
  for (const [n, v] of all) merged.set(n, v);
  const canonical = sortedEncoded([...merged]);
  const stringToSign = `${spec.method}&${percentEncode('/')}&${percentEncode(canonical)}`;
  const signature = createHmac('sha1', `${key.accessKeySecret}&`).update(stringToSign).digest('base64');
  const pairs: WirePair[] = [...all, ['Signature', signature]];
  const qs = inBody ? '' : wireText(pairs, spec);
  return {
    method: spec.method,
    path: qs === '' ? '/' : `/?${qs}`,
    headers: [['host', host], ...(inBody ? [['content-type', FORM] as [string, string]] : [])],
    body: Buffer.from(inBody ? wireText(pairs, spec) : '', 'utf8'),
  };
}
