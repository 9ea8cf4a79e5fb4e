import { createHash, createHmac } from 'node:crypto';
import { percentEncode } from './percent-encode.js';
import type { Pair } from './request-params.js';

export const V3_ALGORITHM = 'ACS3-HMAC-SHA256';

export interface V3Authorization {
  readonly algorithm: string;
  readonly credential: string;
  readonly signedHeaders: readonly string[];
  readonly signature: string;
}

/**
 * rpc-protocol §7 step 1: `ACS3-HMAC-SHA256 Credential=…,SignedHeaders=a;b,Signature=…`.
 * Returns undefined when the header is garbled.
 */
export function parseV3Authorization(header: string): V3Authorization | undefined {
  const space = header.indexOf(' ');
  if (space <= 0) return undefined;
  const algorithm = header.slice(0, space);
  const fields = new Map<string, string>();
  for (const part of header.slice(space + 1).split(',')) {
    const eq = part.indexOf('=');
    if (eq <= 0) return undefined;
    fields.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
  }
  const credential = fields.get('Credential');
  const signedHeaders = fields.get('SignedHeaders');
  const signature = fields.get('Signature');
  if (!credential || !signedHeaders || !signature) return undefined;
  return { algorithm, credential, signedHeaders: signedHeaders.split(';'), signature };
}

// Most calls are GETs: the payload hash of an empty body is this constant, not worth a hash each.
const EMPTY_SHA256 = createHash('sha256').digest('hex');

export function sha256Hex(data: Buffer | string): string {
  if (data.length === 0) return EMPTY_SHA256;
  return createHash('sha256').update(data).digest('hex');
}

/** rpc-protocol §7 step 4: decoded pairs sorted by name (then value), both encoded with §5. */
export function v3CanonicalQuery(query: readonly Pair[]): string {
  const encoded = query.map(([name, value]) => [percentEncode(name), percentEncode(value)] as const);
  encoded.sort(([an, av], [bn, bv]) => (an < bn ? -1 : an > bn ? 1 : av < bv ? -1 : av > bv ? 1 : 0));
  return encoded.map(([name, value]) => `${name}=${value}`).join('&');
}

export interface V3CanonicalInput {
  readonly method: string;
  readonly query: readonly Pair[];
  /** Lower-case signed header names, in the order the client listed them. */
  readonly signedHeaders: readonly string[];
  /** All values received for a header name (lower case). */
  readonly headerValues: (name: string) => readonly string[];
  readonly payloadHash: string;
}

/** rpc-protocol §7 steps 3–7. */
export function v3CanonicalRequest(input: V3CanonicalInput): string {
  const names = [...input.signedHeaders];
  const headerLines = names
    .map((name) => {
      const values = input.headerValues(name).map((v) => v.trim());
      values.sort();
      return `${name}:${values.join(',')}\n`;
    })
    .join('');
  return [input.method, '/', v3CanonicalQuery(input.query), headerLines, names.join(';'), input.payloadHash].join('\n');
}

/** rpc-protocol §7 steps 8–9: hex(HMAC-SHA256(secret, "ACS3-HMAC-SHA256\n" + hex(SHA-256(canonical)))). */
export function v3Signature(canonicalRequest: string, accessKeySecret: string): string {
  const stringToSign = `${V3_ALGORITHM}\n${sha256Hex(canonicalRequest)}`;
  return createHmac('sha256', accessKeySecret).update(stringToSign, 'utf8').digest('hex');
}
