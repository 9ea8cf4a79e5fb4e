import fc from 'fast-check';
import type { WireRequest } from '../support/fuzz-sign.js';
import type { SignedCase } from './fuzz-signed.js';
import { hostileValue } from './fuzz-values.js';

/** What a raw request body is; big ones are built at send time. */
export type BodySpec =
  | { readonly type: 'none' }
  | { readonly type: 'bytes'; readonly bytes: Uint8Array }
  | { readonly type: 'text'; readonly text: string }
  /** One MiB plus `extra` bytes: just over the RPC limit. */
  | { readonly type: 'big'; readonly extra: number; readonly form: boolean };

/** Unsigned bytes on a socket: any method, target, headers (latin1, so invalid UTF-8 is possible), body. */
export interface RawCase {
  readonly kind: 'raw';
  readonly method: string;
  readonly target: string;
  readonly headers: readonly (readonly [string, string])[];
  readonly body: BodySpec;
  readonly hostHeader: boolean;
  readonly chunked: boolean;
}

export type Mutation =
  | { readonly type: 'authorization'; readonly value: string }
  | { readonly type: 'content-type'; readonly value: string }
  | { readonly type: 'append-query'; readonly text: string }
  | { readonly type: 'append-body'; readonly text: string }
  | { readonly type: 'drop-header'; readonly at: number }
  | { readonly type: 'dup-header'; readonly at: number; readonly value: string }
  | { readonly type: 'method'; readonly method: string }
  /** Sent twice; the second must be SignatureNonceUsed. */
  | { readonly type: 'replay' }
  /** Signed this many minutes away from now; must be InvalidTimeStamp.Expired. */
  | { readonly type: 'stale'; readonly minutes: number }
  /** Must be SignatureDoesNotMatch. */
  | { readonly type: 'wrong-secret' };

/** A correctly signed request, then broken in one way, sent as raw bytes. */
export interface MutatedCase {
  readonly kind: 'mutated';
  readonly base: SignedCase;
  readonly mutation: Mutation;
}

export const METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD', 'TRACE', 'CONNECT', 'PROPFIND', 'FOO', 'get', 'M-SEARCH', 'PURGE', 'SEARCH'];

const MALFORMED_ESCAPES = ['%', '%z', '%zz', '%E0%A4', '%ED%A0%80', '%FF%FE', '%C0%AF', '%%', '%0', '%%41', '%u0041', '%F0%9F%98', '%80'];
const QUERY_PIECES = [
  'Action=QueryProduct', 'Action=', 'Version=2018-01-20', 'Version=2099-01-01', 'Format=JSON', 'Format=XML', 'Format=YAML', 'Signature=abc',
  'AccessKeyId=nobody', 'SignatureMethod=HMAC-SHA1', 'SignatureMethod=HMAC-SHA256', 'SignatureVersion=2.0', 'SignatureNonce=1', 'Timestamp=2026-01-01T00:00:00Z',
  'Timestamp=yesterday', 'SecurityToken=x', 'ProductKey=a1xxxxxxxxx', 'TaskId.99999999999999999999=x', 'Tag.1.Key', 'Name.0=x', '=', '&&', 'a=b=c',
  '__proto__=1', 'Action=QueryProduct&Action=DeleteProduct', '\xff\xfe', '\x80', '+', 'x=%2B%20+',
];
const AUTHORIZATIONS = [
  '', 'ACS3-HMAC-SHA256', 'ACS3-HMAC-SHA256 ', 'ACS3-HMAC-SHA256 Credential=', 'ACS3-HMAC-SHA256 Credential=x,SignedHeaders=,Signature=',
  'ACS3-HMAC-SHA256 Credential=nobody,SignedHeaders=host,Signature=00', 'ACS3-HMAC-SM3 Credential=a,SignedHeaders=host,Signature=b',
  'ACS3-RSA-SHA256 Credential=a,SignedHeaders=host,Signature=b', 'acs3-hmac-sha256 a=b', 'Bearer xyz', 'Basic Zm9vOmJhcg==', '   ACS3-X',
  'ACS3-HMAC-SHA256 ,,,,', 'ACS3-HMAC-SHA256 Credential=a,SignedHeaders=HOST;X-ACS-DATE,Signature=z', 'ACS3-HMAC-SHA256 Credential=a,SignedHeaders=;;;,Signature=z',
  'ACS3-HMAC-SHA256 Credential=a,SignedHeaders=host;host;x-nothing,Signature=zz', 'ACS3-HMAC-SHA256 =,=,=', 'ACS3-\xff\xfe\x80',
  `ACS3-HMAC-SHA256 Credential=${'k'.repeat(5000)},SignedHeaders=host,Signature=x`,
];
const CONTENT_TYPES = [
  'application/json', 'text/plain', 'multipart/form-data; boundary=x', 'application/x-www-form-urlencoded; charset=latin1', 'APPLICATION/X-WWW-FORM-URLENCODED',
  '', ';;;', 'application/x-www-form-urlencoded;', 'text/xml', 'application/octet-stream', '*/*', 'application/x-www-form-urlencoded, application/json',
  'application/json; charset=utf-8', 'text/plain; charset=\xff', 'x', 'application/x-www-form-urlencoded; boundary="', 'application/xml',
];
const TARGETS = [
  '/', '//', '/x', '/%zz', '/%', '/..%2f..%2fetc%2fpasswd', '/healthz/x', '/?', '/??', '/#frag', '*', 'http://127.0.0.1/', 'http://evil.example/?Action=QueryProduct',
  `/${'a'.repeat(20_000)}`, '/index.php?x=1', '/api/v1', '/%00', '/;', '/\x7f', '/\xff\xfe', '/ /', '/?Action=QueryProduct#x', '/./', '/%2F',
  // The OSS-style upload and download endpoints share the port (ota-api §6).
  '/oss', '/oss/x', '/ota', '/ota/download/x', '/ota/download/%zz', '/ota/download/abc?OSSAccessKeyId=a&Expires=1&Signature=%zz', '/ota/../',
];

const latin1Text = fc.string({ unit: fc.integer({ min: 0x20, max: 0xff }).map((c) => String.fromCharCode(c)), maxLength: 40 });

export const garbageQuery: fc.Arbitrary<string> = fc
  .array(fc.oneof(fc.constantFrom(...QUERY_PIECES), fc.constantFrom(...MALFORMED_ESCAPES), fc.tuple(fc.constantFrom(...MALFORMED_ESCAPES), fc.constantFrom(...MALFORMED_ESCAPES)).map(([a, b]) => `${a}=${b}`)), { maxLength: 8 })
  .map((parts) => parts.join('&'));

const headerArb: fc.Arbitrary<readonly [string, string]> = fc.oneof(
  fc.constantFrom(...AUTHORIZATIONS).map((v) => ['authorization', v] as const),
  latin1Text.map((v) => ['authorization', `ACS3-HMAC-SHA256 ${v}`] as const),
  fc.constantFrom(...CONTENT_TYPES).map((v) => ['content-type', v] as const),
  fc.tuple(fc.constantFrom('x-acs-action', 'x-acs-version', 'x-acs-date', 'x-acs-signature-nonce', 'x-acs-content-sha256', 'x-acs-security-token', 'x-acs-whatever'), latin1Text),
  fc.tuple(fc.constantFrom('accept', 'x-acs-action'), fc.constantFrom('application/json', 'text/xml', 'QueryProduct', 'RegisterDevice', '*/*', '\xff')),
  fc.tuple(fc.stringMatching(/^[a-z][a-z0-9-]{0,20}$/), latin1Text),
  fc.constant(['expect', '100-continue'] as const),
);

const bodyArb: fc.Arbitrary<BodySpec> = fc.oneof(
  { weight: 4, arbitrary: fc.constant({ type: 'none' } as const) },
  { weight: 4, arbitrary: garbageQuery.map((text) => ({ type: 'text', text }) as const) },
  { weight: 2, arbitrary: hostileValue.map((text) => ({ type: 'text', text }) as const) },
  { weight: 2, arbitrary: fc.uint8Array({ maxLength: 200 }).map((bytes) => ({ type: 'bytes', bytes }) as const) },
  { weight: 1, arbitrary: fc.record({ type: fc.constant('big' as const), extra: fc.integer({ min: 1, max: 4096 }), form: fc.boolean() }) },
);

export const rawCase: fc.Arbitrary<RawCase> = fc.record({
  kind: fc.constant('raw' as const),
  method: fc.oneof({ weight: 6, arbitrary: fc.constantFrom('GET', 'POST') }, { weight: 4, arbitrary: fc.constantFrom(...METHODS) }),
  target: fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...TARGETS) }, { weight: 5, arbitrary: garbageQuery.map((q) => `/?${q}`) }),
  headers: fc.array(headerArb, { maxLength: 5 }),
  body: bodyArb,
  hostHeader: fc.oneof({ weight: 9, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }),
  chunked: fc.oneof({ weight: 9, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
});

export function mutationArb(): fc.Arbitrary<Mutation> {
  return fc.oneof(
    fc.oneof(fc.constantFrom(...AUTHORIZATIONS), latin1Text).map((value) => ({ type: 'authorization', value }) as const),
    fc.constantFrom(...CONTENT_TYPES).map((value) => ({ type: 'content-type', value }) as const),
    garbageQuery.map((text) => ({ type: 'append-query', text }) as const),
    garbageQuery.map((text) => ({ type: 'append-body', text }) as const),
    fc.nat().map((at) => ({ type: 'drop-header', at }) as const),
    fc.tuple(fc.nat(), latin1Text).map(([at, value]) => ({ type: 'dup-header', at, value }) as const),
    fc.constantFrom(...METHODS).map((method) => ({ type: 'method', method }) as const),
    fc.constant({ type: 'replay' } as const),
    fc.constantFrom(-60, -16, 16, 600).map((minutes) => ({ type: 'stale', minutes }) as const),
    fc.constant({ type: 'wrong-secret' } as const),
  );
}

/** Applies the byte-level mutations (the others change how the request is signed or sent). */
export function mutate(req: WireRequest, m: Mutation): { method: string; target: string; headers: (readonly [string, string])[]; body: Buffer } {
  let headers = [...req.headers];
  let target = req.path;
  let body = req.body;
  let method = req.method;
  switch (m.type) {
    case 'authorization':
      headers = [...headers.filter(([n]) => n !== 'authorization'), ['authorization', m.value]];
      break;
    case 'content-type':
      headers = [...headers.filter(([n]) => n !== 'content-type'), ['content-type', m.value]];
      break;
    case 'append-query':
      target = `${target}${target.includes('?') ? '&' : '?'}${m.text}`;
      break;
    case 'append-body':
      body = Buffer.concat([body, Buffer.from(`&${m.text}`, 'latin1')]);
      break;
    case 'drop-header':
      headers.splice(m.at % headers.length, 1);
      break;
    case 'dup-header':
      headers.push([headers[m.at % headers.length]![0], m.value]);
      break;
    case 'method':
      method = m.method;
      break;
    default:
      break;
  }
  return { method, target, headers, body };
}

/** HTTP/1.1 request bytes asking the server to close afterwards; header text is latin1 so any byte is possible. */
export function requestBytes(r: { method: string; target: string; headers: readonly (readonly [string, string])[]; body: Buffer; hostHeader?: string; chunked?: boolean }): Buffer {
  let head = `${r.method} ${r.target} HTTP/1.1\r\n`;
  if (r.hostHeader !== undefined) head += `host: ${r.hostHeader}\r\n`;
  for (const [name, value] of r.headers) head += `${name}: ${value}\r\n`;
  head += 'connection: close\r\n';
  let body = r.body;
  if (r.chunked) {
    head += 'transfer-encoding: chunked\r\n';
    body = body.length === 0 ? Buffer.from('0\r\n\r\n') : Buffer.concat([Buffer.from(`${body.length.toString(16)}\r\n`), body, Buffer.from('\r\n0\r\n\r\n')]);
  } else if (body.length > 0) {
    head += `content-length: ${body.length}\r\n`;
  }
  return Buffer.concat([Buffer.from(`${head}\r\n`, 'latin1'), body]);
}

export function bodyBytes(spec: BodySpec): Buffer {
  switch (spec.type) {
    case 'none':
      return Buffer.alloc(0);
    case 'bytes':
      return Buffer.from(spec.bytes);
    case 'text':
      return Buffer.from(spec.text, 'utf8');
    case 'big': {
      const size = 1024 * 1024 + spec.extra;
      const lead = spec.form ? 'Action=QueryProduct&Version=2018-01-20&ProductKey=' : '';
      return Buffer.concat([Buffer.from(lead), Buffer.alloc(size - lead.length, spec.form ? 'a' : 0xfe)]);
    }
  }
}
